using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;
using Nno.Sandbox.Cloudflare.Common;

namespace Nno.Sandbox.Cloudflare.Workers;

/// <summary>A script as upload and list answer it.</summary>
public sealed record WorkerScript(
    string Id, string Etag, string CreatedOn, string ModifiedOn, IReadOnlyList<string> Handlers, string UsageModel,
    string? CompatibilityDate, JsonArray Tags, long Size);

/// <summary><c>GET …/scripts/{name}/settings</c>.</summary>
public sealed record WorkerSettings(
    JsonArray Bindings, string? CompatibilityDate, JsonArray CompatibilityFlags, bool Logpush, JsonObject Placement, JsonArray Tags,
    IReadOnlyList<string> TailConsumers, string UsageModel);

/// <summary>A secret as listed (never its value).</summary>
public sealed record WorkerSecret(string Name, string Type);

/// <summary>
/// Workers scripts (provisioning.md §5.1, §4.7): multipart upload with a <c>metadata</c> part and the module parts,
/// bindings checked against existing resources, secrets kept only when <c>keep_bindings</c> holds <c>secret_text</c>.
/// Scripts are stored, never executed. Secret values are not kept: only their names and a hash.
/// </summary>
internal static partial class WorkersApi
{
    /// <summary>The largest script (all module parts together).</summary>
    public const long MaxScriptBytes = 10L * 1024 * 1024;

    private static readonly string[] NonResourceTypes = ["plain_text", "secret_text", "json", "service"];

    public static CloudflareArea Area { get; } = new()
    {
        Name = "Workers",
        Schema = WorkerStore.Schema,
        State = [new CloudflareStateKind("workers", "SELECT name FROM worker_scripts ORDER BY name")],
        Map = groups =>
        {
            var scripts = groups.Account.MapGroup("/workers/scripts").WithTags("Cloudflare Workers");
            scripts.MapGet("/", List).WithName("CloudflareWorkersList").WithSummary("Lists scripts.");
            scripts.MapPut("/{name}", Upload).WithName("CloudflareWorkersUpload").WithSummary("Uploads a script (multipart: metadata + modules).");
            scripts.MapDelete("/{name}", Delete).WithName("CloudflareWorkersDelete").WithSummary("Deletes a script (force=true also removes its routes).");
            scripts.MapGet("/{name}/settings", Settings).WithName("CloudflareWorkersSettings").WithSummary("A script's bindings and settings.");
            scripts.MapGet("/{name}/secrets", ListSecrets).WithName("CloudflareWorkersListSecrets").WithSummary("A script's secret names.");
            scripts.MapPut("/{name}/secrets", PutSecret).WithName("CloudflareWorkersPutSecret").WithSummary("Sets a secret.");
            scripts.MapDelete("/{name}/secrets/{secret}", DeleteSecret).WithName("CloudflareWorkersDeleteSecret").WithSummary("Deletes a secret.");
        },
    };

    [GeneratedRegex("^[a-z0-9_][a-z0-9_-]{0,62}$")]
    private static partial Regex ScriptName();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,127}$")]
    private static partial Regex BindingName();

    private static WorkerScript Describe(StoredScript s) =>
        new(s.Name, s.Etag, s.CreatedOn, s.ModifiedOn, ["fetch"], s.UsageModel, s.CompatibilityDate, s.Tags, s.Size);

    private static async Task<CloudflareEnvelopeResult> List(string accountId, CloudflareState state, CancellationToken cancellationToken)
    {
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        return CloudflareResults.Ok((await WorkerStore.ListAsync(connection, accountId, cancellationToken)).Select(Describe).ToArray());
    }

    private static async Task<CloudflareEnvelopeResult> Upload(
        HttpContext context, string accountId, string name, CloudflareState state, CancellationToken cancellationToken)
    {
        if (!ScriptName().IsMatch(name))
        {
            throw CloudflareException.BadRequest("Script names are 1-63 lowercase letters, digits, '-' or '_'.", CloudflareErrorCodes.WorkerInvalidUpload);
        }

        var (metadata, modules) = await ReadMultipartAsync(context, cancellationToken);
        var mainModule = CloudflareRequestBody.OptionalString(metadata, "main_module") ?? CloudflareRequestBody.OptionalString(metadata, "body_part")
            ?? throw CloudflareException.BadRequest("metadata needs main_module naming a module part.", CloudflareErrorCodes.WorkerInvalidUpload);
        if (!modules.ContainsKey(mainModule))
        {
            throw CloudflareException.BadRequest($"main_module '{mainModule}' names no part of the upload.", CloudflareErrorCodes.WorkerInvalidUpload);
        }

        var size = modules.Values.Sum(m => (long)m.Content.Length);
        if (size > MaxScriptBytes)
        {
            throw new CloudflareException(413, CloudflareErrorCodes.WorkerTooLarge, "Script exceeds the 10 MiB size limit.");
        }

        var compatibilityDate = CloudflareRequestBody.OptionalString(metadata, "compatibility_date");
        var flags = StringArray(metadata, "compatibility_flags");
        var tags = StringArray(metadata, "tags");
        var keep = StringArray(metadata, "keep_bindings").Select(k => k!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
        var usageModel = CloudflareRequestBody.OptionalString(metadata, "usage_model") ?? "standard";
        var bindings = metadata["bindings"] switch
        {
            null => [],
            JsonArray array => array.Select(b => b as JsonObject ?? throw CloudflareException.BadRequest("bindings entries must be objects.", CloudflareErrorCodes.WorkerInvalidUpload)).ToList(),
            _ => throw CloudflareException.BadRequest("bindings must be an array.", CloudflareErrorCodes.WorkerInvalidUpload),
        };
        await CheckBindingsAsync(context.RequestServices, state, accountId, name, bindings, cancellationToken);

        var now = state.NowText();
        var etag = Etag(metadata, modules);
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction(deferred: false);
        var previous = await WorkerStore.FindAsync(connection, accountId, name, cancellationToken, transaction);
        var newNames = bindings.Select(b => b["name"]!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
        var stored = new JsonArray();
        foreach (var binding in bindings.Where(b => b["type"]!.GetValue<string>() != "secret_text"))
        {
            stored.Add(binding.DeepClone());
        }

        // keep_bindings: earlier bindings of the kept types stay unless the upload names them again.
        foreach (var old in previous?.Bindings.OfType<JsonObject>() ?? [])
        {
            if (keep.Contains(old["type"]!.GetValue<string>()) && !newNames.Contains(old["name"]!.GetValue<string>()))
            {
                stored.Add(old.DeepClone());
                newNames.Add(old["name"]!.GetValue<string>());
            }
        }

        await using (var upsert = connection.CreateCommand())
        {
            upsert.Transaction = transaction;
            upsert.CommandText = """
                INSERT INTO worker_scripts (account_id, name, etag, main_module, compatibility_date, compatibility_flags, bindings, tags, usage_model, size, created_on, modified_on)
                VALUES ($a, $name, $etag, $main, $date, $flags, $bindings, $tags, $usage, $size, $now, $now)
                ON CONFLICT (account_id, name) DO UPDATE SET etag = excluded.etag, main_module = excluded.main_module,
                    compatibility_date = excluded.compatibility_date, compatibility_flags = excluded.compatibility_flags,
                    bindings = excluded.bindings, tags = excluded.tags, usage_model = excluded.usage_model, size = excluded.size,
                    modified_on = excluded.modified_on
                """;
            upsert.Parameters.AddWithValue("$a", accountId);
            upsert.Parameters.AddWithValue("$name", name);
            upsert.Parameters.AddWithValue("$etag", etag);
            upsert.Parameters.AddWithValue("$main", mainModule);
            upsert.Parameters.AddWithValue("$date", (object?)compatibilityDate ?? DBNull.Value);
            upsert.Parameters.AddWithValue("$flags", flags.ToJsonString());
            upsert.Parameters.AddWithValue("$bindings", stored.ToJsonString());
            upsert.Parameters.AddWithValue("$tags", tags.ToJsonString());
            upsert.Parameters.AddWithValue("$usage", usageModel);
            upsert.Parameters.AddWithValue("$size", size);
            upsert.Parameters.AddWithValue("$now", now);
            await upsert.ExecuteNonQueryAsync(cancellationToken);
        }

        await ExecuteAsync(connection, transaction, "DELETE FROM worker_modules WHERE account_id = $a AND script = $s", cancellationToken, ("$a", accountId), ("$s", name));
        foreach (var (moduleName, module) in modules)
        {
            await ExecuteAsync(connection, transaction,
                "INSERT INTO worker_modules (account_id, script, name, content_type, content) VALUES ($a, $s, $n, $t, $c)", cancellationToken,
                ("$a", accountId), ("$s", name), ("$n", moduleName), ("$t", module.ContentType), ("$c", module.Content));
        }

        // Secrets survive a re-upload only when keep_bindings holds secret_text, and never shadow a binding of the upload.
        if (keep.Contains("secret_text"))
        {
            foreach (var taken in newNames)
            {
                await ExecuteAsync(connection, transaction, "DELETE FROM worker_secrets WHERE account_id = $a AND script = $s AND name = $n", cancellationToken,
                    ("$a", accountId), ("$s", name), ("$n", taken));
            }
        }
        else
        {
            await ExecuteAsync(connection, transaction, "DELETE FROM worker_secrets WHERE account_id = $a AND script = $s", cancellationToken, ("$a", accountId), ("$s", name));
        }

        foreach (var secret in bindings.Where(b => b["type"]!.GetValue<string>() == "secret_text"))
        {
            await UpsertSecretAsync(connection, transaction, accountId, name, secret["name"]!.GetValue<string>(), secret["text"]!.GetValue<string>(), now, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        await using var reread = await state.OpenMetadataAsync(cancellationToken);
        return CloudflareResults.Ok(Describe((await WorkerStore.FindAsync(reread, accountId, name, cancellationToken))!));
    }

    private static async Task<CloudflareEnvelopeResult> Delete(
        HttpRequest request, string accountId, string name, CloudflareState state, CancellationToken cancellationToken)
    {
        var force = string.Equals(request.Query["force"].ToString(), "true", StringComparison.OrdinalIgnoreCase);
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        await WorkerStore.RequireAsync(connection, accountId, name, cancellationToken);
        await using var transaction = connection.BeginTransaction(deferred: false);
        await using (var routes = connection.CreateCommand())
        {
            routes.Transaction = transaction;
            routes.CommandText = "SELECT count(*) FROM worker_routes WHERE script = $s";
            routes.Parameters.AddWithValue("$s", name);
            var attached = Convert.ToInt64(await routes.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
            if (attached > 0 && !force)
            {
                throw CloudflareException.BadRequest(
                    $"The script is attached to {attached} route(s); delete them or pass force=true.", CloudflareErrorCodes.WorkerHasRoutes);
            }
        }

        await ExecuteAsync(connection, transaction, "DELETE FROM worker_routes WHERE script = $s", cancellationToken, ("$s", name));
        await ExecuteAsync(connection, transaction, "DELETE FROM worker_scripts WHERE account_id = $a AND name = $s", cancellationToken, ("$a", accountId), ("$s", name));
        await transaction.CommitAsync(cancellationToken);
        return CloudflareResults.Ok(null);
    }

    private static async Task<CloudflareEnvelopeResult> Settings(string accountId, string name, CloudflareState state, CancellationToken cancellationToken)
    {
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        var script = await WorkerStore.RequireAsync(connection, accountId, name, cancellationToken);
        var bindings = (JsonArray)script.Bindings.DeepClone();
        foreach (var secret in await WorkerStore.SecretNamesAsync(connection, accountId, name, cancellationToken))
        {
            bindings.Add(new JsonObject { ["type"] = "secret_text", ["name"] = secret });
        }

        return CloudflareResults.Ok(new WorkerSettings(bindings, script.CompatibilityDate, script.CompatibilityFlags, false, [], script.Tags, [], script.UsageModel));
    }

    private static async Task<CloudflareEnvelopeResult> ListSecrets(string accountId, string name, CloudflareState state, CancellationToken cancellationToken)
    {
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        await WorkerStore.RequireAsync(connection, accountId, name, cancellationToken);
        var names = await WorkerStore.SecretNamesAsync(connection, accountId, name, cancellationToken);
        return CloudflareResults.Ok(names.Select(n => new WorkerSecret(n, "secret_text")).ToArray());
    }

    private static async Task<CloudflareEnvelopeResult> PutSecret(
        HttpRequest request, string accountId, string name, CloudflareState state, CancellationToken cancellationToken)
    {
        var body = await CloudflareRequestBody.ReadObjectAsync(request, cancellationToken);
        CloudflareRequestBody.OnlyAllow(body, "name", "text", "type");
        var secretName = CloudflareRequestBody.RequiredString(body, "name");
        var text = CloudflareRequestBody.OptionalString(body, "text") ?? throw CloudflareException.BadRequest("text is required.");
        var type = CloudflareRequestBody.OptionalString(body, "type") ?? "secret_text";
        if (type != "secret_text" || !BindingName().IsMatch(secretName))
        {
            throw CloudflareException.BadRequest("A secret needs type secret_text and a name of letters, digits and '_'.", CloudflareErrorCodes.WorkerInvalidUpload);
        }

        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction(deferred: false);
        var script = await WorkerStore.FindAsync(connection, accountId, name, cancellationToken, transaction)
            ?? throw CloudflareException.NotFound(CloudflareErrorCodes.WorkerNotFound, "workers.api.error.script_not_found");
        if (script.Bindings.OfType<JsonObject>().Any(b => b["name"]?.GetValue<string>() == secretName))
        {
            throw CloudflareException.BadRequest($"Binding name '{secretName}' already in use by a non-secret binding.", CloudflareErrorCodes.WorkerBindingNameInUse);
        }

        await UpsertSecretAsync(connection, transaction, accountId, name, secretName, text, state.NowText(), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return CloudflareResults.Ok(new WorkerSecret(secretName, "secret_text"));
    }

    private static async Task<CloudflareEnvelopeResult> DeleteSecret(
        string accountId, string name, string secret, CloudflareState state, CancellationToken cancellationToken)
    {
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        await WorkerStore.RequireAsync(connection, accountId, name, cancellationToken);
        await using var delete = connection.CreateCommand();
        delete.CommandText = "DELETE FROM worker_secrets WHERE account_id = $a AND script = $s AND name = $n";
        delete.Parameters.AddWithValue("$a", accountId);
        delete.Parameters.AddWithValue("$s", name);
        delete.Parameters.AddWithValue("$n", secret);
        return await delete.ExecuteNonQueryAsync(cancellationToken) == 0
            ? throw CloudflareException.NotFound(CloudflareErrorCodes.WorkerSecretNotFound, $"Secret {secret} not found")
            : CloudflareResults.Ok(null);
    }

    private static async Task CheckBindingsAsync(
        IServiceProvider services, CloudflareState state, string accountId, string script, List<JsonObject> bindings, CancellationToken cancellationToken)
    {
        var targets = services.GetServices<ICloudflareBindingTarget>().ToDictionary(t => t.BindingType, StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var binding in bindings)
        {
            var type = CloudflareRequestBody.OptionalString(binding, "type");
            var name = CloudflareRequestBody.OptionalString(binding, "name");
            if (type is null || name is null || !BindingName().IsMatch(name))
            {
                throw BindingError("every binding needs a type and a name of letters, digits and '_'");
            }

            if (!seen.Add(name))
            {
                throw BindingError($"binding name '{name}' is used twice");
            }

            switch (type)
            {
                case "plain_text" or "secret_text":
                    _ = CloudflareRequestBody.OptionalString(binding, "text") ?? throw BindingError($"{type} binding '{name}' needs text");
                    break;
                case "json":
                    if (!binding.ContainsKey("json"))
                    {
                        throw BindingError($"json binding '{name}' needs json");
                    }

                    break;
                case "service":
                    var service = CloudflareRequestBody.OptionalString(binding, "service") ?? throw BindingError($"service binding '{name}' needs service");
                    if (service != script)
                    {
                        await using var connection = await state.OpenMetadataAsync(cancellationToken);
                        if (await WorkerStore.FindAsync(connection, accountId, service, cancellationToken) is null)
                        {
                            throw BindingError($"service binding '{name}': script {service} not found");
                        }
                    }

                    break;
                default:
                    if (!targets.TryGetValue(type, out var target))
                    {
                        throw BindingError($"unsupported binding type '{type}'");
                    }

                    if (await target.CheckAsync(accountId, binding, cancellationToken) is { } problem)
                    {
                        throw BindingError($"binding '{name}': {problem}");
                    }

                    break;
            }
        }

        static CloudflareException BindingError(string message) => CloudflareException.BadRequest(message, CloudflareErrorCodes.WorkerInvalidUpload);
    }

    private sealed record ModulePart(string ContentType, byte[] Content);

    private static async Task<(JsonObject Metadata, Dictionary<string, ModulePart> Modules)> ReadMultipartAsync(HttpContext context, CancellationToken cancellationToken)
    {
        // Room for the parts' headers and the metadata beyond the 10 MiB of script.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxScriptBytes + (2 * 1024 * 1024);
        }

        if (!MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var contentType)
            || !contentType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(contentType.Boundary).Value is not { Length: > 0 } boundary)
        {
            throw CloudflareException.BadRequest("Uploads are multipart/form-data with a metadata part.", CloudflareErrorCodes.WorkerInvalidUpload);
        }

        var reader = new MultipartReader(boundary, context.Request.Body) { BodyLengthLimit = MaxScriptBytes + 1 };
        JsonObject? metadata = null;
        var modules = new Dictionary<string, ModulePart>(StringComparer.Ordinal);
        long total = 0;
        MultipartSection? section;
        try
        {
            while ((section = await reader.ReadNextSectionAsync(cancellationToken)) is not null)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || disposition.Name.Value is not { Length: > 0 } rawName)
                {
                    throw CloudflareException.BadRequest("Every part needs a Content-Disposition name.", CloudflareErrorCodes.WorkerInvalidUpload);
                }

                var partName = HeaderUtilities.RemoveQuotes(rawName).Value!;
                using var buffer = new MemoryStream();
                await section.Body.CopyToAsync(buffer, cancellationToken);
                total += buffer.Length;
                if (total > MaxScriptBytes + (1024 * 1024))
                {
                    throw new CloudflareException(413, CloudflareErrorCodes.WorkerTooLarge, "Script exceeds the 10 MiB size limit.");
                }

                if (partName == "metadata")
                {
                    try
                    {
                        metadata = JsonNode.Parse(buffer.ToArray()) as JsonObject;
                    }
                    catch (JsonException e)
                    {
                        throw CloudflareException.BadRequest($"metadata is not valid JSON: {e.Message}", CloudflareErrorCodes.WorkerInvalidUpload);
                    }

                    if (metadata is null)
                    {
                        throw CloudflareException.BadRequest("metadata must be a JSON object.", CloudflareErrorCodes.WorkerInvalidUpload);
                    }
                }
                else
                {
                    modules[partName] = new ModulePart(section.ContentType ?? "application/octet-stream", buffer.ToArray());
                }
            }
        }
        catch (InvalidDataException e)
        {
            // MultipartReader's own limits and malformed framing.
            throw e.Message.Contains("limit", StringComparison.OrdinalIgnoreCase)
                ? new CloudflareException(413, CloudflareErrorCodes.WorkerTooLarge, "Script exceeds the 10 MiB size limit.")
                : CloudflareException.BadRequest($"Malformed multipart body: {e.Message}", CloudflareErrorCodes.WorkerInvalidUpload);
        }
        catch (IOException e)
        {
            throw CloudflareException.BadRequest($"Malformed multipart body: {e.Message}", CloudflareErrorCodes.WorkerInvalidUpload);
        }

        return (metadata ?? throw CloudflareException.BadRequest("The metadata part is required.", CloudflareErrorCodes.WorkerInvalidUpload), modules);
    }

    private static JsonArray StringArray(JsonObject metadata, string name)
    {
        var node = metadata[name];
        if (node is null)
        {
            return [];
        }

        if (node is not JsonArray array || array.Any(i => i is not JsonValue v || !v.TryGetValue<string>(out _)))
        {
            throw CloudflareException.BadRequest($"{name} must be an array of strings.", CloudflareErrorCodes.WorkerInvalidUpload);
        }

        return (JsonArray)array.DeepClone();
    }

    private static string Etag(JsonObject metadata, Dictionary<string, ModulePart> modules)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(metadata.ToJsonString()));
        foreach (var (name, module) in modules.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(name));
            hash.AppendData(module.Content);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static async Task UpsertSecretAsync(
        SqliteConnection connection, SqliteTransaction transaction, string accountId, string script, string name, string text, string now, CancellationToken cancellationToken) =>
        await ExecuteAsync(connection, transaction, """
            INSERT INTO worker_secrets (account_id, script, name, value_sha256, created_on) VALUES ($a, $s, $n, $h, $now)
            ON CONFLICT (account_id, script, name) DO UPDATE SET value_sha256 = excluded.value_sha256, created_on = excluded.created_on
            """, cancellationToken,
            ("$a", accountId), ("$s", script), ("$n", name), ("$h", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))), ("$now", now));

    private static async Task ExecuteAsync(
        SqliteConnection connection, SqliteTransaction transaction, string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

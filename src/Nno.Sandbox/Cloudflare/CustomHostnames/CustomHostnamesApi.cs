using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Nno.Sandbox.Cloudflare.Common;

namespace Nno.Sandbox.Cloudflare.CustomHostnames;

/// <summary>The certificate side of a custom hostname.</summary>
public sealed record CustomHostnameSsl(
    string Id, string Type, string Method, string Status, IReadOnlyList<JsonObject> ValidationRecords, JsonObject Settings,
    string BundleMethod, bool Wildcard, string CertificateAuthority);

/// <summary>A DNS record proving ownership.</summary>
public sealed record OwnershipVerification(string Type, string Name, string Value);

/// <summary>An HTTP file proving ownership.</summary>
public sealed record OwnershipVerificationHttp(string HttpUrl, string HttpBody);

/// <summary>A custom hostname as the API shows it.</summary>
public sealed record CustomHostname(
    string Id, string Hostname, string Status, CustomHostnameSsl Ssl, OwnershipVerification? OwnershipVerification,
    OwnershipVerificationHttp? OwnershipVerificationHttp, JsonObject? CustomMetadata, string? CustomOriginServer, string CreatedAt);

/// <summary>A deleted custom hostname's id.</summary>
public sealed record CustomHostnameId(string Id);

/// <summary>
/// Cloudflare for SaaS custom hostnames (provisioning.md §5.1): <c>pending</c>/<c>pending_validation</c> until
/// <c>sslActivationDelaySeconds</c> after creation (or after the SSL settings last changed), then <c>active</c>. The
/// status is computed from the clock at read time, so nothing has to run in the background.
/// </summary>
internal static partial class CustomHostnamesApi
{
    public static CloudflareArea Area { get; } = new()
    {
        Name = "CustomHostnames",
        Schema = """
            CREATE TABLE IF NOT EXISTS custom_hostnames (
                id TEXT PRIMARY KEY,
                zone_id TEXT NOT NULL,
                hostname TEXT NOT NULL,
                ssl_id TEXT NOT NULL,
                ssl_method TEXT NOT NULL,
                ssl_settings TEXT NOT NULL,
                custom_metadata TEXT,
                custom_origin_server TEXT,
                verification_token TEXT NOT NULL,
                validation_token TEXT NOT NULL,
                created_at TEXT NOT NULL,
                ssl_started_at TEXT NOT NULL,
                UNIQUE (zone_id, hostname)
            );
            CREATE INDEX IF NOT EXISTS ix_custom_hostnames_zone_created ON custom_hostnames (zone_id, created_at, id);
            """,
        State = [new CloudflareStateKind("customHostnames", "SELECT hostname FROM custom_hostnames ORDER BY hostname")],
        Map = groups =>
        {
            var hostnames = groups.Zone.MapGroup("/custom_hostnames").WithTags("Cloudflare custom hostnames");
            hostnames.MapGet("/", List).WithName("CloudflareCustomHostnamesList").WithSummary("Lists custom hostnames (page list, exact hostname filter).");
            hostnames.MapPost("/", Create).WithName("CloudflareCustomHostnamesCreate").WithSummary("Creates a custom hostname.");
            hostnames.MapGet("/{id}", Get).WithName("CloudflareCustomHostnamesGet").WithSummary("One custom hostname.");
            hostnames.MapPatch("/{id}", Patch).WithName("CloudflareCustomHostnamesPatch").WithSummary("Changes SSL settings, metadata or origin.");
            hostnames.MapDelete("/{id}", Delete).WithName("CloudflareCustomHostnamesDelete").WithSummary("Deletes a custom hostname.");
        },
    };

    private const string Columns =
        "id, hostname, ssl_id, ssl_method, ssl_settings, custom_metadata, custom_origin_server, verification_token, validation_token, created_at, ssl_started_at";

    [GeneratedRegex("^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")]
    private static partial Regex HostnamePattern();

    private static async Task<CloudflareEnvelopeResult> List(HttpRequest request, string zoneId, CloudflareState state, CancellationToken cancellationToken)
    {
        var paging = CloudflarePaging.Read(request, defaultPerPage: 20, maxPerPage: 50, minPerPage: 5);
        var hostname = request.Query["hostname"].ToString().ToLowerInvariant();
        var filter = string.IsNullOrEmpty(hostname) ? "" : " AND hostname = $h";
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        await using var count = connection.CreateCommand();
        count.CommandText = $"SELECT count(*) FROM custom_hostnames WHERE zone_id = $z{filter}";
        count.Parameters.AddWithValue("$z", zoneId);
        count.Parameters.AddWithValue("$h", hostname);
        var total = Convert.ToInt32(await count.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
        await using var list = connection.CreateCommand();
        list.CommandText = $"SELECT {Columns} FROM custom_hostnames WHERE zone_id = $z{filter} ORDER BY created_at, id LIMIT $limit OFFSET $offset";
        list.Parameters.AddWithValue("$z", zoneId);
        list.Parameters.AddWithValue("$h", hostname);
        list.Parameters.AddWithValue("$limit", paging.PerPage);
        list.Parameters.AddWithValue("$offset", paging.Offset);
        var items = new List<CustomHostname>();
        await using var reader = await list.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(Read(reader, state));
        }

        return CloudflareResults.Page(items, paging, total);
    }

    private static async Task<CloudflareEnvelopeResult> Create(HttpRequest request, string zoneId, CloudflareState state, CancellationToken cancellationToken)
    {
        var body = await CloudflareRequestBody.ReadObjectAsync(request, cancellationToken);
        CloudflareRequestBody.OnlyAllow(body, "hostname", "ssl", "custom_metadata", "custom_origin_server", "custom_origin_sni");
        var hostname = CloudflareRequestBody.RequiredString(body, "hostname");
        if (!HostnamePattern().IsMatch(hostname))
        {
            throw CloudflareException.BadRequest("hostname must be a valid lowercase hostname.", 1411);
        }

        var (method, settings) = ReadSsl(CloudflareRequestBody.OptionalObject(body, "ssl"), null);
        var metadata = CloudflareRequestBody.OptionalObject(body, "custom_metadata");
        var origin = CloudflareRequestBody.OptionalString(body, "custom_origin_server");
        var now = state.NowText();
        var id = CloudflareState.NewUuid();
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        await using (var insert = connection.CreateCommand())
        {
            insert.CommandText = $"""
                INSERT INTO custom_hostnames ({Columns}, zone_id)
                VALUES ($id, $h, $ssl, $m, $settings, $meta, $origin, $vt, $val, $now, $now, $z)
                """;
            insert.Parameters.AddWithValue("$id", id);
            insert.Parameters.AddWithValue("$h", hostname);
            insert.Parameters.AddWithValue("$ssl", CloudflareState.NewUuid());
            insert.Parameters.AddWithValue("$m", method);
            insert.Parameters.AddWithValue("$settings", settings.ToJsonString());
            insert.Parameters.AddWithValue("$meta", (object?)metadata?.ToJsonString() ?? DBNull.Value);
            insert.Parameters.AddWithValue("$origin", (object?)origin ?? DBNull.Value);
            insert.Parameters.AddWithValue("$vt", CloudflareState.NewUuid());
            insert.Parameters.AddWithValue("$val", CloudflareState.NewId());
            insert.Parameters.AddWithValue("$now", now);
            insert.Parameters.AddWithValue("$z", zoneId);
            try
            {
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (SqliteException e) when (e.SqliteErrorCode == 19)
            {
                throw CloudflareException.Conflict(CloudflareErrorCodes.DuplicateCustomHostname, "Duplicate custom hostname found.");
            }
        }

        return CloudflareResults.Ok(await FindAsync(connection, zoneId, id, state, cancellationToken));
    }

    private static async Task<CloudflareEnvelopeResult> Get(string zoneId, string id, CloudflareState state, CancellationToken cancellationToken)
    {
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        return CloudflareResults.Ok(await FindAsync(connection, zoneId, id, state, cancellationToken));
    }

    private static async Task<CloudflareEnvelopeResult> Patch(HttpRequest request, string zoneId, string id, CloudflareState state, CancellationToken cancellationToken)
    {
        var body = await CloudflareRequestBody.ReadObjectAsync(request, cancellationToken);
        CloudflareRequestBody.OnlyAllow(body, "ssl", "custom_metadata", "custom_origin_server", "custom_origin_sni");
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction(deferred: false);
        var current = await FindAsync(connection, zoneId, id, state, cancellationToken);
        var sets = new List<string>();
        await using var update = connection.CreateCommand();
        update.Transaction = transaction;
        if (CloudflareRequestBody.OptionalObject(body, "ssl") is { } ssl)
        {
            var (method, settings) = ReadSsl(ssl, current.Ssl.Method);
            // New SSL settings mean a new certificate order: validation starts again.
            sets.Add("ssl_method = $m, ssl_settings = $settings, ssl_started_at = $now, validation_token = $val");
            update.Parameters.AddWithValue("$m", method);
            update.Parameters.AddWithValue("$settings", settings.ToJsonString());
            update.Parameters.AddWithValue("$now", state.NowText());
            update.Parameters.AddWithValue("$val", CloudflareState.NewId());
        }

        if (body.ContainsKey("custom_metadata"))
        {
            sets.Add("custom_metadata = $meta");
            update.Parameters.AddWithValue("$meta", (object?)CloudflareRequestBody.OptionalObject(body, "custom_metadata")?.ToJsonString() ?? DBNull.Value);
        }

        if (body.ContainsKey("custom_origin_server"))
        {
            sets.Add("custom_origin_server = $origin");
            update.Parameters.AddWithValue("$origin", (object?)CloudflareRequestBody.OptionalString(body, "custom_origin_server") ?? DBNull.Value);
        }

        if (sets.Count > 0)
        {
            update.CommandText = $"UPDATE custom_hostnames SET {string.Join(", ", sets)} WHERE zone_id = $z AND id = $id";
            update.Parameters.AddWithValue("$z", zoneId);
            update.Parameters.AddWithValue("$id", id);
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return CloudflareResults.Ok(await FindAsync(connection, zoneId, id, state, cancellationToken));
    }

    private static async Task<CloudflareEnvelopeResult> Delete(string zoneId, string id, CloudflareState state, CancellationToken cancellationToken)
    {
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        await using var delete = connection.CreateCommand();
        delete.CommandText = "DELETE FROM custom_hostnames WHERE zone_id = $z AND id = $id";
        delete.Parameters.AddWithValue("$z", zoneId);
        delete.Parameters.AddWithValue("$id", id);
        return await delete.ExecuteNonQueryAsync(cancellationToken) == 0
            ? throw NotFound()
            : CloudflareResults.Ok(new CustomHostnameId(id));
    }

    private static (string Method, JsonObject Settings) ReadSsl(JsonObject? ssl, string? currentMethod)
    {
        if (ssl is null)
        {
            return (currentMethod ?? "http", []);
        }

        CloudflareRequestBody.OnlyAllow(ssl, "method", "type", "settings", "wildcard", "bundle_method", "certificate_authority", "custom_certificate", "custom_key");
        var method = CloudflareRequestBody.OptionalString(ssl, "method") ?? currentMethod ?? "http";
        var type = CloudflareRequestBody.OptionalString(ssl, "type") ?? "dv";
        if (method is not ("http" or "txt") || type != "dv")
        {
            throw CloudflareException.BadRequest("ssl.method must be http or txt and ssl.type dv.", 1409);
        }

        return (method, CloudflareRequestBody.OptionalObject(ssl, "settings")?.DeepClone().AsObject() ?? []);
    }

    private static async Task<CustomHostname> FindAsync(SqliteConnection connection, string zoneId, string id, CloudflareState state, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM custom_hostnames WHERE zone_id = $z AND id = $id";
        command.Parameters.AddWithValue("$z", zoneId);
        command.Parameters.AddWithValue("$id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader, state) : throw NotFound();
    }

    private static CloudflareException NotFound() =>
        CloudflareException.NotFound(CloudflareErrorCodes.CustomHostnameNotFound, "The custom hostname was not found.");

    private static CustomHostname Read(SqliteDataReader reader, CloudflareState state)
    {
        var hostname = reader.GetString(1);
        var method = reader.GetString(3);
        var verificationToken = reader.GetString(7);
        var validationToken = reader.GetString(8);
        var started = DateTimeOffset.Parse(reader.GetString(10), System.Globalization.CultureInfo.InvariantCulture);
        var active = state.Now >= started.AddSeconds(state.Faults.SslActivationDelaySeconds);
        IReadOnlyList<JsonObject> records = active
            ? []
            : method == "txt"
                ? [new JsonObject { ["status"] = "pending", ["txt_name"] = $"_acme-challenge.{hostname}", ["txt_value"] = validationToken }]
                : [new JsonObject
                {
                    ["status"] = "pending",
                    ["http_url"] = $"http://{hostname}/.well-known/acme-challenge/{validationToken[..16]}",
                    ["http_body"] = validationToken,
                }];
        var ssl = new CustomHostnameSsl(reader.GetString(2), "dv", method, active ? "active" : "pending_validation", records,
            (JsonObject)JsonNode.Parse(reader.GetString(4))!, "ubiquitous", false, "google");
        return new CustomHostname(
            reader.GetString(0), hostname, active ? "active" : "pending", ssl,
            active ? null : new OwnershipVerification("txt", $"_cf-custom-hostname.{hostname}", verificationToken),
            active || method != "http" ? null : new OwnershipVerificationHttp($"http://{hostname}/.well-known/cf-custom-hostname-challenge/{reader.GetString(0)}", verificationToken),
            reader.IsDBNull(5) ? null : (JsonObject)JsonNode.Parse(reader.GetString(5))!,
            reader.IsDBNull(6) ? null : reader.GetString(6),
            reader.GetString(9));
    }
}

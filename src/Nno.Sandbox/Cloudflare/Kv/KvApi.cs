using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;
using Nno.Sandbox.Cloudflare.Common;

namespace Nno.Sandbox.Cloudflare.Kv;

/// <summary>Workers KV (provisioning.md §5.1): namespaces, values, metadata, key listing and bulk writes/deletes.</summary>
internal static class KvApi
{
    public const int MaxKeyBytes = 512;
    public const int MaxValueBytes = 25 * 1024 * 1024;
    public const int MaxMetadataBytes = 1024;
    public const int MinTtlSeconds = 60;
    public const int MaxBulkItems = 10_000;
    private const long MaxBulkBodyBytes = 100L * 1024 * 1024;

    public static CloudflareArea Area { get; } = new()
    {
        Name = "Kv",
        Schema = KvStore.Schema,
        State = [new CloudflareStateKind("kvNamespaces", "SELECT title FROM kv_namespaces ORDER BY title")],
        AddServices = services =>
        {
            services.AddSingleton<KvStore>();
            services.AddSingleton<ICloudflareBindingTarget, KvBindingTarget>();
        },
        Map = groups => Map(groups.Account),
    };

    private static void Map(RouteGroupBuilder account)
    {
        var namespaces = account.MapGroup("/storage/kv/namespaces").WithTags("Cloudflare KV");
        namespaces.MapGet("", ListNamespaces).WithName("CfKvListNamespaces").WithSummary("Lists namespaces (page, per_page, order, direction).");
        namespaces.MapPost("", CreateNamespace).WithName("CfKvCreateNamespace").WithSummary("Creates a namespace (title unique).");
        namespaces.MapGet("/{namespaceId}", GetNamespace).WithName("CfKvGetNamespace").WithSummary("Reads a namespace.");
        namespaces.MapDelete("/{namespaceId}", DeleteNamespace).WithName("CfKvDeleteNamespace").WithSummary("Deletes a namespace and its keys.");
        namespaces.MapPut("/{namespaceId}/values/{**key}", PutValue).WithName("CfKvPutValue").WithSummary("Writes a value (raw body or multipart value + metadata).");
        namespaces.MapGet("/{namespaceId}/values/{**key}", GetValue).WithName("CfKvGetValue").WithSummary("Reads a value's raw bytes.");
        namespaces.MapDelete("/{namespaceId}/values/{**key}", DeleteValue).WithName("CfKvDeleteValue").WithSummary("Deletes a value.");
        namespaces.MapGet("/{namespaceId}/metadata/{**key}", GetMetadata).WithName("CfKvGetMetadata").WithSummary("Reads a key's metadata.");
        namespaces.MapGet("/{namespaceId}/keys", ListKeys).WithName("CfKvListKeys").WithSummary("Lists keys (prefix, limit 10-1000, cursor).");
        namespaces.MapPut("/{namespaceId}/bulk", BulkPut).WithName("CfKvBulkPut").WithSummary("Writes up to 10,000 key/value pairs.");
        namespaces.MapPost("/{namespaceId}/bulk/delete", BulkDelete).WithName("CfKvBulkDelete").WithSummary("Deletes up to 10,000 keys.");
    }

    private static async Task<IResult> ListNamespaces(HttpRequest request, KvStore store, CancellationToken cancellationToken)
    {
        var paging = CloudflarePaging.Read(request, 20, 100, 5);
        var byTitle = request.Query["order"].ToString() switch
        {
            "" or "title" => true,
            "id" => false,
            _ => throw CloudflareException.BadRequest("order must be id or title."),
        };
        var descending = request.Query["direction"].ToString() switch
        {
            "" or "asc" => false,
            "desc" => true,
            _ => throw CloudflareException.BadRequest("direction must be asc or desc."),
        };
        var (items, total) = await store.ListNamespacesAsync(byTitle, descending, paging, cancellationToken);
        return CloudflareResults.Page(items, paging, total);
    }

    private static async Task<IResult> CreateNamespace(HttpRequest request, KvStore store, CancellationToken cancellationToken)
    {
        var body = await CloudflareRequestBody.ReadObjectAsync(request, cancellationToken);
        CloudflareRequestBody.OnlyAllow(body, "title");
        var title = CloudflareRequestBody.RequiredString(body, "title");
        if (title.Length > 512)
        {
            throw CloudflareException.BadRequest("title must be at most 512 characters.");
        }

        return await store.CreateNamespaceAsync(title, cancellationToken) is { } created
            ? CloudflareResults.Ok(created)
            : throw CloudflareException.BadRequest("a namespace with this account ID and title already exists", KvErrorCodes.DuplicateTitle);
    }

    private static async Task<IResult> GetNamespace(string namespaceId, KvStore store, CancellationToken cancellationToken) =>
        CloudflareResults.Ok(await RequireNamespaceAsync(store, namespaceId, cancellationToken));

    private static async Task<IResult> DeleteNamespace(string namespaceId, KvStore store, CancellationToken cancellationToken) =>
        await store.DeleteNamespaceAsync(namespaceId, cancellationToken)
            ? CloudflareResults.Ok(new { })
            : throw NamespaceNotFound();

    private static async Task<IResult> PutValue(string namespaceId, HttpContext context, KvStore store, CloudflareState state, CancellationToken cancellationToken)
    {
        var key = RequireKey(RawKey(context, namespaceId, "values"));
        var request = context.Request;
        var expiration = ReadExpiration(request.Query["expiration"].ToString(), request.Query["expiration_ttl"].ToString(), state.Now.ToUnixTimeSeconds());
        byte[] value;
        string? metadata = null;
        if (MediaTypeHeaderValue.TryParse(request.ContentType, out var type) && type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            (value, metadata) = await ReadMultipartValueAsync(context, type, cancellationToken);
        }
        else
        {
            value = await ReadLimitedAsync(context, MaxValueBytes, cancellationToken);
        }

        if (!await store.PutAsync(namespaceId, [new KvEntry(key, value, expiration, metadata)], cancellationToken))
        {
            throw NamespaceNotFound();
        }

        await store.CountAsync(namespaceId, cancellationToken);
        return CloudflareResults.Ok(new { });
    }

    private static async Task<IResult> GetValue(string namespaceId, HttpContext context, KvStore store, CancellationToken cancellationToken)
    {
        var key = RequireKey(RawKey(context, namespaceId, "values"));
        await RequireNamespaceAsync(store, namespaceId, cancellationToken);
        await store.CountAsync(namespaceId, cancellationToken);
        var entry = await store.GetAsync(namespaceId, key, cancellationToken) ?? throw KeyNotFound();
        if (entry.Expiration is { } expiration)
        {
            context.Response.Headers["Expiration"] = expiration.ToString(CultureInfo.InvariantCulture);
        }

        return TypedResults.Bytes(entry.Value, "application/octet-stream");
    }

    private static async Task<IResult> DeleteValue(string namespaceId, HttpContext context, KvStore store, CancellationToken cancellationToken)
    {
        var key = RequireKey(RawKey(context, namespaceId, "values"));
        if (!await store.DeleteAsync(namespaceId, [key], cancellationToken))
        {
            throw NamespaceNotFound();
        }

        await store.CountAsync(namespaceId, cancellationToken);
        return CloudflareResults.Ok(new { });
    }

    private static async Task<IResult> GetMetadata(string namespaceId, HttpContext context, KvStore store, CancellationToken cancellationToken)
    {
        var key = RequireKey(RawKey(context, namespaceId, "metadata"));
        await RequireNamespaceAsync(store, namespaceId, cancellationToken);
        await store.CountAsync(namespaceId, cancellationToken);
        var entry = await store.GetAsync(namespaceId, key, cancellationToken) ?? throw KeyNotFound();
        return CloudflareResults.Ok(entry.Metadata is null ? null : JsonNode.Parse(entry.Metadata));
    }

    private static async Task<IResult> ListKeys(string namespaceId, HttpRequest request, KvStore store, CancellationToken cancellationToken)
    {
        var limit = CloudflarePaging.ReadInt(request, "limit", 1000, 10, 1000);
        var cursor = request.Query["cursor"].ToString();
        string? after = null;
        if (cursor.Length > 0)
        {
            try
            {
                after = Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(cursor));
            }
            catch (FormatException)
            {
                throw CloudflareException.BadRequest("The cursor is not valid.", KvErrorCodes.InvalidCursor);
            }
        }

        await RequireNamespaceAsync(store, namespaceId, cancellationToken);
        var keys = await store.ListKeysAsync(namespaceId, request.Query["prefix"].ToString(), after, limit, cancellationToken);
        await store.CountAsync(namespaceId, cancellationToken);
        var page = keys.Take(limit).ToArray();
        var next = keys.Count > limit ? System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(page[^1].Name)) : "";
        var items = page.Select(k =>
        {
            var item = new JsonObject { ["name"] = k.Name };
            if (k.Expiration is { } expiration)
            {
                item["expiration"] = expiration;
            }

            if (k.Metadata is not null)
            {
                item["metadata"] = JsonNode.Parse(k.Metadata);
            }

            return item;
        }).ToArray();
        return CloudflareResults.Ok(items, new CursorResultInfo(next, items.Length, limit));
    }

    private static async Task<IResult> BulkPut(string namespaceId, HttpContext context, KvStore store, CloudflareState state, CancellationToken cancellationToken)
    {
        var now = state.Now.ToUnixTimeSeconds();
        var array = await ReadArrayAsync(context, cancellationToken);
        var entries = new List<KvEntry>(array.Count);
        foreach (var (node, index) in array.Select((n, i) => (n, i)))
        {
            if (node is not JsonObject item)
            {
                throw CloudflareException.BadRequest($"Item {index} must be an object.");
            }

            try
            {
                CloudflareRequestBody.OnlyAllow(item, "key", "value", "base64", "expiration", "expiration_ttl", "metadata");
                var key = RequireKey(CloudflareRequestBody.RequiredString(item, "key"));
                var text = CloudflareRequestBody.OptionalString(item, "value") ?? throw CloudflareException.BadRequest("value is required.");
                var base64 = item["base64"] switch
                {
                    null => false,
                    JsonValue v when v.TryGetValue<bool>(out var b) => b,
                    _ => throw CloudflareException.BadRequest("base64 must be a boolean."),
                };
                byte[] value;
                try
                {
                    value = base64 ? Convert.FromBase64String(text) : Encoding.UTF8.GetBytes(text);
                }
                catch (FormatException)
                {
                    throw CloudflareException.BadRequest("value is not valid base64.");
                }

                if (value.Length > MaxValueBytes)
                {
                    throw new CloudflareException(413, KvErrorCodes.ValueTooLarge, $"Value too large: at most {MaxValueBytes} bytes.");
                }

                var expiration = ReadExpiration(NumberText(item, "expiration"), NumberText(item, "expiration_ttl"), now);
                string? metadata = null;
                if (item.TryGetPropertyValue("metadata", out var metadataNode) && metadataNode is not null)
                {
                    metadata = CheckMetadata(metadataNode.ToJsonString());
                }

                entries.Add(new KvEntry(key, value, expiration, metadata));
            }
            catch (CloudflareException error)
            {
                throw new CloudflareException(error.Status, error.Code, $"Item {index}: {error.Message}");
            }
        }

        if (!await store.PutAsync(namespaceId, entries, cancellationToken))
        {
            throw NamespaceNotFound();
        }

        await store.CountAsync(namespaceId, cancellationToken);
        return CloudflareResults.Ok(new { successful_key_count = entries.Count, unsuccessful_keys = Array.Empty<string>() });
    }

    private static async Task<IResult> BulkDelete(string namespaceId, HttpContext context, KvStore store, CancellationToken cancellationToken)
    {
        var array = await ReadArrayAsync(context, cancellationToken);
        var keys = array.Select((node, index) => node is JsonValue v && v.TryGetValue<string>(out var key)
            ? RequireKey(key)
            : throw CloudflareException.BadRequest($"Item {index} must be a key string.")).ToArray();
        if (!await store.DeleteAsync(namespaceId, keys, cancellationToken))
        {
            throw NamespaceNotFound();
        }

        await store.CountAsync(namespaceId, cancellationToken);
        return CloudflareResults.Ok(new { successful_key_count = keys.Length, unsuccessful_keys = Array.Empty<string>() });
    }

    /// <summary>
    /// The key from the raw request target: KV keys may hold '/' and clients send it as <c>%2F</c>, which routing would
    /// leave encoded, so the key is decoded here exactly once.
    /// </summary>
    private static string RawKey(HttpContext context, string namespaceId, string segment)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.ToUriComponent();
        var query = raw.IndexOf('?', StringComparison.Ordinal);
        var path = query < 0 ? raw : raw[..query];
        var marker = $"/namespaces/{namespaceId}/{segment}/";
        var at = path.IndexOf(marker, StringComparison.Ordinal);
        return at < 0 ? "" : Uri.UnescapeDataString(path[(at + marker.Length)..]);
    }

    private static string RequireKey(string key)
    {
        if (key.Length == 0)
        {
            throw CloudflareException.BadRequest("The key must not be empty.", KvErrorCodes.InvalidKey);
        }

        if (key is "." or "..")
        {
            throw CloudflareException.BadRequest("Illegal key name: '.' and '..' are not allowed.", KvErrorCodes.InvalidKey);
        }

        if (Encoding.UTF8.GetByteCount(key) > MaxKeyBytes)
        {
            throw new CloudflareException(414, KvErrorCodes.KeyTooLong, $"The key is longer than {MaxKeyBytes} bytes.");
        }

        return key;
    }

    /// <summary>
    /// An absolute <c>expiration</c> (seconds since the epoch, at least 60 s ahead) or an <c>expiration_ttl</c>
    /// (at least 60 s), judged against the emulator's clock.
    /// </summary>
    private static long? ReadExpiration(string expiration, string ttl, long now)
    {
        if (expiration.Length > 0 && ttl.Length > 0)
        {
            throw CloudflareException.BadRequest("Give expiration or expiration_ttl, not both.", KvErrorCodes.InvalidExpiration);
        }

        if (ttl.Length > 0)
        {
            if (!long.TryParse(ttl, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds < MinTtlSeconds)
            {
                throw CloudflareException.BadRequest($"Invalid expiration_ttl of {ttl}. Expiration TTL must be at least {MinTtlSeconds}.", KvErrorCodes.InvalidExpiration);
            }

            return now + seconds;
        }

        if (expiration.Length > 0)
        {
            if (!long.TryParse(expiration, NumberStyles.None, CultureInfo.InvariantCulture, out var at) || at < now + MinTtlSeconds)
            {
                throw CloudflareException.BadRequest(
                    $"Invalid expiration of {expiration}. Please specify integer greater than the current number of seconds since the UNIX epoch + {MinTtlSeconds}.",
                    KvErrorCodes.InvalidExpiration);
            }

            return at;
        }

        return null;
    }

    private static string NumberText(JsonObject item, string name) => item[name] switch
    {
        null => "",
        JsonValue v when v.TryGetValue<long>(out var n) => n.ToString(CultureInfo.InvariantCulture),
        _ => throw CloudflareException.BadRequest($"{name} must be an integer.", KvErrorCodes.InvalidExpiration),
    };

    private static string CheckMetadata(string json)
    {
        if (Encoding.UTF8.GetByteCount(json) > MaxMetadataBytes)
        {
            throw CloudflareException.BadRequest($"Metadata is larger than {MaxMetadataBytes} bytes once serialized.", KvErrorCodes.MetadataTooLarge);
        }

        return json;
    }

    private static async Task<(byte[] Value, string? Metadata)> ReadMultipartValueAsync(HttpContext context, MediaTypeHeaderValue type, CancellationToken cancellationToken)
    {
        var boundary = HeaderUtilities.RemoveQuotes(type.Boundary).Value;
        if (string.IsNullOrEmpty(boundary))
        {
            throw CloudflareException.BadRequest("The multipart body has no boundary.");
        }

        AllowBody(context, MaxValueBytes + MaxMetadataBytes + 64 * 1024);
        var reader = new MultipartReader(boundary, context.Request.Body) { BodyLengthLimit = MaxValueBytes };
        byte[]? value = null;
        string? metadata = null;
        try
        {
            while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
            {
                var name = ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    ? HeaderUtilities.RemoveQuotes(disposition.Name).Value
                    : null;
                using var buffer = new MemoryStream();
                await section.Body.CopyToAsync(buffer, cancellationToken);
                switch (name)
                {
                    case "value":
                        value = buffer.ToArray();
                        break;
                    case "metadata":
                        var text = Encoding.UTF8.GetString(buffer.ToArray());
                        try
                        {
                            metadata = CheckMetadata(JsonNode.Parse(text)?.ToJsonString() ?? "null");
                        }
                        catch (JsonException)
                        {
                            throw CloudflareException.BadRequest("metadata must be JSON.", KvErrorCodes.InvalidMetadata);
                        }

                        break;
                    default:
                        throw CloudflareException.BadRequest($"Unexpected multipart part '{name}'; expected value and metadata.");
                }
            }
        }
        catch (InvalidDataException e)
        {
            throw e.Message.Contains("limit", StringComparison.OrdinalIgnoreCase)
                ? new CloudflareException(413, KvErrorCodes.ValueTooLarge, $"Value too large: at most {MaxValueBytes} bytes.")
                : CloudflareException.BadRequest($"Malformed multipart body: {e.Message}");
        }

        return (value ?? throw CloudflareException.BadRequest("The multipart body has no value part."), metadata);
    }

    private static async Task<byte[]> ReadLimitedAsync(HttpContext context, int maxBytes, CancellationToken cancellationToken)
    {
        AllowBody(context, maxBytes + 1L);
        if (context.Request.ContentLength > maxBytes)
        {
            throw new CloudflareException(413, KvErrorCodes.ValueTooLarge, $"Value too large: at most {maxBytes} bytes.");
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > maxBytes)
            {
                throw new CloudflareException(413, KvErrorCodes.ValueTooLarge, $"Value too large: at most {maxBytes} bytes.");
            }
        }

        return buffer.ToArray();
    }

    private static async Task<JsonArray> ReadArrayAsync(HttpContext context, CancellationToken cancellationToken)
    {
        AllowBody(context, MaxBulkBodyBytes);
        byte[] bytes;
        using (var buffer = new MemoryStream())
        {
            await context.Request.Body.CopyToAsync(buffer, cancellationToken);
            bytes = buffer.ToArray();
        }

        JsonArray array;
        try
        {
            array = JsonNode.Parse(bytes) as JsonArray ?? throw CloudflareException.BadRequest("The request body must be a JSON array.");
        }
        catch (JsonException e)
        {
            throw CloudflareException.BadRequest($"Malformed JSON: {e.Message}");
        }

        if (array.Count > MaxBulkItems)
        {
            throw CloudflareException.BadRequest($"At most {MaxBulkItems} items per bulk request.", KvErrorCodes.TooManyBulkItems);
        }

        return array;
    }

    private static void AllowBody(HttpContext context, long bytes)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = bytes;
        }
    }

    private static async Task<KvNamespace> RequireNamespaceAsync(KvStore store, string namespaceId, CancellationToken cancellationToken) =>
        await store.GetNamespaceAsync(namespaceId, cancellationToken) ?? throw NamespaceNotFound();

    private static CloudflareException NamespaceNotFound() =>
        CloudflareException.NotFound(KvErrorCodes.NamespaceNotFound, "namespace not found");

    private static CloudflareException KeyNotFound() =>
        CloudflareException.NotFound(KvErrorCodes.KeyNotFound, "get: 'key not found'");
}

/// <summary>Checks <c>kv_namespace</c> Worker bindings (<c>namespace_id</c>) against existing namespaces.</summary>
internal sealed class KvBindingTarget(KvStore store) : ICloudflareBindingTarget
{
    public string BindingType => "kv_namespace";

    public async Task<string?> CheckAsync(string accountId, JsonObject binding, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(binding);
        var id = binding["namespace_id"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        if (string.IsNullOrEmpty(id))
        {
            return "kv_namespace binding needs namespace_id.";
        }

        return await store.GetNamespaceAsync(id, cancellationToken) is null ? $"KV namespace '{id}' does not exist." : null;
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Nno.Sandbox.Cloudflare.Common;

/// <summary>Reads JSON request bodies; anything malformed is a 400 envelope, never a 5xx.</summary>
public static class CloudflareRequestBody
{
    /// <summary>The largest JSON body the emulator reads (uploads use their own limits).</summary>
    public const int MaxJsonBytes = 1024 * 1024;

    /// <summary>Reads the body as a JSON object.</summary>
    public static async Task<JsonObject> ReadObjectAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentLength > MaxJsonBytes)
        {
            throw new CloudflareException(413, CloudflareErrorCodes.RequestTooLarge, "Request body too large.");
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxJsonBytes)
            {
                throw new CloudflareException(413, CloudflareErrorCodes.RequestTooLarge, "Request body too large.");
            }
        }

        if (buffer.Length == 0)
        {
            throw CloudflareException.BadRequest("The request body must be a JSON object.");
        }

        try
        {
            return JsonNode.Parse(buffer.ToArray()) as JsonObject
                ?? throw CloudflareException.BadRequest("The request body must be a JSON object.");
        }
        catch (JsonException e)
        {
            throw CloudflareException.BadRequest($"Malformed JSON: {e.Message}");
        }
    }

    /// <summary>A required string property (non-empty).</summary>
    public static string RequiredString(JsonObject body, string name)
    {
        ArgumentNullException.ThrowIfNull(body);
        return OptionalString(body, name) is { Length: > 0 } value
            ? value
            : throw CloudflareException.BadRequest($"{name} is required.");
    }

    /// <summary>An optional string property (400 when present with another type).</summary>
    public static string? OptionalString(JsonObject body, string name)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (!body.TryGetPropertyValue(name, out var node) || node is null)
        {
            return null;
        }

        return node is JsonValue value && value.TryGetValue<string>(out var text)
            ? text
            : throw CloudflareException.BadRequest($"{name} must be a string.");
    }

    /// <summary>An optional object property (400 when present with another type).</summary>
    public static JsonObject? OptionalObject(JsonObject body, string name)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (!body.TryGetPropertyValue(name, out var node) || node is null)
        {
            return null;
        }

        return node as JsonObject ?? throw CloudflareException.BadRequest($"{name} must be an object.");
    }

    /// <summary>Rejects properties outside <paramref name="allowed"/> (naming them), like the real API's strict schemas.</summary>
    public static void OnlyAllow(JsonObject body, params string[] allowed)
    {
        ArgumentNullException.ThrowIfNull(body);
        var unknown = body.Select(p => p.Key).Where(k => !allowed.Contains(k, StringComparer.Ordinal)).ToArray();
        if (unknown.Length > 0)
        {
            throw CloudflareException.BadRequest($"Unknown field(s): {string.Join(", ", unknown)}.");
        }
    }
}

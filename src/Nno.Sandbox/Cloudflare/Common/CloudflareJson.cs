using System.Text.Json;
using System.Text.Json.Serialization;

namespace Nno.Sandbox.Cloudflare.Common;

/// <summary>JSON as Cloudflare's API writes it: snake_case names, nulls written.</summary>
public static class CloudflareJson
{
    /// <summary>Options for results inside the envelope (records with PascalCase properties become snake_case).</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>Options of the admin API (camelCase like the spec's knob names; unknown fields rejected).</summary>
    public static JsonSerializerOptions Admin { get; } = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Cloudflare's timestamp format (UTC, microseconds, <c>Z</c>).</summary>
    public static string Timestamp(DateTimeOffset at) =>
        at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);
}

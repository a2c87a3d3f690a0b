using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Nno.Core.Json;

namespace Nno.Registry.Audit;

/// <summary>
/// The <c>details</c> of an audit entry (registry.md §2): field diffs as <c>{"changes":{"name":["old","new"]}}</c>, email
/// addresses masked (<c>a***@example.com</c>), secret-like properties redacted, at most 16 KiB serialised.
/// </summary>
internal static class AuditDetails
{
    public const int MaxBytes = 16 * 1024;

    private static readonly string[] SecretLike = ["secret", "password", "token", "plaintext", "value", "apikey", "privatekey", "credential"];

    /// <summary>A diff entry collector: only fields whose value changed are kept.</summary>
    public static Dictionary<string, object?[]> Changes() => new(StringComparer.Ordinal);

    /// <summary>Adds <paramref name="field"/> to <paramref name="changes"/> when <paramref name="before"/> differs from <paramref name="after"/>.</summary>
    public static void Diff<T>(this Dictionary<string, object?[]> changes, string field, T before, T after)
    {
        ArgumentNullException.ThrowIfNull(changes);
        if (!EqualityComparer<T>.Default.Equals(before, after))
        {
            changes[field] = [before, after];
        }
    }

    /// <summary>
    /// The stored JSON for <paramref name="details"/> (an object): masked, redacted and cut to the size limit. A service's
    /// acting user (attribution only) is added as <c>actingUserId</c>.
    /// </summary>
    public static string Serialize(object? details, string? actingUserId = null)
    {
        var node = details is null ? new JsonObject() : JsonSerializer.SerializeToNode(details, NnoJson.Options) ?? new JsonObject();
        var clean = Sanitize(node, propertyName: null);
        if (actingUserId is not null && clean is JsonObject withActor)
        {
            withActor["actingUserId"] = actingUserId;
        }

        var json = clean.ToJsonString(NnoJson.Options);
        var bytes = Encoding.UTF8.GetByteCount(json);
        if (bytes <= MaxBytes)
        {
            return json;
        }

        // Too large to keep whole: say so, and keep which fields changed so the entry still tells what happened.
        var summary = new JsonObject { ["truncated"] = true, ["originalBytes"] = bytes };
        if (clean is JsonObject obj && obj["changes"] is JsonObject changes)
        {
            summary["changedFields"] = new JsonArray([.. changes.Select(c => (JsonNode?)JsonValue.Create(c.Key))]);
        }

        return summary.ToJsonString(NnoJson.Options);
    }

    /// <summary><c>alice@example.com</c> → <c>a***@example.com</c>; anything else unchanged.</summary>
    public static string MaskEmail(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var at = value.LastIndexOf('@');
        return at > 0 && at < value.Length - 1 && value.IndexOf(' ', StringComparison.Ordinal) < 0
            ? value[0] + "***" + value[at..]
            : value;
    }

    private static JsonNode Sanitize(JsonNode node, string? propertyName)
    {
        switch (node)
        {
            case JsonObject obj:
                var copy = new JsonObject();
                foreach (var (key, child) in obj)
                {
                    copy[key] = IsSecretLike(key) ? JsonValue.Create("[redacted]") : child is null ? null : Sanitize(child, key);
                }

                return copy;
            case JsonArray array:
                return new JsonArray([.. array.Select(item => item is null ? null : Sanitize(item, propertyName))]);
            case JsonValue value when value.TryGetValue<string>(out var text) && text.Contains('@', StringComparison.Ordinal):
                return JsonValue.Create(MaskEmail(text));
            default:
                return node.DeepClone();
        }
    }

    private static bool IsSecretLike(string key)
    {
        var lower = key.ToLowerInvariant().Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal);
        return SecretLike.Any(s => lower == s || lower.EndsWith(s, StringComparison.Ordinal)) && lower is not "tokenexpiresat";
    }
}

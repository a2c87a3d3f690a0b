using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Nno.Storage;

/// <summary>
/// Cloudflare KV's rules for keys, values, metadata, expirations and cursors, shared by every implementation so they
/// accept and refuse the same requests.
/// </summary>
internal static partial class KvRules
{
    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamespaceName();

    public static void ValidateNamespace(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!NamespaceName().IsMatch(name))
        {
            throw new ArgumentException($"Invalid KV namespace name '{name}': 1-64 characters of [A-Za-z0-9_-].", nameof(name));
        }
    }

    public static void ValidateKey(string key, KvOptions options)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length == 0 || key is "." or "..")
        {
            throw new ArgumentException("A KV key must not be empty, \".\" or \"..\".", nameof(key));
        }

        if (Encoding.UTF8.GetByteCount(key) > options.MaxKeyBytes)
        {
            throw new ArgumentException($"A KV key is at most {options.MaxKeyBytes} bytes of UTF-8.", nameof(key));
        }
    }

    public static void ValidateValue(ReadOnlyMemory<byte> value, KvOptions options)
    {
        if (value.Length > options.MaxValueBytes)
        {
            throw new ArgumentException($"A KV value is at most {options.MaxValueBytes} bytes.", nameof(value));
        }
    }

    /// <summary>The metadata as stored JSON text, or null.</summary>
    public static string? SerializeMetadata(KvPutOptions? put, KvOptions options)
    {
        if (put?.Metadata is not { } metadata || metadata.ValueKind == JsonValueKind.Undefined)
        {
            return null;
        }

        var text = metadata.GetRawText();
        if (Encoding.UTF8.GetByteCount(text) > options.MaxMetadataBytes)
        {
            throw new ArgumentException($"KV metadata is at most {options.MaxMetadataBytes} bytes of serialized JSON.", nameof(put));
        }

        return text;
    }

    public static JsonElement? ParseMetadata(string? text)
    {
        if (text is null)
        {
            return null;
        }

        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    /// <summary>The absolute expiry of a put, or null; refuses both forms at once, the past, and less than the minimum TTL.</summary>
    public static DateTimeOffset? ResolveExpiration(KvPutOptions? put, DateTimeOffset now, KvOptions options)
    {
        if (put is null || (put.Expiration is null && put.ExpirationTtl is null))
        {
            return null;
        }

        if (put.Expiration is not null && put.ExpirationTtl is not null)
        {
            throw new ArgumentException("Give either Expiration or ExpirationTtl, not both.", nameof(put));
        }

        var expiresAt = put.Expiration ?? now + put.ExpirationTtl!.Value;
        if (expiresAt - now < options.MinimumTtl || expiresAt <= now)
        {
            throw new ArgumentOutOfRangeException(nameof(put), $"A KV expiration must be at least {options.MinimumTtl.TotalSeconds:0} s in the future.");
        }

        return expiresAt;
    }

    public static int ResolveLimit(KvListOptions? list, KvOptions options)
    {
        var limit = list?.Limit ?? options.MaxListLimit;
        if (limit < 1 || limit > options.MaxListLimit)
        {
            throw new ArgumentOutOfRangeException(nameof(list), $"A KV list limit is 1-{options.MaxListLimit}.");
        }

        return limit;
    }

    /// <summary>A cursor names the last key of the previous page, opaquely.</summary>
    public static string EncodeCursor(string lastKey) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(lastKey));

    public static string DecodeCursor(string cursor)
    {
        try
        {
            return Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
        }
        catch (FormatException ex)
        {
            throw new ArgumentException("Invalid KV list cursor.", nameof(cursor), ex);
        }
    }
}

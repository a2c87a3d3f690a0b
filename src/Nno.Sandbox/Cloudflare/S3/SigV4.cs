using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Nno.Sandbox.Cloudflare.S3;

/// <summary>The pieces of AWS Signature Version 4 that the S3 surface recomputes to check a request.</summary>
internal static class SigV4
{
    public const string Algorithm = "AWS4-HMAC-SHA256";
    public const string EmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    public static byte[] SigningKey(string secret, string date, string region, string service)
    {
        var kDate = Hmac(Encoding.UTF8.GetBytes("AWS4" + secret), date);
        var kRegion = Hmac(kDate, region);
        var kService = Hmac(kRegion, service);
        return Hmac(kService, "aws4_request");
    }

    public static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    public static string HexHmac(byte[] key, string data) => Convert.ToHexStringLower(Hmac(key, data));

    public static string HexSha256(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(SHA256.HashData(data));

    public static string HexSha256(string text) => HexSha256(Encoding.UTF8.GetBytes(text));

    /// <summary>
    /// RFC 3986 encoding as SigV4 wants it: unreserved characters stay, everything else is %XX (upper hex) of its UTF-8
    /// bytes; '/' stays only in paths.
    /// </summary>
    public static string UriEncode(string value, bool keepSlash)
    {
        var sb = new StringBuilder(value.Length + 8);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_' or '.' or '~'
                || (keepSlash && c == '/'))
            {
                sb.Append(c);
            }
            else
            {
                sb.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return sb.ToString();
    }

    /// <summary>
    /// The canonical URI of a raw request path: each segment decoded once and re-encoded, so a client that encoded a
    /// character the canonical form keeps (or the reverse) still matches. S3 does not double-encode.
    /// </summary>
    public static string CanonicalUri(string rawPath)
    {
        if (rawPath.Length == 0)
        {
            return "/";
        }

        var segments = rawPath.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            segments[i] = UriEncode(Uri.UnescapeDataString(segments[i]), keepSlash: false);
        }

        return string.Join('/', segments);
    }

    /// <summary>Query pairs decoded, re-encoded, sorted by name then value (ordinal), joined with '&amp;'.</summary>
    public static string CanonicalQuery(string rawQuery)
    {
        var query = rawQuery.StartsWith('?') ? rawQuery[1..] : rawQuery;
        if (query.Length == 0)
        {
            return string.Empty;
        }

        var pairs = new List<(string Name, string Value)>();
        foreach (var part in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            var name = eq < 0 ? part : part[..eq];
            var value = eq < 0 ? string.Empty : part[(eq + 1)..];
            pairs.Add((UriEncode(Decode(name), keepSlash: false), UriEncode(Decode(value), keepSlash: false)));
        }

        pairs.Sort((a, b) =>
        {
            var byName = string.CompareOrdinal(a.Name, b.Name);
            return byName != 0 ? byName : string.CompareOrdinal(a.Value, b.Value);
        });
        return string.Join('&', pairs.Select(p => p.Name + "=" + p.Value));
    }

    /// <summary>A header value as SigV4 canonicalizes it: trimmed, inner runs of spaces collapsed to one.</summary>
    public static string CanonicalHeaderValue(string value)
    {
        var trimmed = value.Trim();
        var sb = new StringBuilder(trimmed.Length);
        var lastSpace = false;
        foreach (var c in trimmed)
        {
            var space = c == ' ';
            if (space && lastSpace)
            {
                continue;
            }

            sb.Append(c);
            lastSpace = space;
        }

        return sb.ToString();
    }

    // '+' in a query is a literal plus for SigV4 clients (they encode spaces as %20).
    private static string Decode(string s) => Uri.UnescapeDataString(s);
}

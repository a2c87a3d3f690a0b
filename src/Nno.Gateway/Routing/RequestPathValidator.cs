using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Nno.Gateway.Routing;

/// <summary>
/// Rejects path tricks before routing (gateway.md §3.5, §6): <c>.</c>/<c>..</c> segments (also percent-encoded), empty
/// segments (<c>//</c>), encoded <c>/</c>, <c>\</c> or NUL, literal backslashes or control characters, and invalid
/// percent-encoding. It reads the raw request target, because servers normalise dot segments in the decoded path.
/// </summary>
internal static class RequestPathValidator
{
    /// <summary>The raw path of the request target (without query), as the client sent it.</summary>
    public static ReadOnlySpan<char> RawPath(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(raw))
        {
            return context.Request.Path.Value;
        }

        var span = raw.AsSpan();
        var query = span.IndexOf('?');
        if (query >= 0)
        {
            span = span[..query];
        }

        if (span.Length > 0 && span[0] != '/')
        {
            // Absolute form (http://host/path): the path starts at the first slash after the authority.
            var scheme = span.IndexOf("://", StringComparison.Ordinal);
            if (scheme >= 0)
            {
                var afterAuthority = span[(scheme + 3)..];
                var slash = afterAuthority.IndexOf('/');
                span = slash >= 0 ? afterAuthority[slash..] : "/";
            }
        }

        return span;
    }

    /// <summary>Null when <paramref name="rawPath"/> is well formed, else what is wrong with it.</summary>
    public static string? FindProblem(ReadOnlySpan<char> rawPath)
    {
        if (rawPath.IsEmpty || rawPath[0] != '/')
        {
            return "must start with /";
        }

        var rest = rawPath[1..];
        while (true)
        {
            var end = rest.IndexOf('/');
            var segment = end >= 0 ? rest[..end] : rest;
            if (segment.IsEmpty && end >= 0)
            {
                return "must not contain empty segments (//)";
            }

            var problem = SegmentProblem(segment);
            if (problem is not null)
            {
                return problem;
            }

            if (end < 0)
            {
                return null;
            }

            rest = rest[(end + 1)..];
        }
    }

    private static string? SegmentProblem(ReadOnlySpan<char> segment)
    {
        var dots = 0;
        var others = 0;
        for (var i = 0; i < segment.Length; i++)
        {
            var c = segment[i];
            if (c == '%')
            {
                if (i + 2 >= segment.Length)
                {
                    return "contains invalid percent-encoding";
                }

                var hi = HexValue(segment[i + 1]);
                var lo = HexValue(segment[i + 2]);
                if (hi < 0 || lo < 0)
                {
                    return "contains invalid percent-encoding";
                }

                var value = (hi << 4) | lo;
                if (value is '/' or '\\' or 0)
                {
                    return "must not encode /, \\ or NUL";
                }

                if (value == '.')
                {
                    dots++;
                }
                else
                {
                    others++;
                }

                i += 2;
            }
            else if (c == '\\' || char.IsControl(c))
            {
                return "must not contain backslashes or control characters";
            }
            else if (c == '.')
            {
                dots++;
            }
            else
            {
                others++;
            }
        }

        return others == 0 && dots is 1 or 2 ? "must not contain . or .. segments" : null;
    }

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}

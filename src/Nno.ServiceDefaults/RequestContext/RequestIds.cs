using System.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace Nno.ServiceDefaults.RequestContext;

/// <summary>The request and trace id of one request (00-system §7, gateway.md §4.2).</summary>
public sealed record RequestIds(string RequestId, string TraceId)
{
    public const string RequestIdHeader = "X-Request-Id";
    public const string TraceIdHeader = "X-Trace-Id";
    public const string TraceParentHeader = "traceparent";

    /// <summary>True when <paramref name="value"/> is 1–128 chars of <c>[A-Za-z0-9._-]</c>.</summary>
    public static bool IsValid(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > 128)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Resolves the ids of an incoming request: each kept when valid, else new. A missing or invalid trace id is the
    /// trace-id of a valid W3C <c>traceparent</c>, else the current activity's (gateway.md §4.2).
    /// </summary>
    public static RequestIds Resolve(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var requestId = request.Headers[RequestIdHeader].ToString();
        if (!IsValid(requestId))
        {
            requestId = Guid.NewGuid().ToString();
        }

        var traceId = request.Headers[TraceIdHeader].ToString();
        if (!IsValid(traceId) && !TryGetTraceParentTraceId(request.Headers[TraceParentHeader].ToString(), out traceId))
        {
            traceId = Activity.Current?.TraceId.ToHexString() ?? ActivityTraceId.CreateRandom().ToHexString();
        }

        return new RequestIds(requestId, traceId);
    }

    /// <summary>
    /// The trace-id of a valid W3C <c>traceparent</c> (<c>version-traceid-parentid-flags</c>, lower-case hex, neither id
    /// all zeros, version not <c>ff</c>; later versions may append fields).
    /// </summary>
    public static bool TryGetTraceParentTraceId(string? traceParent, out string traceId)
    {
        traceId = string.Empty;
        var value = traceParent.AsSpan().Trim();
        if (value.Length < 55 || (value.Length > 55 && (value[..2] is "00" || value[55] != '-')))
        {
            return false;
        }

        if (value[2] != '-' || value[35] != '-' || value[52] != '-' || value[..2] is "ff"
            || !IsLowerHex(value[..2]) || !IsLowerHex(value.Slice(3, 32)) || !IsLowerHex(value.Slice(36, 16)) || !IsLowerHex(value.Slice(53, 2))
            || !value.Slice(3, 32).ContainsAnyExcept('0') || !value.Slice(36, 16).ContainsAnyExcept('0'))
        {
            return false;
        }

        traceId = value.Slice(3, 32).ToString();
        return true;
    }

    private static bool IsLowerHex(ReadOnlySpan<char> value)
    {
        foreach (var c in value)
        {
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f'))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>Access to the current request's ids.</summary>
public static class RequestIdsExtensions
{
    private static readonly object Key = new();

    public static void SetRequestIds(this HttpContext context, RequestIds ids) => context.Items[Key] = ids;

    /// <summary>The ids resolved by the request-id middleware (or resolved now when it has not run).</summary>
    public static RequestIds GetRequestIds(this HttpContext context)
    {
        if (context.Items.TryGetValue(Key, out var value) && value is RequestIds ids)
        {
            return ids;
        }

        ids = RequestIds.Resolve(context.Request);
        context.Items[Key] = ids;
        return ids;
    }
}

using System.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace Nno.ServiceDefaults.RequestContext;

/// <summary>The request and trace id of one request (00-system §7, gateway.md §4.2).</summary>
public sealed record RequestIds(string RequestId, string TraceId)
{
    public const string RequestIdHeader = "X-Request-Id";
    public const string TraceIdHeader = "X-Trace-Id";

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

    /// <summary>Resolves the ids of an incoming request: kept when valid, else new (trace id from the current activity).</summary>
    public static RequestIds Resolve(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var requestId = request.Headers[RequestIdHeader].ToString();
        if (!IsValid(requestId))
        {
            requestId = Guid.NewGuid().ToString();
        }

        var traceId = request.Headers[TraceIdHeader].ToString();
        if (!IsValid(traceId))
        {
            traceId = Activity.Current?.TraceId.ToHexString() ?? ActivityTraceId.CreateRandom().ToHexString();
        }

        return new RequestIds(requestId, traceId);
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

using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Nno.ServiceDefaults.RequestContext;

/// <summary>Resolves the request/trace ids, echoes them on every response and puts them in every log line of the request.</summary>
public sealed class RequestIdMiddleware(RequestDelegate next, ILogger<RequestIdMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var ids = RequestIds.Resolve(context.Request);
        context.SetRequestIds(ids);
        // Upstream code that forwards the request sees the resolved values.
        context.Request.Headers[RequestIds.RequestIdHeader] = ids.RequestId;
        context.Request.Headers[RequestIds.TraceIdHeader] = ids.TraceId;
        context.Response.OnStarting(static state =>
        {
            var (ctx, rid) = ((HttpContext, RequestIds))state;
            ctx.Response.Headers[RequestIds.RequestIdHeader] = rid.RequestId;
            ctx.Response.Headers[RequestIds.TraceIdHeader] = rid.TraceId;
            return Task.CompletedTask;
        }, (context, ids));

        using (logger.BeginScope(new RequestScope(ids)))
        {
            await next(context);
        }
    }

    /// <summary>Logging scope carrying the ids; the NDJSON formatter writes them as top-level fields.</summary>
    public sealed class RequestScope(RequestIds ids) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public RequestIds Ids { get; } = ids;

        public int Count => 2;

        public KeyValuePair<string, object?> this[int index] => index switch
        {
            0 => new("requestId", Ids.RequestId),
            1 => new("traceId", Ids.TraceId),
            _ => throw new ArgumentOutOfRangeException(nameof(index)),
        };

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            yield return this[0];
            yield return this[1];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => $"requestId={Ids.RequestId} traceId={Ids.TraceId}";
    }
}

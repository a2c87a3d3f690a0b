using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Nno.Gateway.Pipeline;
using Nno.ServiceDefaults.RequestContext;

namespace Nno.Gateway.AccessLog;

/// <summary>
/// Wraps everything after request ids and error handling (gateway.md §4.1 step 2): starts the request's
/// <see cref="GatewayRequest"/>, counts response bytes, and writes one JSON access-log line when the response completes
/// (gateway.md §4.12): info below 500, error from 500, debug for <c>/health*</c>.
/// </summary>
internal sealed class AccessLogMiddleware(RequestDelegate next, ILoggerFactory loggerFactory)
{
    /// <summary>The log category of access-log lines.</summary>
    public const string Category = "Nno.Gateway.AccessLog";

    private const int MaxUserAgentLength = 256;
    private static readonly EventId RequestCompleted = new(1800, "RequestCompleted");
    private readonly ILogger _logger = loggerFactory.CreateLogger(Category);
    private Func<object, Task>? _onCompleted;

    public Task InvokeAsync(HttpContext context)
    {
        var state = new GatewayRequest(Stopwatch.GetTimestamp(), ClientIp(context.Connection.RemoteIpAddress));
        context.Features.Set(state);
        var body = new CountingResponseBody(context.Features.GetRequiredFeature<IHttpResponseBodyFeature>(), context, state);
        context.Features.Set<IHttpResponseBodyFeature>(body);
        // One delegate for the middleware's lifetime; the per-request state travels as the callback's argument.
        context.Response.OnCompleted(_onCompleted ??= s =>
        {
            var counted = (CountingResponseBody)s;
            Write(counted.Context, counted.Request, counted.BytesWritten);
            return Task.CompletedTask;
        }, body);
        return next(context);
    }

    private static string? ClientIp(IPAddress? address) =>
        address is null ? null : (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();

    private void Write(HttpContext context, GatewayRequest state, long responseBytes)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "/";
        var status = context.Response.StatusCode;
        var level = path.StartsWith("/health", StringComparison.Ordinal) ? LogLevel.Debug
            : status >= 500 ? LogLevel.Error
            : LogLevel.Information;
        if (!_logger.IsEnabled(level))
        {
            return;
        }

        var userAgent = request.Headers.UserAgent.ToString();
        if (userAgent.Length > MaxUserAgentLength)
        {
            userAgent = userAgent[..MaxUserAgentLength];
        }

        var entry = new AccessLogEntry(
            request.Method,
            path,
            state.PublicRoute?.LogRoute ?? state.Route?.PublicPrefix ?? (state.IsOwnEndpoint ? "gateway" : null),
            status,
            state.ErrorCode,
            Math.Round(Stopwatch.GetElapsedTime(state.StartTimestamp).TotalMilliseconds, 2),
            state.Route?.Service,
            state.UpstreamStatus,
            state.UpstreamMs is { } ms ? Math.Round(ms, 2) : null,
            state.Principal,
            state.Identity?.UserId,
            state.TargetPlatformId,
            state.Identity?.KeyId,
            state.ClientIp,
            userAgent.Length == 0 ? null : userAgent,
            state.RequestBytes,
            responseBytes,
            state.RateLimit is { Allowed: false } rejected ? rejected.Bucket.Name : null);

        // OnCompleted runs after the request-id scope closed; reopen it so the line carries requestId and traceId.
        using (_logger.BeginScope(new RequestIdMiddleware.RequestScope(context.GetRequestIds())))
        {
            _logger.Log(level, RequestCompleted, entry, null, static (e, _) => e.ToString());
        }
    }
}

using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Nno.Core.Errors;
using Nno.Gateway.Pipeline;
using Yarp.ReverseProxy.Forwarder;

namespace Nno.Gateway.Forwarding;

/// <summary>
/// Wraps YARP's forwarder (the proxy pipeline) and maps what went wrong to the envelope (gateway.md §4.10, §3.5):
/// connect failure → 503 with <c>Retry-After: 5</c>, timeout → 504, reset or invalid response → 502, a body over the
/// route limit → 413. Failures after the response started abort the connection (the forwarder does that) and are logged.
/// </summary>
internal sealed partial class UpstreamFailureMiddleware(RequestDelegate next, GatewayMetrics metrics, ILogger<UpstreamFailureMiddleware> logger)
{
    public const int ConnectRetryAfterSeconds = 5;

    public async Task InvokeAsync(HttpContext context)
    {
        var state = context.GetGatewayRequest()!;
        var route = state.Route!;
        state.UpstreamStartTimestamp = Stopwatch.GetTimestamp();
        await next(context);

        if (state.Failure is { } failure)
        {
            await GatewayErrors.WriteAsync(context, failure);
            return;
        }

        var error = context.Features.Get<IForwarderErrorFeature>();
        if (error is null || error.Error == ForwarderError.None)
        {
            if (!context.Response.HasStarted && context.Response.StatusCode >= 400 && context.Response.ContentLength is null && context.Response.ContentType is null)
            {
                // An upstream error without a body passes through as it is; starting the response keeps the gateway's
                // error handling from dressing it as a gateway error.
                await context.Response.StartAsync(context.RequestAborted);
            }

            return;
        }

        var service = route.Service;
        var exception = error.Exception;
        switch (error.Error)
        {
            case ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled when context.RequestAborted.IsCancellationRequested:
                // The client went away; nobody is left to answer.
                return;

            case ForwarderError.RequestBodyClient when state.BodyLimitExceeded:
                await GatewayErrors.WriteAsync(context, BodyLimitMiddleware.TooLarge(route.BodyLimitBytes));
                return;

            case ForwarderError.RequestBodyClient:
                await Write(context, new GatewayFailure(ErrorCodes.ValidationError, "The request body could not be read.",
                    new { fields = new Dictionary<string, string[]> { ["body"] = ["could not be read"] } }));
                return;

            case ForwarderError.Request or ForwarderError.RequestCreation or ForwarderError.NoAvailableDestinations or ForwarderError.RequestTimedOut
                when IsConnectFailure(exception) || error.Error == ForwarderError.NoAvailableDestinations:
                Count(service, UpstreamErrorKind.Connect, exception);
                await Write(context, new GatewayFailure(ErrorCodes.ServiceUnavailable, $"The {service} service is unavailable; retry shortly.",
                    new { service }, ConnectRetryAfterSeconds));
                return;

            case ForwarderError.RequestTimedOut:
                Count(service, UpstreamErrorKind.Timeout, exception);
                await Write(context, new GatewayFailure(ErrorCodes.UpstreamTimeout,
                    $"The {service} service did not answer within {route.Timeout.TotalSeconds:0.###} s.", new { service }));
                return;

            case ForwarderError.RequestBodyDestination or ForwarderError.RequestBodyCanceled:
                Count(service, UpstreamErrorKind.RequestBody, exception);
                await Write(context, UpstreamResponseRewriter.BadGateway(service));
                return;

            case ForwarderError.ResponseBodyCanceled or ForwarderError.ResponseBodyClient or ForwarderError.ResponseBodyDestination:
                Count(service, UpstreamErrorKind.ResponseBody, exception);
                await Write(context, UpstreamResponseRewriter.BadGateway(service));
                return;

            default:
                Count(service, UpstreamErrorKind.BadResponse, exception);
                await Write(context, UpstreamResponseRewriter.BadGateway(service));
                return;
        }
    }

    /// <summary>Writes <paramref name="failure"/>, or aborts when the response already started (status cannot change).</summary>
    private static Task Write(HttpContext context, GatewayFailure failure)
    {
        if (context.Response.HasStarted)
        {
            context.Abort();
            return Task.CompletedTask;
        }

        return GatewayErrors.WriteAsync(context, failure);
    }

    private void Count(string service, string kind, Exception? exception)
    {
        metrics.UpstreamError(service, kind);
        LogUpstreamFailure(logger, service, kind, exception?.GetType().Name, exception?.GetBaseException().Message);
    }

    /// <summary>Refused, DNS, connect timeout, or no in-memory host: the upstream was never reached.</summary>
    private static bool IsConnectFailure(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.ProxyTunnelError }:
                case SocketException:
                // SocketsHttpHandler reports its ConnectTimeout as a cancellation caused by a TimeoutException.
                case TimeoutException:
                    return true;
                case AggregateException aggregate:
                    return aggregate.InnerExceptions.Any(IsConnectFailure);
            }
        }

        return false;
    }

    [LoggerMessage(1830, LogLevel.Warning, "Upstream {Upstream} failed ({Kind}): {ExceptionType}: {Reason}")]
    private static partial void LogUpstreamFailure(ILogger logger, string upstream, string kind, string? exceptionType, string? reason);
}

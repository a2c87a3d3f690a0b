using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Nno.Core.Errors;
using Nno.Gateway.Pipeline;
using Nno.ServiceDefaults.Security;

namespace Nno.Gateway.ServiceTokens;

/// <summary>
/// Step 7 of gateway.md §4.1: attaches the gateway's service token to every forwarded request, public routes included
/// (§4.9). Without a usable token the request is answered 503 <c>SERVICE_UNAVAILABLE</c> with <c>Retry-After: 5</c>.
/// </summary>
internal sealed partial class ServiceTokenMiddleware(RequestDelegate next, ILogger<ServiceTokenMiddleware> logger, IServiceTokenProvider? tokens = null)
{
    public const int RetryAfterSeconds = 5;

    // The header value for the current token, rebuilt only when the token changes (every few minutes).
    private volatile CachedHeader? _cached;

    public Task InvokeAsync(HttpContext context)
    {
        var state = context.GetGatewayRequest()!;
        if (state.Route is null)
        {
            return next(context);
        }

        if (tokens is null)
        {
            return RefuseAsync(context, ApiException.Unavailable("The gateway has no service-token provider.", RetryAfterSeconds));
        }

        ValueTask<string> pending;
        try
        {
            pending = tokens.GetTokenAsync(context.RequestAborted);
        }
        catch (Exception ex) when (IsTokenFailure(ex, context))
        {
            return RefuseAsync(context, ex);
        }

        // The token is cached, so this normally completes at once and no state machine is needed.
        if (pending.IsCompletedSuccessfully)
        {
            Attach(context, pending.Result);
            return next(context);
        }

        return AwaitTokenAsync(context, pending);
    }

    private async Task AwaitTokenAsync(HttpContext context, ValueTask<string> pending)
    {
        string token;
        try
        {
            token = await pending;
        }
        catch (Exception ex) when (IsTokenFailure(ex, context))
        {
            await RefuseAsync(context, ex);
            return;
        }

        Attach(context, token);
        await next(context);
    }

    private static bool IsTokenFailure(Exception ex, HttpContext context) =>
        ex is ApiException or HttpRequestException or TimeoutException && !context.RequestAborted.IsCancellationRequested;

    private Task RefuseAsync(HttpContext context, Exception ex)
    {
        LogNoToken(logger, ex.GetType().Name, ex.Message);
        return GatewayErrors.WriteAsync(context, ErrorCodes.ServiceUnavailable, "The gateway cannot obtain its service token; retry shortly.",
            retryAfterSeconds: RetryAfterSeconds);
    }

    private void Attach(HttpContext context, string token)
    {
        var cached = _cached;
        if (cached is null || !ReferenceEquals(cached.Token, token))
        {
            cached = new CachedHeader(token, new AuthenticationHeaderValue("Bearer", token).ToString());
            _cached = cached;
        }

        context.Request.Headers.Authorization = cached.Header;
    }

    [LoggerMessage(1810, LogLevel.Warning, "No service token available ({ExceptionType}: {Reason}); proxied requests answer 503.")]
    private static partial void LogNoToken(ILogger logger, string exceptionType, string reason);

    private sealed record CachedHeader(string Token, string Header);
}

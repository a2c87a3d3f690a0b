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

    public async Task InvokeAsync(HttpContext context)
    {
        var state = context.GetGatewayRequest()!;
        if (state.Route is null)
        {
            await next(context);
            return;
        }

        string token;
        try
        {
            token = tokens is null
                ? throw ApiException.Unavailable("The gateway has no service-token provider.", RetryAfterSeconds)
                : await tokens.GetTokenAsync(context.RequestAborted);
        }
        catch (Exception ex) when (ex is ApiException or HttpRequestException or TimeoutException && !context.RequestAborted.IsCancellationRequested)
        {
            LogNoToken(logger, ex.GetType().Name, ex.Message);
            await GatewayErrors.WriteAsync(context, ErrorCodes.ServiceUnavailable, "The gateway cannot obtain its service token; retry shortly.",
                retryAfterSeconds: RetryAfterSeconds);
            return;
        }

        var cached = _cached;
        if (cached is null || !ReferenceEquals(cached.Token, token))
        {
            cached = new CachedHeader(token, new AuthenticationHeaderValue("Bearer", token).ToString());
            _cached = cached;
        }

        context.Request.Headers.Authorization = cached.Header;
        await next(context);
    }

    [LoggerMessage(1810, LogLevel.Warning, "No service token available ({ExceptionType}: {Reason}); proxied requests answer 503.")]
    private static partial void LogNoToken(ILogger logger, string exceptionType, string reason);

    private sealed record CachedHeader(string Token, string Header);
}

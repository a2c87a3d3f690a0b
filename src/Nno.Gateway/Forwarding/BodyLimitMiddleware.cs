using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Nno.Core.Errors;
using Nno.Gateway.Pipeline;
using Nno.ServiceDefaults.Limits;

namespace Nno.Gateway.Forwarding;

/// <summary>
/// Step 4 of gateway.md §4.1: the route's body limit. A declared <c>Content-Length</c> over the limit is answered 413 before
/// anything is read; other bodies are counted while they stream (<see cref="LimitedRequestStream"/>). With both
/// <c>Content-Length</c> and <c>Transfer-Encoding</c> the length is dropped (chunked wins, gateway.md §6).
/// </summary>
internal sealed class BodyLimitMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var state = context.GetGatewayRequest()!;
        if (state.Route is not { } route)
        {
            return next(context);
        }

        var request = context.Request;
        var headers = request.Headers;
        if (headers.ContentLength is not null && headers.ContainsKey("Transfer-Encoding"))
        {
            headers.ContentLength = null;
        }

        var limit = route.BodyLimitBytes;
        if (headers.ContentLength > limit)
        {
            return GatewayErrors.WriteAsync(context, TooLarge(limit));
        }

        var canHaveBody = context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody
            ?? (headers.ContentLength > 0 || headers.ContainsKey("Transfer-Encoding"));
        if (canHaveBody)
        {
            // The gateway enforces the route's own limit (5 MiB for cli) instead of the server-wide one.
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } serverLimit)
            {
                serverLimit.MaxRequestBodySize = null;
            }

            request.Body = new LimitedRequestStream(request.Body, limit, state);
        }

        return next(context);
    }

    public static GatewayFailure TooLarge(long limit) =>
        new(ErrorCodes.PayloadTooLarge, $"The request body is larger than this route accepts ({limit} bytes).", new { limitBytes = limit });
}

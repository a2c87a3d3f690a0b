using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Nno.Core.Errors;
using Nno.Gateway.Pipeline;
using Nno.Gateway.Routing;

namespace Nno.Gateway.Cors;

/// <summary>
/// CORS (gateway.md §4.1 step 3, §4.11), between path validation and route match. A preflight (<c>OPTIONS</c> with
/// <c>Origin</c> and <c>Access-Control-Request-Method</c>) to a well-formed path ends here, whatever the path: 204 with
/// the allowed methods and headers for an allowed origin and method, else 403 <c>FORBIDDEN</c> without CORS headers;
/// never authenticated, rate limited or forwarded. Any other request from an allowed origin is marked
/// (<see cref="GatewayRequest.AllowedOrigin"/>) so its response, errors included, carries the CORS headers
/// (<see cref="CorsResponseHeaders"/>); other origins are served without them.
/// </summary>
internal sealed class GatewayCorsMiddleware(RequestDelegate next, GatewayCorsPolicy policy)
{
    public Task InvokeAsync(HttpContext context)
    {
        var headers = context.Request.Headers;
        var origin = headers.Origin;
        if (StringValues.IsNullOrEmpty(origin))
        {
            return next(context);
        }

        var allowed = policy.Match(origin);
        if (HttpMethods.IsOptions(context.Request.Method) && headers.ContainsKey(Microsoft.Net.Http.Headers.HeaderNames.AccessControlRequestMethod))
        {
            return Preflight(context, allowed, headers.AccessControlRequestMethod);
        }

        if (allowed is not null)
        {
            context.GetGatewayRequest()!.AllowedOrigin = allowed;
        }

        return next(context);
    }

    private Task Preflight(HttpContext context, string? allowed, StringValues method)
    {
        context.GetGatewayRequest()!.IsPreflight = true;
        if (RequestPathValidator.FindProblem(RequestPathValidator.RawPath(context)) is not null)
        {
            // Path validation comes first: route match answers the malformed path with 400.
            return next(context);
        }

        if (allowed is null)
        {
            return GatewayErrors.WriteAsync(context, ErrorCodes.Forbidden, "Cross-origin requests from this origin are not allowed.");
        }

        if (!GatewayCorsPolicy.IsAllowedMethod(method))
        {
            return GatewayErrors.WriteAsync(context, ErrorCodes.Forbidden, "The requested method is not allowed for cross-origin requests.");
        }

        var response = context.Response;
        response.StatusCode = StatusCodes.Status204NoContent;
        var responseHeaders = response.Headers;
        responseHeaders.AccessControlAllowOrigin = allowed;
        responseHeaders.Vary = "Origin";
        responseHeaders.AccessControlAllowMethods = GatewayCorsPolicy.AllowedMethods;
        responseHeaders.AccessControlAllowHeaders = GatewayCorsPolicy.AllowedHeaders;
        responseHeaders.AccessControlMaxAge = policy.MaxAge;
        return Task.CompletedTask;
    }
}

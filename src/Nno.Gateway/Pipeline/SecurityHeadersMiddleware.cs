using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Nno.Gateway.Cors;
using Nno.ServiceDefaults.Hosting;

namespace Nno.Gateway.Pipeline;

/// <summary>
/// Adds the headers every gateway response carries, errors included (gateway.md §4.8): <c>X-Content-Type-Options</c>,
/// <c>Referrer-Policy</c> and, in <c>stg</c>/<c>prod</c>, <c>Strict-Transport-Security</c>; and, as the response starts
/// (so they survive error responses and upstream responses alike), the <c>RateLimit-*</c> headers of the request's
/// buckets (§4.7) and the CORS response headers (§4.11). The request-id middleware adds <c>X-Request-Id</c> and
/// <c>X-Trace-Id</c>.
/// </summary>
internal sealed class SecurityHeadersMiddleware(RequestDelegate next, IOptions<NnoOptions> options)
{
    private readonly bool _strictTransportSecurity = options.Value.Environment is "stg" or "prod";

    public Task InvokeAsync(HttpContext context)
    {
        context.Response.OnStarting(_strictTransportSecurity ? AddWithHsts : AddWithoutHsts, context);
        return next(context);
    }

    private static readonly Func<object, Task> AddWithoutHsts = static state =>
    {
        var context = (HttpContext)state;
        Add(context);
        CorsResponseHeaders.Apply(context);
        return Task.CompletedTask;
    };

    private static readonly Func<object, Task> AddWithHsts = static state =>
    {
        var context = (HttpContext)state;
        Add(context);
        context.Response.Headers.StrictTransportSecurity = "max-age=31536000";
        CorsResponseHeaders.Apply(context);
        return Task.CompletedTask;
    };

    private static void Add(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        if (context.GetGatewayRequest()?.RateLimit is { } rateLimit)
        {
            RateLimiting.RateLimitResponses.AddHeaders(headers, rateLimit);
        }
    }
}

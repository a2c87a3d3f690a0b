using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Nno.ServiceDefaults.Hosting;

namespace Nno.Gateway.Pipeline;

/// <summary>
/// Adds the headers every gateway response carries, errors included (gateway.md §4.8): <c>X-Content-Type-Options</c>,
/// <c>Referrer-Policy</c> and, in <c>stg</c>/<c>prod</c>, <c>Strict-Transport-Security</c>. The request-id middleware
/// adds <c>X-Request-Id</c> and <c>X-Trace-Id</c>.
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
        Add(((HttpContext)state).Response.Headers);
        return Task.CompletedTask;
    };

    private static readonly Func<object, Task> AddWithHsts = static state =>
    {
        var headers = ((HttpContext)state).Response.Headers;
        Add(headers);
        headers.StrictTransportSecurity = "max-age=31536000";
        return Task.CompletedTask;
    };

    private static void Add(IHeaderDictionary headers)
    {
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
    }
}

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Nno.Gateway.TrustedProxies;

/// <summary>
/// Step 1 of gateway.md §4.1: resolves the client IP. ASP.NET Core's <see cref="ForwardedHeadersMiddleware"/> walks
/// <c>X-Forwarded-For</c> from the right while the hop it came from (first the socket address) lies in
/// <c>Gateway:TrustedProxies</c>, and stops at the first untrusted or unparsable hop; <c>X-Forwarded-Proto</c> is taken
/// from the same trusted hops. <c>X-Forwarded-Host</c> is never honoured. With no trusted proxy the middleware is not
/// run at all (with empty lists it would trust every sender), so the socket address is the client IP.
/// </summary>
internal sealed class TrustedProxyMiddleware
{
    private readonly RequestDelegate _handler;

    public TrustedProxyMiddleware(RequestDelegate next, IOptions<TrustedProxyOptions> options, ILoggerFactory loggerFactory)
    {
        var networks = options.Value.ParseNetworks();
        if (networks.Count == 0)
        {
            _handler = next;
            return;
        }

        var forwarded = new ForwardedHeadersOptions
        {
            ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto,
            // Every trusted hop is walked, however many there are; the first untrusted one ends the walk.
            ForwardLimit = null,
        };
        // The defaults trust loopback; only the configured networks count.
        forwarded.KnownProxies.Clear();
        forwarded.KnownIPNetworks.Clear();
        foreach (var network in networks)
        {
            forwarded.KnownIPNetworks.Add(network);
        }

        _handler = new ForwardedHeadersMiddleware(next, loggerFactory, Options.Create(forwarded)).Invoke;
    }

    public Task InvokeAsync(HttpContext context) => _handler(context);
}

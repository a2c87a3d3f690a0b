using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Nno.Core.Identity;
using Nno.Gateway.Authentication;
using Nno.Gateway.Pipeline;
using Nno.ServiceDefaults.RequestContext;

namespace Nno.Gateway.Forwarding;

/// <summary>
/// Step 7 of gateway.md §4.1, request side: removes everything the client may not send upstream (every <c>X-Nno-*</c>
/// header, <c>Authorization</c>, <c>Cookie</c>, <c>Proxy-Authorization</c>, hop-by-hop headers), then writes the
/// identity headers of §4.5 for the resolved principal and a <c>traceparent</c> naming the gateway's span as parent.
/// <c>X-Forwarded-*</c> and the destination <c>Host</c> come from the forwarder's transforms.
/// </summary>
internal sealed class UpstreamRequestHeadersMiddleware(RequestDelegate next)
{
    public const string IdentityHeaderPrefix = "X-Nno-";

    public Task InvokeAsync(HttpContext context)
    {
        var state = context.GetGatewayRequest()!;
        if (state.Route is null)
        {
            return next(context);
        }

        var headers = context.Request.Headers;
        RemoveIdentityHeaders(headers);
        HopByHopHeaders.RemoveFromRequest(headers);
        headers.Remove("Authorization");
        headers.Remove("Cookie");
        // Left by the trusted-proxy step (the chain it replaced); upstreams get the one resolved client IP only.
        headers.Remove("X-Original-For");
        headers.Remove("X-Original-Proto");
        headers.Remove("X-Original-Host");

        // Authentication always sets the identity of a routed request; anonymous is the public-route principal.
        foreach (var (name, value) in (state.Identity ?? ResolvedPrincipal.Anonymous).Headers)
        {
            headers[name] = value;
        }

        headers[NnoIdentityHeaders.ClientIp] = state.ClientIp ?? string.Empty;

        if (Activity.Current is { IdFormat: ActivityIdFormat.W3C } activity)
        {
            headers[RequestIds.TraceParentHeader] = activity.Id;
            if (activity.TraceStateString is { Length: > 0 } traceState)
            {
                headers["tracestate"] = traceState;
            }
            else
            {
                headers.Remove("tracestate");
            }
        }

        return next(context);
    }

    private static void RemoveIdentityHeaders(IHeaderDictionary headers)
    {
        List<string>? forged = null;
        foreach (var header in headers)
        {
            if (header.Key.StartsWith(IdentityHeaderPrefix, StringComparison.OrdinalIgnoreCase))
            {
                (forged ??= []).Add(header.Key);
            }
        }

        if (forged is null)
        {
            return;
        }

        foreach (var name in forged)
        {
            headers.Remove(name);
        }
    }
}

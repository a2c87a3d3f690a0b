using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Nno.Gateway.Routing;
using Nno.ServiceDefaults.Bindings;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Transforms;

namespace Nno.Gateway.Forwarding;

/// <summary>
/// The YARP routes and clusters built in code from the routing table (gateway.md §4.10): one route and one cluster per
/// table row, path rewritten with <c>PathRemovePrefix</c> + <c>PathPrefix</c>, the row's timeout as the cluster's
/// activity timeout (until response headers, then as the body's idle timeout).
/// </summary>
internal static class GatewayProxyConfiguration
{
    public const string ForwardedPrefixHeader = "X-Forwarded-Prefix";

    /// <summary>An in-memory YARP configuration for <paramref name="table"/>.</summary>
    public static InMemoryConfigProvider Create(GatewayRouteTable table, ServiceBindingOptions bindings)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(bindings);
        var routes = new List<RouteConfig>();
        var clusters = new List<ClusterConfig>();
        foreach (var route in table.Routes)
        {
            var config = new RouteConfig
            {
                RouteId = route.Name,
                ClusterId = route.Name,
                // The catch-all is optional, so the bare prefix (empty {rest}) matches too. Case and sibling prefixes are
                // decided before routing by the fixed prefix table.
                Match = new RouteMatch { Path = route.PublicPrefix + "/{**rest}" },
            }.WithTransformPathRemovePrefix(route.PublicPrefix);
            if (route.UpstreamBase.Length > 0)
            {
                config = config.WithTransformPathPrefix(route.UpstreamBase);
            }

            routes.Add(config);
            clusters.Add(new ClusterConfig
            {
                ClusterId = route.Name,
                Destinations = new Dictionary<string, DestinationConfig>(StringComparer.Ordinal)
                {
                    [route.Service] = new() { Address = ServiceBindingRegistration.BaseAddress(route.Service, bindings).ToString() },
                },
                HttpRequest = new ForwarderRequestConfig
                {
                    ActivityTimeout = route.Timeout,
                    Version = HttpVersion.Version11,
                    VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
                },
            });
        }

        return new InMemoryConfigProvider(routes, clusters);
    }

    /// <summary>Per-route transforms: <c>X-Forwarded-*</c> (the prefix is the public one) and the response rewrite.</summary>
    public static void AddTransforms(IReverseProxyBuilder proxy)
    {
        proxy.AddTransforms(context =>
        {
            var table = context.Services.GetRequiredService<GatewayRouteTable>();
            var rewriter = context.Services.GetRequiredService<UpstreamResponseRewriter>();
            var route = table.Get(context.Route.RouteId);

            context.UseDefaultForwarders = false;
            context.AddXForwardedFor(action: ForwardedTransformActions.Set);
            context.AddXForwardedProto(action: ForwardedTransformActions.Set);
            context.AddXForwardedHost(action: ForwardedTransformActions.Set);
            context.AddRequestHeader(ForwardedPrefixHeader, route.PublicPrefix, append: false);
            // Runs after the path transforms of the route; the query goes out exactly as the client sent it.
            context.AddRequestTransform(transform =>
            {
                transform.ProxyRequest.RequestUri = DestinationUri.Create(transform.DestinationPrefix, transform.Path, transform.HttpContext.Request.QueryString);
                return ValueTask.CompletedTask;
            });
            context.AddResponseTransform(transform => rewriter.ApplyAsync(transform, route));
        });
    }
}

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nno.Core.Services;
using Nno.Gateway.AccessLog;
using Nno.Gateway.Authentication;
using Nno.Gateway.Cors;
using Nno.Gateway.Forwarding;
using Nno.Gateway.OpenApi;
using Nno.Gateway.Pipeline;
using Nno.Gateway.PlatformStatus;
using Nno.Gateway.RateLimiting;
using Nno.Gateway.Routing;
using Nno.Gateway.ServiceTokens;
using Nno.Gateway.TrustedProxies;
using Nno.ServiceDefaults.Bindings;
using Nno.ServiceDefaults.Health;
using Nno.ServiceDefaults.Hosting;
using Nno.ServiceDefaults.Logging;
using Nno.Storage;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Nno.Gateway;

/// <summary>The gateway service: how the host adds it and maps its endpoints.</summary>
public static class GatewayService
{
    /// <summary>
    /// The module the host builds into its own application. The gateway's callers are clients, not services, so it does
    /// not run the service-token principal middleware; its own pipeline (gateway.md §4.1) runs before routing.
    /// </summary>
    public static NnoServiceModule Module { get; } = new(NnoServices.GatewayInfo, b => b.AddGateway(), a => a.MapGateway())
    {
        AcceptsServiceTokens = false,
        UseBeforeRouting = app => app.UseGatewayPipeline(),
    };

    public static IHostApplicationBuilder AddGateway(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;

        // YARP logs destination URLs with query strings at Information; the access log replaces them (gateway.md §4.12).
        builder.Logging.HoldAtWarning("Yarp");

        services.AddOptions<GatewayRoutingOptions>()
            .BindConfiguration(GatewayRoutingOptions.Section)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<GatewayRoutingOptions>, GatewayRoutingOptionsValidator>();
        services.AddSingleton<GatewayRouteTable>();
        services.AddSingleton<GatewayMetrics>();
        services.AddSingleton<UpstreamResponseRewriter>();
        services.AddGatewayAuthentication();
        services.AddTrustedProxies();
        services.AddGatewayCors();
        // The PLATFORM_STATUS KV (read only): embedded SQLite here; distributed mode registers its Redis store instead.
        services.AddNnoEmbeddedStorage();
        services.AddGatewayPlatformStatus();
        services.AddGatewayRateLimiting();

        var proxy = services.AddReverseProxy();
        GatewayProxyConfiguration.AddTransforms(proxy);
        services.AddSingleton<IProxyConfigProvider>(sp =>
            GatewayProxyConfiguration.Create(sp.GetRequiredService<GatewayRouteTable>(), sp.GetRequiredService<ServiceBindingOptions>()));
        services.Replace(ServiceDescriptor.Singleton<IForwarderHttpClientFactory, ServiceForwarderHttpClientFactory>());

        services.AddHealthChecks().AddCheck<ServiceTokenHealthCheck>(ServiceTokenHealthCheck.Name, tags: [HealthEndpoints.ReadyTag]);
        services.Configure<OpenApiOptions>("v1", o => o.AddDocumentTransformer<GatewayOpenApiTransformer>());
        return builder;
    }

    public static IEndpointRouteBuilder MapGateway(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // A pipeline of its own instead of YARP's default: one destination per cluster needs no load balancing,
        // affinity or health checks; the failure middleware turns forwarder errors into envelopes.
        app.MapReverseProxy(proxy => proxy.UseMiddleware<UpstreamFailureMiddleware>());
        return app;
    }

    /// <summary>
    /// The gateway's middleware, after request ids and error handling (gateway.md §4.1): access log, response headers,
    /// path validation and route match, body limit, authentication, upstream headers and service token. The API-key scope
    /// check, the platform status check and rate limiting slot in between authentication and the upstream headers.
    /// </summary>
    public static IApplicationBuilder UseGatewayPipeline(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // First: the access log, X-Nno-Client-Ip and the upstream's X-Forwarded-For read the resolved client IP.
        app.UseMiddleware<TrustedProxyMiddleware>();
        app.UseMiddleware<AccessLogMiddleware>();
        app.UseMiddleware<SecurityHeadersMiddleware>();
        // CORS sits between path validation and route match (§4.1 step 3): it validates a preflight's path itself.
        app.UseMiddleware<GatewayCorsMiddleware>();
        app.UseMiddleware<RouteMatchMiddleware>();
        app.UseMiddleware<BodyLimitMiddleware>();
        app.UseMiddleware<AuthenticationMiddleware>();
        app.UseMiddleware<ScopeCheckMiddleware>();
        app.UseMiddleware<PlatformStatusMiddleware>();
        app.UseMiddleware<RateLimitMiddleware>();
        app.UseMiddleware<UpstreamRequestHeadersMiddleware>();
        app.UseMiddleware<ServiceTokenMiddleware>();
        return app;
    }
}

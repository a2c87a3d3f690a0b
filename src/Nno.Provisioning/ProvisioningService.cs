using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Nno.Core.Services;
using Nno.ServiceDefaults.Hosting;

namespace Nno.Provisioning;

/// <summary>The provisioning service: how the host adds it and maps its endpoints.</summary>
public static class ProvisioningService
{
    /// <summary>The module the host builds into its own application.</summary>
    public static NnoServiceModule Module { get; } = new(NnoServices.ProvisioningInfo, b => b.AddProvisioning(), a => a.MapProvisioning());

    public static IHostApplicationBuilder AddProvisioning(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder;
    }

    public static IEndpointRouteBuilder MapProvisioning(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app;
    }
}

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Nno.Provisioning.Cloudflare;
using Nno.Provisioning.Data;
using Nno.Core.Services;
using Nno.ServiceDefaults.Data;
using Nno.ServiceDefaults.Hosting;
using Nno.ServiceDefaults.Idempotency;
using Nno.Storage;

namespace Nno.Provisioning;

/// <summary>The provisioning service: how the host adds it and maps its endpoints.</summary>
public static class ProvisioningService
{
    /// <summary>The module the host builds into its own application.</summary>
    public static NnoServiceModule Module { get; } = new(NnoServices.ProvisioningInfo, b => b.AddProvisioning(), a => a.MapProvisioning());

    public static IHostApplicationBuilder AddProvisioning(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddNnoDatabase<ProvisioningDbContext>(ProvisioningDbContext.DatabaseName);
        builder.Services.AddNnoIdempotency<ProvisioningDbContext>();
        // Embedded KV namespaces and queues (Redis/RabbitMQ in distributed mode, same interfaces).
        builder.Services.AddNnoEmbeddedStorage();
        builder.Services.AddCloudflare();
        return builder;
    }

    public static IEndpointRouteBuilder MapProvisioning(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app;
    }
}

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Nno.Registry.Data;
using Nno.Core.Services;
using Nno.ServiceDefaults.Data;
using Nno.ServiceDefaults.Hosting;
using Nno.ServiceDefaults.Idempotency;
using Nno.Storage;

namespace Nno.Registry;

/// <summary>The registry service: how the host adds it and maps its endpoints.</summary>
public static class RegistryService
{
    /// <summary>The module the host builds into its own application.</summary>
    public static NnoServiceModule Module { get; } = new(NnoServices.RegistryInfo, b => b.AddRegistry(), a => a.MapRegistry());

    public static IHostApplicationBuilder AddRegistry(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddNnoDatabase<RegistryDbContext>(RegistryDbContext.DatabaseName);
        builder.Services.AddNnoIdempotency<RegistryDbContext>();
        // Embedded KV namespaces and queues (Redis/RabbitMQ in distributed mode, same interfaces).
        builder.Services.AddNnoEmbeddedStorage();
        return builder;
    }

    public static IEndpointRouteBuilder MapRegistry(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app;
    }
}

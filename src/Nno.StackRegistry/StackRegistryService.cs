using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Nno.StackRegistry.Data;
using Nno.Core.Services;
using Nno.ServiceDefaults.Data;
using Nno.ServiceDefaults.Hosting;
using Nno.ServiceDefaults.Idempotency;

namespace Nno.StackRegistry;

/// <summary>The stack-registry service: how the host adds it and maps its endpoints.</summary>
public static class StackRegistryService
{
    /// <summary>The module the host builds into its own application.</summary>
    public static NnoServiceModule Module { get; } = new(NnoServices.StackRegistryInfo, b => b.AddStackRegistry(), a => a.MapStackRegistry());

    public static IHostApplicationBuilder AddStackRegistry(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddNnoDatabase<MarketplaceDbContext>(MarketplaceDbContext.DatabaseName);
        builder.Services.AddNnoIdempotency<MarketplaceDbContext>();
        return builder;
    }

    public static IEndpointRouteBuilder MapStackRegistry(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app;
    }
}

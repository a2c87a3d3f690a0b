using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Nno.Core.Ids;
using Nno.Core.Services;
using Nno.ServiceDefaults.Data;
using Nno.ServiceDefaults.Hosting;
using Nno.ServiceDefaults.Idempotency;
using Nno.StackRegistry.Data;
using Nno.StackRegistry.Paging;
using Nno.StackRegistry.Seeds;
using Nno.StackRegistry.Templates;
using Nno.StackRegistry.Versions;

namespace Nno.StackRegistry;

/// <summary>The stack-registry service: how the host adds it and maps its endpoints.</summary>
public static class StackRegistryService
{
    /// <summary>The module the host builds into its own application.</summary>
    public static NnoServiceModule Module { get; } = new(NnoServices.StackRegistryInfo, b => b.AddStackRegistry(), a => a.MapStackRegistry());

    public static IHostApplicationBuilder AddStackRegistry(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;

        // The database first: its migration step must run before the seed catalogue reads tables at start.
        services.AddNnoDatabase<MarketplaceDbContext>(MarketplaceDbContext.DatabaseName);
        services.AddNnoIdempotency<MarketplaceDbContext>();
        services.TryAddSingleton<IIdGenerator>(RandomIdGenerator.Instance);
        services.AddSingleton<StackIds>();
        services.AddSingleton<StackCursors>();
        services.AddSingleton<DefinitionCache>();
        services.AddScoped<TemplateCatalogue>();
        services.AddScoped<VersionCatalogue>();
        services.AddSeedCatalogue();
        return builder;
    }

    public static IEndpointRouteBuilder MapStackRegistry(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapStacks();
        return app;
    }
}

using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Nno.Core.Naming;
using Nno.Registry.Builds;
using Nno.Registry.Environments;
using Nno.Registry.Features;
using Nno.Registry.Resources;
using Nno.Registry.Stacks;
using Nno.Registry.Templates;
using Nno.ServiceDefaults.Hosting;

namespace Nno.Registry.Objects;

/// <summary>
/// The platform objects' read routes (registry.md §3.6–§3.8), Provisioning's report routes (§3.8) and the Stack Registry
/// template check (§3.6), added to the Registry with one line each in <see cref="RegistryService"/>.
/// </summary>
internal static class ObjectsRegistration
{
    public static IServiceCollection AddRegistryObjects(this IServiceCollection services)
    {
        services.AddScoped<StackRegistryClient>();
        services.AddScoped<StackTemplateCheck>();
        services.TryAddSingleton(sp =>
        {
            var nno = sp.GetRequiredService<IOptions<NnoOptions>>().Value;
            return new HostnameBuilder(nno.CoreDomain, nno.PlatformDomain);
        });
        return services;
    }

    public static IEndpointRouteBuilder MapRegistryObjects(this IEndpointRouteBuilder app)
    {
        app.MapStackReads();
        app.MapFeatureReads();
        app.MapResources();
        app.MapDnsRecords();
        app.MapCustomDomainReadsAndReports();
        app.MapBuildStateReads();
        app.MapEnvironmentReads();
        app.MapStackWrites();
        app.MapFeatureWrites();
        app.MapCustomDomainWrites();
        app.MapEnvironmentWrites();
        return app;
    }
}

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Nno.Core.Ids;
using Nno.Core.Services;
using Nno.Registry.Access;
using Nno.Registry.Audit;
using Nno.Registry.Data;
using Nno.Registry.Entities;
using Nno.Registry.Iam;
using Nno.Registry.Kv;
using Nno.Registry.Lifecycle;
using Nno.Registry.Objects;
using Nno.Registry.Outbox;
using Nno.Registry.Ownership;
using Nno.Registry.Paging;
using Nno.Registry.Platforms;
using Nno.Registry.Provisioning;
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
        var services = builder.Services;

        // The database first: its migration step must run before anything that reads tables at start.
        services.AddNnoDatabase<RegistryDbContext>(RegistryDbContext.DatabaseName);
        services.AddNnoIdempotency<RegistryDbContext>();
        services.AddOptions<RegistryOptions>().BindConfiguration(RegistryOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddHostedService<AuditRetentionTriggerAtStart>();
        services.TryAddSingleton<IIdGenerator>(RandomIdGenerator.Instance);
        services.AddSingleton<RegistryIds>();
        services.AddSingleton<OutboxSignal>();
        services.AddSingleton<RegistryCursors>();
        services.AddScoped<PlatformAccess>();
        services.AddScoped<RegistryUnitOfWork>();
        services.AddScoped<PlatformLifecycle>();
        services.AddScoped<IamMemberships>();
        services.AddRegistryObjects();
        services.Configure<RouteOptions>(options => options.SetParameterPolicy<PlatformIdRouteConstraint>(PlatformIdRouteConstraint.Name));
        services.AddTransient<IStartupFilter, MalformedPlatformIdStartupFilter>();

        // Embedded KV namespaces and queues (Redis/RabbitMQ in distributed mode, same interfaces).
        services.AddNnoEmbeddedStorage();

        // The outbox relay and its senders (registry.md §4.2), the PLATFORM_STATUS KV and its reconciliation.
        services.AddRegistryOutbox();
        services.AddRegistryPlatformStatusKv();
        services.AddRegistryIamSenders();
        services.AddRegistryProvisioning();

        // The lifecycle sweep (period end, cancelled retention, purge, transfer expiry) and the audit retention (§4.6).
        services.AddRegistryLifecycleSweep();
        return builder;
    }

    public static IEndpointRouteBuilder MapRegistry(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPlatforms();
        app.MapLifecycle();
        app.MapAudit();
        app.MapOwnershipTransfer();
        app.MapEntities();
        app.MapRegistryObjects();
        app.MapRegistryProvisioning();
        return app;
    }
}

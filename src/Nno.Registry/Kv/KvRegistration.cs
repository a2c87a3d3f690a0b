using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Nno.Registry.Data;
using Nno.Registry.Outbox;
using Nno.ServiceDefaults.Health;
using Nno.ServiceDefaults.Jobs;

namespace Nno.Registry.Kv;

/// <summary>Registers the <c>kv.platform_status</c> sender, the KV reconciliation (start + periodic) and the KV readiness check.</summary>
internal static class KvRegistration
{
    public static IServiceCollection AddRegistryPlatformStatusKv(this IServiceCollection services)
    {
        services.AddOptions<KvReconciliationOptions>().BindConfiguration(KvReconciliationOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOutboxSender<PlatformStatusKvSender>();
        services.TryAddSingleton<KvReconciler>();
        services.TryAddSingleton<KvReconciliationAtStart>();
        services.AddHostedService(sp => sp.GetRequiredService<KvReconciliationAtStart>());
        services.AddNnoPeriodicJob<RegistryDbContext, KvReconciliationJob>(
            KvReconciliationJob.Name, sp => TimeSpan.FromMinutes(sp.GetRequiredService<IOptions<KvReconciliationOptions>>().Value.KvReconcileMinutes));
        services.AddHealthChecks().AddCheck<PlatformStatusKvHealthCheck>(PlatformStatusKvHealthCheck.Name, tags: [HealthEndpoints.ReadyTag]);
        return services;
    }
}

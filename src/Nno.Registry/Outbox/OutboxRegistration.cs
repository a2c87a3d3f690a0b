using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Nno.Registry.Data;
using Nno.ServiceDefaults.Health;
using Nno.ServiceDefaults.Jobs;

namespace Nno.Registry.Outbox;

/// <summary>Registers the outbox relay, its wake-up signal, metric, purge job and readiness check, and the senders.</summary>
internal static class OutboxRegistration
{
    public static IServiceCollection AddRegistryOutbox(this IServiceCollection services)
    {
        services.AddOptions<OutboxOptions>().BindConfiguration(OutboxOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.RetryBase <= o.RetryCap, "Registry:Outbox:RetryBase must not exceed RetryCap.").ValidateOnStart();
        services.AddMetrics();
        services.TryAddSingleton<OutboxSignal>();
        services.TryAddSingleton<IOutboxSignal>(sp => sp.GetRequiredService<OutboxSignal>());
        services.TryAddSingleton<OutboxPendingCounts>();
        services.TryAddSingleton<OutboxMetrics>();
        services.TryAddSingleton<OutboxRelay>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxRelay>());
        services.AddNnoPeriodicJob<RegistryDbContext, OutboxPurgeJob>(OutboxPurgeJob.Name, sp => sp.GetRequiredService<IOptions<OutboxOptions>>().Value.PurgeInterval);
        services.AddHealthChecks().AddCheck<OutboxRelayHealthCheck>(OutboxRelayHealthCheck.Name, tags: [HealthEndpoints.ReadyTag]);
        return services;
    }

    /// <summary>Registers the sender of one outbox kind: the relay starts claiming that kind's rows.</summary>
    public static IServiceCollection AddOutboxSender<TSender>(this IServiceCollection services)
        where TSender : class, IOutboxSender
    {
        services.TryAddEnumerable(ServiceDescriptor.Scoped<IOutboxSender, TSender>());
        return services;
    }
}

using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Nno.Registry.Data;
using Nno.Registry.Outbox;
using Nno.ServiceDefaults.Jobs;

namespace Nno.Registry.Provisioning;

/// <summary>The Provisioning binding, the <c>provisioning.*</c> outbox senders, job tracking and the job watcher.</summary>
internal static class ProvisioningRegistration
{
    public static IServiceCollection AddRegistryProvisioning(this IServiceCollection services)
    {
        services.AddScoped<ProvisioningClient>();
        services.AddOutboxSender<ActivateStackSender>();
        services.AddOutboxSender<DeactivateStackSender>();
        services.AddOutboxSender<ActivateFeatureSender>();
        services.AddOutboxSender<DeactivateFeatureSender>();
        services.AddOutboxSender<AddCustomDomainSender>();
        services.AddOutboxSender<RemoveCustomDomainSender>();
        services.AddOutboxSender<DeprovisionSender>();
        services.AddOptions<JobWatcherOptions>().BindConfiguration(JobWatcherOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddNnoPeriodicJob<RegistryDbContext, JobWatcher>(
            JobWatcher.Name, sp => TimeSpan.FromSeconds(sp.GetRequiredService<IOptions<JobWatcherOptions>>().Value.JobWatcherSeconds));
        return services;
    }

    public static IEndpointRouteBuilder MapRegistryProvisioning(this IEndpointRouteBuilder app)
    {
        app.MapProvisionEvents();
        return app;
    }
}

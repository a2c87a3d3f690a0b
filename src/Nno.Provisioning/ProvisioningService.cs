using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Nno.Core.Ids;
using Nno.Core.Naming;
using Nno.Core.Services;
using Nno.Provisioning.Api;
using Nno.Provisioning.Cloudflare;
using Nno.Provisioning.Data;
using Nno.Provisioning.Health;
using Nno.Provisioning.Jobs;
using Nno.Provisioning.Outbox;
using Nno.Provisioning.Steps;
using Nno.ServiceDefaults.Data;
using Nno.ServiceDefaults.Hosting;
using Nno.ServiceDefaults.Idempotency;
using Nno.ServiceDefaults.Jobs;
using Nno.Storage;

namespace Nno.Provisioning;

/// <summary>The provisioning service: how the host adds it and maps its endpoints.</summary>
public static class ProvisioningService
{
    /// <summary>The module the host builds into its own application.</summary>
    public static NnoServiceModule Module { get; } = new(NnoServices.ProvisioningInfo, b => b.AddProvisioning(), a => a.MapProvisioning());

    /// <summary>Batches of <c>provision-queue</c> handled at once.</summary>
    public const int ProvisionConsumerConcurrency = 8;

    public static IHostApplicationBuilder AddProvisioning(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddNnoDatabase<ProvisioningDbContext>(ProvisioningDbContext.DatabaseName);
        services.AddNnoIdempotency<ProvisioningDbContext>();
        services.AddOptions<ProvisioningOptions>().BindConfiguration(ProvisioningOptions.Section).ValidateDataAnnotations()
            .Validate<Bundles.BundleCatalogue>(
                (o, catalogue) => string.IsNullOrEmpty(o.AuthWorkerVersion) || catalogue.FindAuthWorker(o.AuthWorkerVersion) is not null,
                "Provisioning:AuthWorkerVersion names an auth Worker bundle that is not shipped.")
            .ValidateOnStart();
        // Embedded KV namespaces and queues (Redis/RabbitMQ in distributed mode, same interfaces); provision-queue and
        // provision-dlq are preset from provisioning.md §4.4 in Nno:Storage.
        services.AddNnoEmbeddedStorage();
        // A job holds its batch while it runs: several batches at once, so one long job never stalls the queue (the
        // global limit, counted from leases, bounds the real work).
        services.PostConfigure<NnoStorageOptions>(o =>
        {
            if (o.Queues.TryGetValue(QueueNames.Provision, out var queue) && queue.MaxConcurrency < ProvisionConsumerConcurrency)
            {
                queue.MaxConcurrency = ProvisionConsumerConcurrency;
            }
        });
        // The Cloudflare client, request budget, R2 bulk deleter, bundles and D1 migrations (provisioning.md §5, §4.6, §4.7).
        services.AddCloudflare();
        services.AddProvisioningReadiness();
        services.TryAddSingleton<IIdGenerator>(RandomIdGenerator.Instance);
        services.TryAddSingleton(sp =>
        {
            var nno = sp.GetRequiredService<IOptions<NnoOptions>>().Value;
            return new HostnameBuilder(nno.CoreDomain, nno.PlatformDomain);
        });
        services.AddMetrics();
        services.AddSingleton<ProvisioningCursors>();
        services.AddSingleton<OutboxSignal>();
        services.AddSingleton<ExecutorIdentity>();
        services.AddSingleton<ProvisioningMetrics>();
        services.AddSingleton<JobTransitions>();
        services.AddSingleton<JobQueue>();
        services.AddSingleton<JobStepsCatalog>();
        services.AddScoped<JobEnqueuer>();
        services.AddScoped<JobCreator>();
        services.AddScoped<JobRetries>();
        services.AddScoped<JobExecutor>();
        services.AddScoped<DeadLetterHandler>();

        // Cloudflare, S3, bundle and migration failures as step failures (§4.4).
        services.AddSingleton<IStepErrorClassifier, Steps.Common.StepErrorClassifier>();

        // One file per job type behind the catalogue (a later registration of a type replaces an earlier one).
        services.AddSingleton<IJobSteps, ProvisionPlatformSteps>();
        services.AddSingleton<IJobSteps, DeprovisionSteps>();
        services.AddSingleton<IJobSteps, RedeployAuthWorkerSteps>();
        services.AddSingleton<IJobSteps, ActivateFeatureSteps>();
        services.AddSingleton<IJobSteps, DeactivateFeatureSteps>();
        services.AddSingleton<IJobSteps, ActivateStackSteps>();
        services.AddSingleton<IJobSteps, DeactivateStackSteps>();
        services.AddSingleton<IJobSteps, AddCustomDomainSteps>();
        services.AddSingleton<IJobSteps, RemoveCustomDomainSteps>();

        // The consumers (§4.4), the sweeper (§4.5) and the Registry outbox (§4.8).
        services.AddQueueConsumer(QueueNames.Provision, sp => new ProvisionQueueHandler(sp.GetRequiredService<IServiceScopeFactory>()));
        services.AddQueueConsumer(QueueNames.ProvisionDeadLetter, sp => new DeadLetterBatchHandler(sp.GetRequiredService<IServiceScopeFactory>()));
        services.AddNnoPeriodicJob<ProvisioningDbContext, JobSweeper>(JobSweeper.Name, sp => TimeSpan.FromSeconds(sp.GetRequiredService<IOptions<ProvisioningOptions>>().Value.SweepSeconds));
        services.TryAddSingleton<JobLeases<ProvisioningDbContext>>();
        // The SSL poller (§4.5): hostnames whose certificate is not active yet.
        services.AddNnoPeriodicJob<ProvisioningDbContext, Steps.Domains.SslPoller>(Steps.Domains.SslPoller.Name, sp => TimeSpan.FromSeconds(sp.GetRequiredService<IOptions<ProvisioningOptions>>().Value.SslPollSeconds));
        services.AddHostedService<RegistryOutboxDispatcher>();
        return builder;
    }

    public static IEndpointRouteBuilder MapProvisioning(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapProvisionJobs();
        app.MapJobReads();
        app.MapProvisionSecrets();
        return app;
    }
}

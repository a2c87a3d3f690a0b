using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Nno.ServiceDefaults.Health;
using Nno.ServiceDefaults.Security;
using Nno.Storage;

namespace Nno.Provisioning.Health;

/// <summary>
/// The readiness checks of provisioning.md §3 beyond the database (added by the data layer) and the Cloudflare budget
/// store (added with the Cloudflare client): the job queue and IAM's key set. A failing one makes <c>/health/ready</c>
/// answer 503 naming it in <c>checks</c>.
/// </summary>
internal static class ProvisioningReadiness
{
    public static IServiceCollection AddProvisioningReadiness(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<JobQueueReadyCheck>(JobQueueReadyCheck.Name, HealthStatus.Unhealthy, [HealthEndpoints.ReadyTag])
            .AddCheck<IamKeySetReadyCheck>(IamKeySetReadyCheck.Name, HealthStatus.Unhealthy, [HealthEndpoints.ReadyTag]);
        return services;
    }
}

/// <summary><c>queue</c>: <c>provision-queue</c> answers a stats read.</summary>
internal sealed class JobQueueReadyCheck(IQueueStore queues) : IHealthCheck
{
    public const string Name = "queue";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var stats = await queues.GetStatsAsync(QueueNames.Provision, cancellationToken);
            return HealthCheckResult.Healthy(data: new Dictionary<string, object> { ["available"] = stats.Available, ["inFlight"] = stats.InFlight, ["delayed"] = stats.Delayed });
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("provision-queue cannot be read.", ex);
        }
    }
}

/// <summary><c>iamKeys</c>: IAM's key set (which verifies service tokens) can be had; a lookup answering "unavailable" means it cannot.</summary>
internal sealed class IamKeySetReadyCheck(IServiceTokenKeySource keys) : IHealthCheck
{
    public const string Name = "iamKeys";

    // A kid no key set holds: the lookup says whether a current key set was consulted, without needing a real token.
    private const string ProbeKid = "nno-readiness-probe";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var lookup = await keys.FindAsync(ProbeKid, cancellationToken);
        return lookup.Status == ServiceTokenKeyStatus.Unavailable
            ? HealthCheckResult.Unhealthy("IAM's key set cannot be fetched.")
            : HealthCheckResult.Healthy();
    }
}

using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Nno.Registry.Outbox;

/// <summary>Readiness check <c>outboxRelay</c> (registry.md §3.1): the relay's loop runs and no pass has hung.</summary>
internal sealed class OutboxRelayHealthCheck(OutboxRelay relay) : IHealthCheck
{
    public const string Name = "outboxRelay";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(relay.IsAlive ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("The outbox relay is not running."));
}

using Microsoft.Extensions.Diagnostics.HealthChecks;
using Nno.Core.Platforms;
using Nno.Storage;

namespace Nno.Registry.Kv;

/// <summary>
/// Readiness check <c>platformStatusKv</c> (registry.md §3.1 "KV reachable"): one read of the key of the id the Registry
/// never issues (<c>0000000000</c>), within 1 s.
/// </summary>
internal sealed class PlatformStatusKvHealthCheck(IKeyValueStore store, TimeProvider time) : IHealthCheck
{
    public const string Name = "platformStatusKv";

    private static readonly string ProbeKey = PlatformStatusKv.KeyFor("0000000000");

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await PlatformStatusKvWriter.Namespace(store).GetAsync(ProbeKey, cancellationToken).WaitAsync(TimeSpan.FromSeconds(1), time, cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            // Any failure of the store (driver, I/O, timeout, a remote store's client) means the KV does not answer.
            return HealthCheckResult.Unhealthy("The PLATFORM_STATUS KV does not answer.", ex);
        }
    }
}

using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Nno.Core.Platforms;
using Nno.Storage;

namespace Nno.Gateway.PlatformStatus;

/// <summary>
/// Readiness check <c>platformStatusKv</c> (gateway.md §3.1): healthy when one read of the <c>PLATFORM_STATUS</c> KV
/// answers within <see cref="PlatformStatusOptions.KvTimeout"/> (200 ms). It reads the key of the id the Registry never
/// issues (<c>0000000000</c>, registry.md §7), so the answer is always "missing" and says nothing about any platform.
/// </summary>
internal sealed class PlatformStatusKvHealthCheck(IKeyValueStore store, TimeProvider time, IOptions<PlatformStatusOptions> options) : IHealthCheck
{
    public const string Name = "platformStatusKv";

    /// <summary>The probe key.</summary>
    public static readonly string ProbeKey = PlatformStatusKv.KeyFor("0000000000");

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await store.GetNamespace(KvNamespaces.PlatformStatus)
                .GetAsync(ProbeKey, cancellationToken)
                .WaitAsync(options.Value.KvTimeout, time, cancellationToken);
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

using System.Diagnostics.Metrics;
using Nno.ServiceDefaults;

namespace Nno.Gateway.PlatformStatus;

/// <summary>The platform status check's metrics on the <c>Nno</c> meter (gateway.md §4.6, §4.12).</summary>
internal sealed class PlatformStatusMetrics
{
    private readonly Counter<long> _blocked;
    private readonly Counter<long> _unknown;

    public PlatformStatusMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(NnoServiceDefaults.TelemetryName);
        _blocked = meter.CreateCounter<long>("nno_gateway_platform_blocked_total", description: "Requests refused because of their target platform's status, by error code.");
        _unknown = meter.CreateCounter<long>("nno_gateway_platform_status_unknown_total", description: "Checked requests that passed without a known platform status (missing or unreadable KV value, or KV unavailable).");
    }

    /// <summary>Counts one request refused with <paramref name="code"/> (<c>PLATFORM_SUSPENDED</c> or <c>PLATFORM_INACTIVE</c>).</summary>
    public void Blocked(string code) => _blocked.Add(1, new KeyValuePair<string, object?>("code", code));

    /// <summary>Counts one request that passed because its platform's status is unknown (fail open).</summary>
    public void StatusUnknown() => _unknown.Add(1);
}

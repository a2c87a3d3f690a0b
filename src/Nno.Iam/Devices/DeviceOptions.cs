using System.ComponentModel.DataAnnotations;

namespace Nno.Iam.Devices;

/// <summary>The device authorization grant's settings (<c>Iam:Device</c>, iam.md §3.6, §4.9).</summary>
internal sealed class DeviceOptions
{
    public const string Section = "Iam:Device";

    /// <summary>How long a device code may be approved and polled (<c>expires_in</c>).</summary>
    public TimeSpan CodeLifetime { get; set; } = TimeSpan.FromSeconds(900);

    /// <summary>The first polling interval (<c>interval</c>).</summary>
    [Range(1, 60)]
    public int IntervalSeconds { get; set; } = 5;

    /// <summary>Each <c>slow_down</c> adds this to the interval…</summary>
    [Range(1, 60)]
    public int SlowDownStepSeconds { get; set; } = 5;

    /// <summary>…up to this cap.</summary>
    [Range(1, 600)]
    public int MaxIntervalSeconds { get; set; } = 60;

    /// <summary>OAuth clients allowed to start the flow.</summary>
    public List<string> ClientIds { get; set; } = ["nno-cli"];

    /// <summary>An approving session younger than this needs no password (proof of presence).</summary>
    public TimeSpan FreshSessionAge { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>User-code lookups that found nothing, per user, before 429…</summary>
    [Range(1, 1000)]
    public int LookupMissLimit { get; set; } = 10;

    /// <summary>…within this window.</summary>
    public TimeSpan LookupMissWindow { get; set; } = TimeSpan.FromMinutes(15);
}

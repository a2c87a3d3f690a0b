namespace Nno.ServiceDefaults.Hosting;

/// <summary>Limits and intervals shared by every service (section <c>Nno:Limits</c>); tests override them.</summary>
public sealed class NnoLimitsOptions
{
    public const string Section = "Nno:Limits";

    /// <summary>Default request body limit (00-system §7: 1 MiB).</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>How long a graceful shutdown may take.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long <c>/health/ready</c> waits for one check.</summary>
    public TimeSpan ReadinessCheckTimeout { get; set; } = TimeSpan.FromMilliseconds(200);
}

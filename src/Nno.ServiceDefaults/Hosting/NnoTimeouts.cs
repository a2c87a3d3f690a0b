namespace Nno.ServiceDefaults.Hosting;

/// <summary>Limits and intervals shared by every service (section <c>Nno:Limits</c>); tests override them.</summary>
public sealed class NnoLimitsOptions
{
    public const string Section = "Nno:Limits";

    /// <summary>Default request body limit (00-system §7: 1 MiB).</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Longest request line Kestrel accepts (gateway.md §3.5: 16 KiB); longer ones get Kestrel's own 414.</summary>
    public int MaxRequestLineBytes { get; set; } = 16 * 1024;

    /// <summary>Largest total of request headers Kestrel accepts (gateway.md §3.5: 64 KiB); more gets Kestrel's own 431.</summary>
    public int MaxRequestHeadersBytes { get; set; } = 64 * 1024;

    /// <summary>How long a client may take to send its request headers (gateway.md §6: 30 s, against slow clients).</summary>
    public TimeSpan RequestHeadersTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a graceful shutdown may take.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long <c>/health/ready</c> waits for one check.</summary>
    public TimeSpan ReadinessCheckTimeout { get; set; } = TimeSpan.FromMilliseconds(200);
}

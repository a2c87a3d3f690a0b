using Microsoft.Extensions.Options;

namespace Nno.Gateway.PlatformStatus;

/// <summary>
/// The platform status cache and check (gateway.md §2, §4.6), configuration section <c>Gateway:PlatformStatus</c>.
/// Defaults are the spec's production values.
/// </summary>
internal sealed class PlatformStatusOptions
{
    public const string Section = "Gateway:PlatformStatus";

    /// <summary>
    /// False skips the check and its KV reads (the target is still computed; rate-limit tiers then count as starter):
    /// the benchmark's auth-only baseline, and an operator's off switch. On by default.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Most platforms cached at once (LRU compaction beyond).</summary>
    public long SizeLimit { get; set; } = 50_000;

    /// <summary>How long a value read from the KV is used without reading again.</summary>
    public TimeSpan Fresh { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How old a cached value may be and still stand in for the KV while the KV fails.</summary>
    public TimeSpan Stale { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Time limit of one KV read (also the readiness check's).</summary>
    public TimeSpan KvTimeout { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// After a failed KV read, how long requests for that platform use what the cache has (stale value or unknown)
    /// before the KV is asked again, so an outage costs one timed-out read per platform per interval, not one per request.
    /// </summary>
    public TimeSpan ErrorBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>At most one "status unknown" warning per platform in this interval.</summary>
    public TimeSpan WarningInterval { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>Refuses to start with settings that would make the cache unbounded, useless or never fresh.</summary>
internal sealed class PlatformStatusOptionsValidator : IValidateOptions<PlatformStatusOptions>
{
    public ValidateOptionsResult Validate(string? name, PlatformStatusOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        const string s = PlatformStatusOptions.Section;
        if (options.SizeLimit <= 0)
        {
            failures.Add($"{s}:SizeLimit must be positive.");
        }

        if (options.Fresh <= TimeSpan.Zero)
        {
            failures.Add($"{s}:Fresh must be positive.");
        }

        if (options.Stale < options.Fresh)
        {
            failures.Add($"{s}:Stale must be at least {s}:Fresh.");
        }

        if (options.KvTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{s}:KvTimeout must be positive.");
        }

        if (options.ErrorBackoff <= TimeSpan.Zero || options.ErrorBackoff > options.Fresh)
        {
            failures.Add($"{s}:ErrorBackoff must be positive and at most {s}:Fresh.");
        }

        if (options.WarningInterval <= TimeSpan.Zero)
        {
            failures.Add($"{s}:WarningInterval must be positive.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Nno.Gateway.RateLimiting;

/// <summary>Capacity (= burst = <c>RateLimit-Limit</c>) and continuous refill of one bucket (gateway.md §4.7).</summary>
internal sealed class BucketLimit
{
    public double Capacity { get; set; }

    public double RefillPerMinute { get; set; }
}

/// <summary>
/// The rate limits of gateway.md §4.7, every number configuration: <c>Gateway:RateLimits:{bucket}:Capacity|RefillPerMinute</c>
/// for the single-valued buckets, and <c>Gateway:RateLimits:{bucket}:{variant}:Capacity|RefillPerMinute</c> for the
/// tiered ones (<c>user</c>: starter, growth, scale, none, operator; <c>key</c>: starter, growth, scale, operator;
/// <c>platform</c>: starter, growth, scale). Fractional refills are allowed (<c>signup</c> is 5 an hour: 0.0833/min).
/// </summary>
internal sealed class RateLimitOptions
{
    public const string Section = "Gateway:RateLimits";

    /// <summary>Every limit by its configuration path below <see cref="Section"/> (<c>ip</c>, <c>user:starter</c>, …).</summary>
    public Dictionary<string, BucketLimit> Limits { get; } = Defaults();

    /// <summary>
    /// False turns every bucket off, <c>authfail</c> included (a deployment behind an edge limiter that does the same job;
    /// the benchmark's auth-only baseline). On by default.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often idle buckets (full again for a second) are dropped from memory.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The production values of gateway.md §4.7.</summary>
    public static Dictionary<string, BucketLimit> Defaults()
    {
        static BucketLimit PerMinute(double capacity, double refill) => new() { Capacity = capacity, RefillPerMinute = refill };
        static BucketLimit Same(double capacity) => PerMinute(capacity, capacity);
        return new Dictionary<string, BucketLimit>(StringComparer.Ordinal)
        {
            [RateLimitBuckets.Ip] = Same(1_200),
            [RateLimitBuckets.AuthFail] = Same(30),
            [RateLimitBuckets.Anon] = Same(60),
            [RateLimitBuckets.SignIn] = PerMinute(10, 2),
            [RateLimitBuckets.SignUp] = PerMinute(5, 5.0 / 60),
            [RateLimitBuckets.MagicLink] = PerMinute(5, 1.0 / 3),
            [RateLimitBuckets.MagicLinkVerify] = PerMinute(20, 10),
            [RateLimitBuckets.DeviceCode] = PerMinute(10, 10.0 / 60),
            [RateLimitBuckets.DeviceToken] = Same(60),
            [RateLimitBuckets.DeviceVerify] = PerMinute(20, 20.0 / 60),
            [RateLimitBuckets.StripeWebhook] = Same(600),
            [RateLimitBuckets.GitHubWebhook] = Same(600),
            [Tiered(RateLimitBuckets.User, TierVariant.Starter)] = Same(300),
            [Tiered(RateLimitBuckets.User, TierVariant.Growth)] = Same(600),
            [Tiered(RateLimitBuckets.User, TierVariant.Scale)] = Same(1_200),
            [Tiered(RateLimitBuckets.User, TierVariant.None)] = Same(300),
            [Tiered(RateLimitBuckets.User, TierVariant.Operator)] = Same(3_000),
            [Tiered(RateLimitBuckets.Key, TierVariant.Starter)] = Same(600),
            [Tiered(RateLimitBuckets.Key, TierVariant.Growth)] = Same(1_200),
            [Tiered(RateLimitBuckets.Key, TierVariant.Scale)] = Same(3_000),
            [Tiered(RateLimitBuckets.Key, TierVariant.Operator)] = Same(3_000),
            [Tiered(RateLimitBuckets.Platform, TierVariant.Starter)] = Same(1_200),
            [Tiered(RateLimitBuckets.Platform, TierVariant.Growth)] = Same(3_000),
            [Tiered(RateLimitBuckets.Platform, TierVariant.Scale)] = Same(10_000),
        };
    }

    /// <summary>The configuration path of a tiered bucket's variant, e.g. <c>user:growth</c>.</summary>
    public static string Tiered(string bucket, string variant) => bucket + ":" + variant;

    /// <summary>Reads every limit (defaults kept for what is not configured) and the sweep interval.</summary>
    public void Read(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        foreach (var (path, limit) in Limits)
        {
            section.GetSection(path).Bind(limit);
        }

        SweepInterval = section.GetValue("SweepInterval", SweepInterval);
        Enabled = section.GetValue("Enabled", Enabled);
    }
}

/// <summary>The variants of the tiered buckets.</summary>
internal static class TierVariant
{
    public const string Starter = "starter";
    public const string Growth = "growth";
    public const string Scale = "scale";

    /// <summary><c>user</c> bucket of a session with no platform to take a tier from.</summary>
    public const string None = "none";

    /// <summary>Operators (<c>platform-admin</c>) and their keys, whatever the platform's tier.</summary>
    public const string Operator = "operator";
}

/// <summary>Refuses to start with a limit that could never admit a request or never refill.</summary>
internal sealed class RateLimitOptionsValidator : IValidateOptions<RateLimitOptions>
{
    public ValidateOptionsResult Validate(string? name, RateLimitOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        foreach (var (path, limit) in options.Limits)
        {
            if (!(limit.Capacity >= 1) || double.IsInfinity(limit.Capacity))
            {
                failures.Add($"{RateLimitOptions.Section}:{path}:Capacity must be a finite number >= 1.");
            }

            if (!(limit.RefillPerMinute > 0) || double.IsInfinity(limit.RefillPerMinute))
            {
                failures.Add($"{RateLimitOptions.Section}:{path}:RefillPerMinute must be a finite number > 0.");
            }
        }

        if (options.SweepInterval <= TimeSpan.Zero)
        {
            failures.Add($"{RateLimitOptions.Section}:SweepInterval must be positive.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>The rate-limit settings by name, for hosts and tests that set them all (e.g. high, since test clients share one address).</summary>
public static class GatewayRateLimitSettings
{
    /// <summary>Every <c>Gateway:RateLimits:…:Capacity</c> and <c>…:RefillPerMinute</c> key.</summary>
    public static IEnumerable<string> Keys =>
        RateLimitOptions.Defaults().Keys.SelectMany(path => new[]
        {
            $"{RateLimitOptions.Section}:{path}:{nameof(BucketLimit.Capacity)}",
            $"{RateLimitOptions.Section}:{path}:{nameof(BucketLimit.RefillPerMinute)}",
        });

    /// <summary>Settings that raise every limit to <paramref name="value"/> per minute.</summary>
    public static IDictionary<string, string?> AllAt(double value) =>
        Keys.ToDictionary(k => k, _ => (string?)value.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparer.OrdinalIgnoreCase);
}

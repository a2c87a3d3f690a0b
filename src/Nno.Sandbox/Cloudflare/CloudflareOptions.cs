namespace Nno.Sandbox.Cloudflare;

/// <summary>Settings of the Cloudflare emulator (configuration section <c>Sandbox:Cloudflare</c>).</summary>
public sealed class CloudflareOptions
{
    public const string Section = "Sandbox:Cloudflare";

    /// <summary>The API token every client of the sandbox shares unless <see cref="Tokens"/> is configured.</summary>
    public const string DefaultToken = "sandbox-cf-token";

    /// <summary>Accepted API tokens (<c>Sandbox:Cloudflare:Tokens:0</c>, …); empty means only <see cref="DefaultToken"/>.</summary>
    public IList<string> Tokens { get; } = [];

    /// <summary>The one account the emulator serves.</summary>
    public string AccountId { get; set; } = "0123456789abcdef0123456789abcdef";

    /// <summary>The id of the one zone the emulator serves.</summary>
    public string ZoneId { get; set; } = "fedcba9876543210fedcba9876543210";

    /// <summary>The name of the one zone the emulator serves.</summary>
    public string ZoneName { get; set; } = "nno.run";

    /// <summary>The REST rate limit per token (the admin <c>rateLimit</c> knob overrides it at run time).</summary>
    public CloudflareRateLimitOptions RateLimit { get; set; } = new();

    /// <summary>Seconds before a new custom hostname or Pages domain reads as active (admin knob default).</summary>
    public int SslActivationDelaySeconds { get; set; } = 60;

    /// <summary>Seconds a Pages deployment takes to succeed (admin knob default).</summary>
    public int PagesBuildSeconds { get; set; } = 5;

    /// <summary>R2's S3-compatible surface: the access key id clients sign with.</summary>
    public string R2AccessKeyId { get; set; } = "sandbox-r2-key";

    /// <summary>R2's S3-compatible surface: the secret access key clients sign with.</summary>
    public string R2SecretAccessKey { get; set; } = "sandbox-r2-secret";

    /// <summary>The tokens in force (the configured ones, or the default).</summary>
    public IReadOnlyList<string> EffectiveTokens => Tokens.Count > 0 ? Tokens.ToArray() : [DefaultToken];
}

/// <summary>A sliding-window limit: <see cref="Limit"/> requests per <see cref="WindowSeconds"/>, then a block.</summary>
public sealed class CloudflareRateLimitOptions
{
    public int Limit { get; set; } = 1200;

    public int WindowSeconds { get; set; } = 300;

    public int BlockSeconds { get; set; } = 300;
}

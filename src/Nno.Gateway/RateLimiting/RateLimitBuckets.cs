using Microsoft.Extensions.Options;

namespace Nno.Gateway.RateLimiting;

/// <summary>The bucket names of gateway.md §4.7 (also the <c>bucket</c> of the 429 envelope and of the metric).</summary>
internal static class RateLimitBuckets
{
    public const string Ip = "ip";
    public const string AuthFail = "authfail";
    public const string Anon = "anon";
    public const string SignIn = "signin";
    public const string SignUp = "signup";
    public const string MagicLink = "magiclink";
    public const string MagicLinkVerify = "mlverify";
    public const string DeviceCode = "devcode";
    public const string DeviceToken = "devtoken";
    public const string DeviceVerify = "devverify";
    public const string StripeWebhook = "wh-stripe";
    public const string GitHubWebhook = "wh-github";
    public const string User = "user";
    public const string Key = "key";
    public const string Platform = "platform";
}

/// <summary>
/// One bucket's limit, ready for the hot path. <see cref="Slot"/> names the bucket's state: the variants of a tiered
/// bucket share it, so a user whose platform changes tier keeps the tokens already spent (the store clamps them to the
/// new capacity).
/// </summary>
internal sealed class BucketPolicy
{
    public BucketPolicy(string name, int slot, BucketLimit limit)
    {
        ArgumentNullException.ThrowIfNull(limit);
        Name = name;
        Slot = slot;
        Capacity = limit.Capacity;
        RefillPerMs = limit.RefillPerMinute / 60_000;
        Limit = (int)Math.Floor(limit.Capacity);
    }

    public string Name { get; }

    public int Slot { get; }

    public double Capacity { get; }

    /// <summary>Tokens added per millisecond.</summary>
    public double RefillPerMs { get; }

    /// <summary>The whole-number capacity reported as <c>RateLimit-Limit</c>.</summary>
    public int Limit { get; }

    /// <summary>Milliseconds until a bucket holding <paramref name="tokens"/> is full again.</summary>
    public double MsUntilFull(double tokens) => tokens >= Capacity ? 0 : (Capacity - tokens) / RefillPerMs;
}

/// <summary>Every bucket's <see cref="BucketPolicy"/> from <see cref="RateLimitOptions"/>, built once.</summary>
internal sealed class RateLimitPolicies
{
    private static readonly string[] SlotNames =
    [
        RateLimitBuckets.Ip, RateLimitBuckets.AuthFail, RateLimitBuckets.Anon, RateLimitBuckets.SignIn, RateLimitBuckets.SignUp,
        RateLimitBuckets.MagicLink, RateLimitBuckets.MagicLinkVerify, RateLimitBuckets.DeviceCode, RateLimitBuckets.DeviceToken,
        RateLimitBuckets.DeviceVerify, RateLimitBuckets.StripeWebhook, RateLimitBuckets.GitHubWebhook, RateLimitBuckets.User,
        RateLimitBuckets.Key, RateLimitBuckets.Platform,
    ];

    private readonly Dictionary<string, BucketPolicy> _byPath;

    // Indexed by TierIndex: starter, growth, scale.
    private readonly BucketPolicy[] _user;
    private readonly BucketPolicy[] _key;
    private readonly BucketPolicy[] _platform;

    public RateLimitPolicies(IOptions<RateLimitOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Enabled = options.Value.Enabled;
        _byPath = new Dictionary<string, BucketPolicy>(StringComparer.Ordinal);
        foreach (var (path, limit) in options.Value.Limits)
        {
            var name = path.Split(':')[0];
            _byPath[path] = new BucketPolicy(name, Array.IndexOf(SlotNames, name), limit);
        }

        Ip = _byPath[RateLimitBuckets.Ip];
        AuthFail = _byPath[RateLimitBuckets.AuthFail];
        Anon = _byPath[RateLimitBuckets.Anon];
        DeviceVerify = _byPath[RateLimitBuckets.DeviceVerify];
        UserOperator = Variant(RateLimitBuckets.User, TierVariant.Operator);
        UserNone = Variant(RateLimitBuckets.User, TierVariant.None);
        KeyOperator = Variant(RateLimitBuckets.Key, TierVariant.Operator);
        _user = Tiers(RateLimitBuckets.User);
        _key = Tiers(RateLimitBuckets.Key);
        _platform = Tiers(RateLimitBuckets.Platform);
    }

    /// <summary>False when rate limiting is switched off (<c>Gateway:RateLimits:Enabled</c>).</summary>
    public bool Enabled { get; }

    /// <summary>Number of distinct bucket states (slots).</summary>
    public static int SlotCount => SlotNames.Length;

    public BucketPolicy Ip { get; }

    public BucketPolicy AuthFail { get; }

    public BucketPolicy Anon { get; }

    public BucketPolicy DeviceVerify { get; }

    public BucketPolicy UserOperator { get; }

    public BucketPolicy UserNone { get; }

    public BucketPolicy KeyOperator { get; }

    /// <summary>A single-valued bucket by name (<c>signin</c>, <c>wh-stripe</c>, …).</summary>
    public BucketPolicy Get(string name) => _byPath[name];

    /// <summary>The <c>user</c> limit for a platform of <paramref name="tier"/> (unknown tiers count as starter).</summary>
    public BucketPolicy UserFor(string? tier) => _user[TierIndex(tier)];

    /// <summary>The <c>key</c> limit for a platform of <paramref name="tier"/>.</summary>
    public BucketPolicy KeyFor(string? tier) => _key[TierIndex(tier)];

    /// <summary>The <c>platform</c> limit for a platform of <paramref name="tier"/>.</summary>
    public BucketPolicy PlatformFor(string? tier) => _platform[TierIndex(tier)];

    private static int TierIndex(string? tier) => tier switch
    {
        TierVariant.Growth => 1,
        TierVariant.Scale => 2,
        _ => 0,
    };

    private BucketPolicy[] Tiers(string bucket) =>
        [Variant(bucket, TierVariant.Starter), Variant(bucket, TierVariant.Growth), Variant(bucket, TierVariant.Scale)];

    private BucketPolicy Variant(string bucket, string variant) => _byPath[RateLimitOptions.Tiered(bucket, variant)];
}

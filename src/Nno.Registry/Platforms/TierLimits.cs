using Nno.Core.Errors;
using Nno.Core.Platforms;

namespace Nno.Registry.Platforms;

/// <summary>The tier limits of registry.md §4.5 (403 <c>TIER_LIMIT_EXCEEDED</c>, details <c>{limit, max, current}</c>).</summary>
internal static class TierLimits
{
    /// <summary>Platforms per owner: 1 / 3 / unlimited (null).</summary>
    public static int? PlatformsPerOwner(string tier) => tier switch
    {
        PlatformTiers.Starter => 1,
        PlatformTiers.Growth => 3,
        _ => null,
    };

    /// <summary>Tenants per platform: 3 / 20 / unlimited (null).</summary>
    public static int? TenantsPerPlatform(string tier) => tier switch
    {
        PlatformTiers.Starter => 3,
        PlatformTiers.Growth => 20,
        _ => null,
    };

    /// <summary>Distinct active features per platform: 5 / unlimited / unlimited (null).</summary>
    public static int? ActiveFeatures(string tier) => tier == PlatformTiers.Starter ? 5 : null;

    /// <summary>The higher of two tiers (starter &lt; growth &lt; scale).</summary>
    public static string Highest(string a, string b) => Rank(a) >= Rank(b) ? a : b;

    public static int Rank(string tier) => tier switch
    {
        PlatformTiers.Starter => 0,
        PlatformTiers.Growth => 1,
        PlatformTiers.Scale => 2,
        _ => 0,
    };

    public static ApiException Exceeded(string limit, int max, int current) =>
        new(ErrorCodes.TierLimitExceeded, $"The {limit} limit of this tier is {max}.", new { limit, max, current });
}

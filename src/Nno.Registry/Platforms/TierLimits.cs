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

/// <summary>The counting side of the feature, stack and custom-domain limits (registry.md §4.5, §6), inside the caller's IMMEDIATE transaction.</summary>
internal static class ObjectLimits
{
    /// <summary>Live stacks per platform (flood guard, every tier).</summary>
    public const int MaxStacks = 20;

    /// <summary>Live custom domains per platform (flood guard, every tier).</summary>
    public const int MaxCustomDomains = 20;

    /// <summary>Statuses that count as an active feature (§4.5).</summary>
    public static readonly string[] CountedActivationStatuses = [Features.ActivationStatuses.Pending, Features.ActivationStatuses.Provisioning, Features.ActivationStatuses.Active];

    /// <summary>
    /// Refuses when activating <paramref name="featureIds"/> would take the platform's distinct active features over the
    /// tier's limit. A subscribed platform's tier would be re-read from Billing first; like the tenant limit (decision
    /// 0361) that case answers 503 naming Billing rather than a refusal that might be wrong.
    /// </summary>
    public static async Task RequireFeatureCapacityAsync(Data.RegistryDbContext db, PlatformRecord platform, IEnumerable<string> featureIds, CancellationToken cancellationToken)
    {
        if (TierLimits.ActiveFeatures(platform.Tier) is not { } max)
        {
            return;
        }

        var statuses = CountedActivationStatuses;
        var pid = platform.Id;
        var current = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToListAsync(
            db.FeatureActivations.Where(a => a.PlatformId == pid && statuses.Contains(a.Status)).Select(a => a.FeatureId).Distinct(), cancellationToken);
        var after = current.Union(featureIds, StringComparer.Ordinal).Count();
        if (after <= max || after <= current.Count)
        {
            return;
        }

        if (platform.HasSubscription)
        {
            throw new ApiException(ErrorCodes.ServiceUnavailable,
                "The active-feature limit of the platform's tier is reached; its tier must be re-read from Billing first, which this Registry cannot call yet. Nothing was changed.",
                new { service = "billing", limit = "activeFeatures", max, current = current.Count });
        }

        throw TierLimits.Exceeded("activeFeatures", max, current.Count);
    }
}

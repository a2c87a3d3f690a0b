using Microsoft.EntityFrameworkCore;
using Nno.Core.Errors;
using Nno.Registry.Data;
using Nno.Registry.Platforms;

namespace Nno.Registry.Entities;

/// <summary>Nesting and count limits of entities (registry.md §3.5, §4.5, §6).</summary>
internal static class EntityRules
{
    /// <summary>Tenants are depth 0, sub-tenants 1–2.</summary>
    public const int MaxDepth = 2;

    /// <summary>The flood guard on sub-tenants: live children per parent, whatever the tier (§6).</summary>
    public const int MaxSubTenantsPerParent = 100;

    /// <summary>The one answer for a <c>parentId</c> that names no live entity of this platform (§6: other platforms' ids look the same).</summary>
    public const string ParentNotFound = "not found";

    /// <summary>
    /// Refuses a new entity over its limit (403 <c>TIER_LIMIT_EXCEEDED</c>): a tenant when the platform's live tenants,
    /// default included, reach the tier's limit; a sub-tenant when its parent has 100 live children. Runs inside the
    /// IMMEDIATE transaction of the insert, so concurrent creates cannot overshoot. A subscribed platform's tier would be
    /// re-read from Billing before refusing (§4.5); this Registry has no Billing client yet, so that case answers 503
    /// naming Billing instead of a refusal that might be wrong (decision 0361).
    /// </summary>
    public static async Task RequireCapacityAsync(RegistryDbContext db, PlatformRecord platform, EntityRecord? parent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(platform);
        if (parent is not null)
        {
            var siblings = await db.Entities.CountAsync(e => e.PlatformId == platform.Id && e.ParentId == parent.Id && e.DeletedAt == null, cancellationToken);
            if (siblings >= MaxSubTenantsPerParent)
            {
                throw TierLimits.Exceeded("subTenantsPerParent", MaxSubTenantsPerParent, siblings);
            }

            return;
        }

        if (TierLimits.TenantsPerPlatform(platform.Tier) is not { } max)
        {
            return;
        }

        var tenants = await db.Entities.CountAsync(e => e.PlatformId == platform.Id && e.ParentId == null && e.DeletedAt == null, cancellationToken);
        if (tenants < max)
        {
            return;
        }

        if (platform.HasSubscription)
        {
            throw new ApiException(ErrorCodes.ServiceUnavailable,
                "The tenant limit of the platform's tier is reached; its tier must be re-read from Billing (GET /subscription), which this Registry cannot call yet. Nothing was changed.",
                new { service = "billing", limit = "tenants", max, current = tenants });
        }

        throw TierLimits.Exceeded("tenants", max, tenants);
    }
}

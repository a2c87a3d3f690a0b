using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Errors;
using Nno.Core.Identity;
using Nno.Core.Ids;
using Nno.Core.Platforms;
using Nno.Registry.Data;
using Nno.Registry.Platforms;

namespace Nno.Registry.Access;

/// <summary>A caller's access level on one platform (registry.md §3.1), weakest first.</summary>
internal enum AccessLevel
{
    /// <summary>Not listed for the platform: sees nothing (404).</summary>
    None = 0,

    /// <summary><c>mem</c>: read-only.</summary>
    Member = 1,

    /// <summary><c>adm</c>: the customer-side rights of an owner except cancel, resume, delete and ownership transfer.</summary>
    Admin = 2,

    /// <summary><c>own</c>.</summary>
    Owner = 3,

    /// <summary><c>svc(x)</c>: a service named by the route (the principal middleware already refused the others).</summary>
    Service = 4,

    /// <summary><c>op</c>: operators and the static key.</summary>
    Operator = 5,
}

/// <summary>What a route needs on its platform: the weakest user level allowed and whether it reads or writes (API-key scope).</summary>
/// <param name="Minimum">The weakest level allowed; <see cref="AccessLevel.Operator"/> for operator-only routes.</param>
/// <param name="Write">Writes need <c>platforms:write</c> from API keys, reads <c>platforms:read</c>.</param>
internal readonly record struct AccessNeed(AccessLevel Minimum, bool Write)
{
    /// <summary>op own adm mem.</summary>
    public static AccessNeed Read { get; } = new(AccessLevel.Member, Write: false);

    /// <summary>op own adm, reading (lifecycle events, the audit log, secret metadata).</summary>
    public static AccessNeed ManageRead { get; } = new(AccessLevel.Admin, Write: false);

    /// <summary>op own adm, writing (content writes, PATCH name/tier).</summary>
    public static AccessNeed Manage { get; } = new(AccessLevel.Admin, Write: true);

    /// <summary>op own (cancel, resume, delete, ownership transfer).</summary>
    public static AccessNeed Owner { get; } = new(AccessLevel.Owner, Write: true);

    /// <summary>op only (suspend, restore).</summary>
    public static AccessNeed Operator { get; } = new(AccessLevel.Operator, Write: true);
}

/// <summary>A platform a caller may act on, with the level they act at.</summary>
internal sealed record PlatformGrant(PlatformRecord Platform, AccessLevel Level, RegistryCaller Caller)
{
    public bool IsOperatorOrService => Level >= AccessLevel.Service;
}

/// <summary>
/// The one access check of every Registry route on <c>/api/v1/platforms/{pid}/…</c> (registry.md §3.1). Order: the
/// platform must be visible (else 404 <c>details.resource: "platform"</c>, identical for a malformed id, a missing
/// platform and one the caller is not listed on; deleted platforms are visible to op/svc only); then an API key's scope;
/// then the level the route needs (403). The platform row is loaded once per request and reused (§8).
/// </summary>
internal sealed class PlatformAccess(RegistryDbContext db)
{
    private readonly Dictionary<string, PlatformRecord?> _loaded = new(StringComparer.Ordinal);
    private RegistryCaller? _caller;

    public const string ReadScope = "platforms:read";
    public const string WriteScope = "platforms:write";

    /// <summary>The caller of <paramref name="context"/> (resolved once per request).</summary>
    public RegistryCaller CallerOf(HttpContext context) => _caller ??= RegistryCaller.From(context);

    /// <summary>The caller's level on <paramref name="platformId"/> from identity alone (no database read).</summary>
    public static AccessLevel LevelOf(RegistryCaller caller, string platformId)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (caller.IsOperator)
        {
            return AccessLevel.Operator;
        }

        if (caller.IsService)
        {
            return AccessLevel.Service;
        }

        // X-Nno-Platforms is the only source of access (never platforms.owner_user_id); an API key's list holds its own platform.
        return caller.Principal.RoleOn(platformId) switch
        {
            NnoIdentityHeaders.PlatformRoles.Owner => AccessLevel.Owner,
            NnoIdentityHeaders.PlatformRoles.Admin => AccessLevel.Admin,
            NnoIdentityHeaders.PlatformRoles.Member => AccessLevel.Member,
            _ => AccessLevel.None,
        };
    }

    /// <summary>The platform <paramref name="platformId"/> if the caller may do what <paramref name="need"/> says on it; else 404 or 403.</summary>
    public async Task<PlatformGrant> RequireAsync(HttpContext context, string platformId, AccessNeed need, CancellationToken cancellationToken)
    {
        var caller = CallerOf(context);
        var level = IdFormat.IsPlatformId(platformId) ? LevelOf(caller, platformId) : AccessLevel.None;
        if (level == AccessLevel.None)
        {
            throw NotFound();
        }

        var platform = await LoadAsync(platformId, cancellationToken);
        if (platform is null || (platform.Status == PlatformStatuses.Deleted && level < AccessLevel.Service))
        {
            throw NotFound();
        }

        if (caller.IsApiKey)
        {
            var scope = need.Write ? WriteScope : ReadScope;
            if (!caller.HasScope(scope))
            {
                throw new ApiException(ErrorCodes.Forbidden, $"This API key lacks the {scope} scope.", new { requiredScope = scope });
            }
        }

        if (level < need.Minimum)
        {
            throw new ApiException(ErrorCodes.Forbidden, need.Minimum switch
            {
                AccessLevel.Operator => "Only operators may do this.",
                AccessLevel.Owner => "Only the platform's owner (or an operator) may do this.",
                _ => "Members of the platform have read-only access.",
            });
        }

        return new PlatformGrant(platform, level, caller);
    }

    /// <summary>The 404 of a platform the caller cannot see: the same body whatever the reason.</summary>
    public static ApiException NotFound() => ApiException.NotFound("platform");

    /// <summary>Drops the cached row of <paramref name="platformId"/> (after the request changed it).</summary>
    public void Forget(string platformId) => _loaded.Remove(platformId);

    private async Task<PlatformRecord?> LoadAsync(string platformId, CancellationToken cancellationToken)
    {
        if (!_loaded.TryGetValue(platformId, out var platform))
        {
            platform = await db.Platforms.AsNoTracking().FirstOrDefaultAsync(p => p.Id == platformId, cancellationToken);
            _loaded[platformId] = platform;
        }

        return platform;
    }
}

/// <summary>
/// The status gate for content writes (registry.md §3.1): <c>pending</c>/<c>provisioning</c> → 409 <c>CONFLICT</c>,
/// <c>suspended</c> → 403 <c>PLATFORM_SUSPENDED</c>, <c>cancelled</c>/<c>deleted</c> → 403 <c>PLATFORM_INACTIVE</c>.
/// Operators and services bypass the first two, never the third. Lifecycle and internal report routes are not gated.
/// </summary>
internal static class PlatformStatusGate
{
    public static void RequireWritable(PlatformGrant grant)
    {
        ArgumentNullException.ThrowIfNull(grant);
        var status = grant.Platform.Status;
        if (status is PlatformStatuses.Cancelled or PlatformStatuses.Deleted)
        {
            throw new ApiException(ErrorCodes.PlatformInactive, $"The platform is {status}: its content can no longer change.", new { status });
        }

        if (grant.IsOperatorOrService)
        {
            return;
        }

        switch (status)
        {
            case PlatformStatuses.Pending or PlatformStatuses.Provisioning:
                throw new ApiException(ErrorCodes.Conflict, "The platform is still being provisioned.", new { status });
            case PlatformStatuses.Suspended:
                throw new ApiException(ErrorCodes.PlatformSuspended, "The platform is suspended.", new { status });
        }
    }
}

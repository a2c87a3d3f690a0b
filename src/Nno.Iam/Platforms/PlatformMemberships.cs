using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Nno.Core.Errors;
using Nno.Iam.Data;

namespace Nno.Iam.Platforms;

/// <summary>What removing one platform membership took with it (for evictions and audit).</summary>
internal sealed record RemovedMembership(string Role, IReadOnlyList<string> RevokedApiKeyIds, int TenantMemberships);

/// <summary>
/// Platform memberships and their invariants (iam.md §4.2, §4.12): at most <see cref="IamOptions.MaxPlatformsPerUser"/>
/// per user, every platform keeps an owner, and removing a membership takes the user's tenant memberships, grants, bound
/// API keys and active-platform choice on that platform with it. Every method runs inside the caller's transaction
/// (SQLite's single writer, PostgreSQL's row locks), so the checks and the change are atomic.
/// </summary>
internal sealed class PlatformMemberships(IamDbContext db, IOptions<IamOptions> options, TimeProvider time)
{
    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>409 <c>membership_limit</c> when <paramref name="userId"/> already holds the maximum of memberships.</summary>
    public async Task RequireCapacityAsync(string userId, CancellationToken cancellationToken)
    {
        var operatorPlatform = options.Value.OperatorPlatformId;
        var count = await db.PlatformMembers.CountAsync(m => m.UserId == userId && m.PlatformId != operatorPlatform, cancellationToken);
        if (count >= options.Value.MaxPlatformsPerUser)
        {
            throw new ApiException(ErrorCodes.Conflict, $"A user may belong to at most {options.Value.MaxPlatformsPerUser} platforms.", new { reason = "membership_limit" });
        }
    }

    /// <summary>409 <c>last_owner</c> unless <paramref name="platformId"/> has an owner other than <paramref name="userId"/>.</summary>
    public async Task RequireAnotherOwnerAsync(string platformId, string userId, CancellationToken cancellationToken)
    {
        if (!await db.PlatformMembers.AnyAsync(m => m.PlatformId == platformId && m.Role == MemberRoles.Owner && m.UserId != userId, cancellationToken))
        {
            throw new ApiException(ErrorCodes.Conflict, "A platform must keep at least one owner.", new { reason = "last_owner", platformId });
        }
    }

    /// <summary>The membership, or a new <c>member</c> row (after the limit check) added to the pending changes; true when added.</summary>
    public async Task<(PlatformMemberRecord Record, bool Added)> EnsureAsync(string platformId, string userId, string role, string addedBy, CancellationToken cancellationToken)
    {
        var existing = await db.PlatformMembers.FirstOrDefaultAsync(m => m.PlatformId == platformId && m.UserId == userId, cancellationToken);
        if (existing is not null)
        {
            return (existing, false);
        }

        await RequireCapacityAsync(userId, cancellationToken);
        var now = Now;
        var record = new PlatformMemberRecord { PlatformId = platformId, UserId = userId, Role = role, AddedBy = addedBy, CreatedAt = now, UpdatedAt = now };
        db.PlatformMembers.Add(record);
        return (record, true);
    }

    /// <summary>
    /// Removes <paramref name="member"/> with everything that hangs on it (iam.md §3.3 DELETE): tenant memberships and
    /// grants in the platform's organizations, API keys bound to the platform (revoked), and the active platform and
    /// organization of the user's sessions when they point there. 409 when the user is the last owner of the platform
    /// or of one of its tenants. Writes immediately; the caller saves its audit event and commits.
    /// </summary>
    public async Task<RemovedMembership> RemoveAsync(PlatformMemberRecord member, string removedBy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(member);
        var (platformId, userId) = (member.PlatformId, member.UserId);
        if (member.Role == MemberRoles.Owner)
        {
            await RequireAnotherOwnerAsync(platformId, userId, cancellationToken);
        }

        var organizations = db.Organizations.Where(o => o.PlatformId == platformId).Select(o => o.Id);
        await RequireNotLastTenantOwnerAsync(organizations, userId, cancellationToken);

        var now = Now;
        var tenantMemberships = await db.Members.Where(m => m.UserId == userId && organizations.Contains(m.OrganizationId)).ExecuteDeleteAsync(cancellationToken);
        await db.PermissionGrants.Where(g => g.UserId == userId && organizations.Contains(g.OrganizationId)).ExecuteDeleteAsync(cancellationToken);
        var keys = await db.ApiKeys.Where(k => k.UserId == userId && k.PlatformId == platformId && k.RevokedAt == null).Select(k => k.Id).ToListAsync(cancellationToken);
        if (keys.Count > 0)
        {
            await db.ApiKeys.Where(k => keys.Contains(k.Id))
                .ExecuteUpdateAsync(u => u.SetProperty(k => k.RevokedAt, now).SetProperty(k => k.RevokedBy, removedBy), cancellationToken);
        }

        await db.Sessions.Where(s => s.UserId == userId && s.ActiveOrganizationId != null && organizations.Contains(s.ActiveOrganizationId))
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.ActiveOrganizationId, (string?)null).SetProperty(s => s.UpdatedAt, now), cancellationToken);
        await db.Sessions.Where(s => s.UserId == userId && s.ActivePlatformId == platformId)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.ActivePlatformId, (string?)null).SetProperty(s => s.UpdatedAt, now), cancellationToken);
        await db.PlatformMembers.Where(m => m.PlatformId == platformId && m.UserId == userId).ExecuteDeleteAsync(cancellationToken);
        db.Entry(member).State = EntityState.Detached;
        return new RemovedMembership(member.Role, keys, tenantMemberships);
    }

    /// <summary>409 <c>last_tenant_owner</c> when <paramref name="userId"/> is the only owner of a live organization among <paramref name="organizations"/>.</summary>
    private async Task RequireNotLastTenantOwnerAsync(IQueryable<string> organizations, string userId, CancellationToken cancellationToken)
    {
        var soleOwned = await db.Members
            .Where(m => m.UserId == userId && m.Role == MemberRoles.Owner && organizations.Contains(m.OrganizationId))
            .Where(m => db.Organizations.Any(o => o.Id == m.OrganizationId && o.DeletedAt == null))
            .Where(m => !db.Members.Any(o => o.OrganizationId == m.OrganizationId && o.Role == MemberRoles.Owner && o.UserId != userId))
            .Select(m => m.OrganizationId)
            .ToListAsync(cancellationToken);
        if (soleOwned.Count > 0)
        {
            throw new ApiException(ErrorCodes.Conflict, "The user is the last owner of organizations of this platform; transfer them first.",
                new { reason = "last_tenant_owner", organizationIds = soleOwned });
        }
    }
}

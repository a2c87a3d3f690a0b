using Microsoft.EntityFrameworkCore;
using Nno.Core.Errors;
using Nno.Iam.Access;
using Nno.Iam.Audit;
using Nno.Iam.Data;
using Nno.Iam.Evictions;
using Nno.Iam.Sessions;

namespace Nno.Iam.Users;

/// <summary>
/// Account deletion (iam.md §3.1, §4.12): refused while the user is the last owner of a platform or tenant, or the last
/// enabled operator; otherwise the user row is deleted and the foreign keys cascade to sessions, accounts, keys,
/// memberships, grants and the factor. Audit events are not linked by key, so they keep the id.
/// </summary>
internal sealed class AccountDeletion(IamDbContext db, AuditLog audit, IamEvictions evictions)
{
    private const string OwnerRole = "owner";

    public async Task DeleteAsync(IamCaller caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var userId = caller.UserId!;

        // The invariant checks and the delete share one transaction (SQLite: the single writer; PostgreSQL would lock rows).
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);

        // A write first takes SQLite's write lock, so the checks below read what no other writer can change before the
        // delete commits (a read-first transaction could also fail on a stale snapshot when it starts writing).
        await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(u => u.SetProperty(x => x.UpdatedAt, x => x.UpdatedAt), cancellationToken);
        var user = await db.Users.AsNoTracking().FirstAsync(u => u.Id == userId, cancellationToken);

        var platformIds = await db.PlatformMembers.AsNoTracking()
            .Where(m => m.UserId == userId && m.Role == OwnerRole)
            .Where(m => !db.PlatformMembers.Any(o => o.PlatformId == m.PlatformId && o.Role == OwnerRole && o.UserId != userId))
            .OrderBy(m => m.PlatformId)
            .Select(m => m.PlatformId)
            .ToListAsync(cancellationToken);
        var organizationIds = await db.Members.AsNoTracking()
            .Where(m => m.UserId == userId && m.Role == OwnerRole)
            .Where(m => db.Organizations.Any(o => o.Id == m.OrganizationId && o.DeletedAt == null))
            .Where(m => !db.Members.Any(o => o.OrganizationId == m.OrganizationId && o.Role == OwnerRole && o.UserId != userId))
            .OrderBy(m => m.OrganizationId)
            .Select(m => m.OrganizationId)
            .ToListAsync(cancellationToken);
        if (platformIds.Count > 0 || organizationIds.Count > 0)
        {
            throw new ApiException(
                ErrorCodes.Conflict,
                "Transfer ownership first: you are the last owner of a platform or organization.",
                new { reason = "last_owner", platformIds, organizationIds });
        }

        if (user.Role == UserRoles.PlatformAdmin && user.DisabledAt is null
            && !await db.Users.AnyAsync(u => u.Id != userId && u.Role == UserRoles.PlatformAdmin && u.DisabledAt == null, cancellationToken))
        {
            throw new ApiException(ErrorCodes.Conflict, "The last operator cannot delete their account.", new { reason = "last_operator" });
        }

        var sessionIds = await db.Sessions.Where(s => s.UserId == userId && s.RevokedAt == null).Select(s => s.Id).ToListAsync(cancellationToken);
        var keyIds = await db.ApiKeys.Where(k => k.UserId == userId && k.RevokedAt == null).Select(k => k.Id).ToListAsync(cancellationToken);
        audit.Add(caller.Audit(AuditEventTypes.UserDeleted) with
        {
            SubjectUserId = userId,
            Metadata = new Dictionary<string, object?> { ["sessions"] = sessionIds.Count, ["apiKeys"] = keyIds.Count },
        });
        await db.SaveChangesAsync(cancellationToken);
        await db.Users.Where(u => u.Id == userId).ExecuteDeleteAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        evictions.Publish([
            ServiceDefaults.Evictions.CredentialEviction.User(userId),
            .. sessionIds.Select(ServiceDefaults.Evictions.CredentialEviction.Session),
            .. keyIds.Select(ServiceDefaults.Evictions.CredentialEviction.ApiKey),
        ]);
    }
}

using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Nno.Iam.Data;

namespace Nno.Iam.Permissions;

/// <summary>
/// Effective permissions of a user in an organization (iam.md §4.7): operators and platform owners/admins get
/// <c>["*"]</c>; non-members get nothing; members get their role's mapping plus unexpired grants minus unexpired
/// denials (a deny always wins), sorted and unique. Roles are not inherited by sub-tenants.
/// </summary>
internal sealed class EffectivePermissions(IamDbContext db, TimeProvider time)
{
    public static readonly IReadOnlyList<string> All = ["*"];

    /// <param name="isOperator">The user acts with operator rights.</param>
    /// <param name="platformRole">The user's role on the organization's platform (null: none).</param>
    /// <param name="userId">The user.</param>
    /// <param name="organizationId">The organization.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    public async Task<IReadOnlyList<string>> ComputeAsync(bool isOperator, string? platformRole, string userId, string organizationId, CancellationToken cancellationToken)
    {
        if (isOperator || platformRole is "owner" or "admin")
        {
            return All;
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        // The membership with its role mapping (one row), then the unexpired grants: SQLite cannot run a collection
        // nested in a single-row projection (no APPLY), so these are two indexed lookups by (organization_id, user_id).
        var member = await (
            from m in db.Members
            where m.OrganizationId == organizationId && m.UserId == userId
            select new
            {
                m.Role,
                Mapping = db.RolePermissions.Where(r => r.OrganizationId == organizationId && r.Role == m.Role).Select(r => r.Permissions).FirstOrDefault(),
            }).AsNoTracking().FirstOrDefaultAsync(cancellationToken);
        if (member is null)
        {
            return [];
        }

        var grants = await db.PermissionGrants.AsNoTracking()
            .Where(g => g.OrganizationId == organizationId && g.UserId == userId && (g.ExpiresAt == null || g.ExpiresAt > now))
            .Select(g => new { g.Permission, g.Granted })
            .ToListAsync(cancellationToken);

        var result = new SortedSet<string>(Parse(member.Mapping), StringComparer.Ordinal);
        foreach (var grant in grants.Where(g => g.Granted))
        {
            result.Add(grant.Permission);
        }

        foreach (var deny in grants.Where(g => !g.Granted))
        {
            result.Remove(deny.Permission);
        }

        return [.. result];
    }

    /// <summary>The stored JSON array of a role mapping.</summary>
    public static IReadOnlyList<string> Parse(string? json) =>
        string.IsNullOrEmpty(json) ? [] : JsonSerializer.Deserialize<List<string>>(json) ?? [];
}

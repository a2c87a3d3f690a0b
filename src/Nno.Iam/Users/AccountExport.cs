using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Nno.Iam.Access;
using Nno.Iam.ApiKeys;
using Nno.Iam.Audit;
using Nno.Iam.Data;
using Nno.Iam.Sessions;

namespace Nno.Iam.Users;

/// <summary>A platform membership in the export.</summary>
internal sealed record ExportPlatformMembership(string PlatformId, string Role, DateTimeOffset CreatedAt);

/// <summary>A tenant membership in the export.</summary>
internal sealed record ExportTenantMembership(string OrganizationId, string OrganizationName, string PlatformId, string Role, DateTimeOffset CreatedAt);

/// <summary>An invitation addressed to the caller.</summary>
internal sealed record ExportInvitation(string Id, string PlatformId, string? OrganizationId, string Email, string Role, string Status, DateTimeOffset ExpiresAt, DateTimeOffset CreatedAt, DateTimeOffset? RespondedAt);

/// <summary>The whole export of <c>GET /api/nno/users/me/export</c>.</summary>
internal sealed record AccountExportView(
    DateTimeOffset ExportedAt,
    UserView User,
    IReadOnlyList<SessionView> Sessions,
    IReadOnlyList<ExportPlatformMembership> PlatformMemberships,
    IReadOnlyList<ExportTenantMembership> TenantMemberships,
    IReadOnlyList<ExportInvitation> Invitations,
    IReadOnlyList<ApiKeyView> ApiKeys,
    IReadOnlyList<AuditEventView> AuditEvents);

/// <summary>
/// The caller's data (iam.md §3.5): profile, session metadata (never tokens or hashes), platform and tenant memberships,
/// invitations addressed to them, API-key metadata and the audit events where they are actor or subject in the last
/// 400 days. Nothing about other users beyond ids already in those rows (the emails of people the caller invited are not
/// included). The export itself is audited.
/// </summary>
internal static class AccountExport
{
    public static readonly TimeSpan AuditHorizon = TimeSpan.FromDays(400);

    public static async Task<Ok<AccountExportView>> ExportAsync(IamCallers callers, IamDbContext db, AuditLog audit, TimeProvider time, CancellationToken cancellationToken)
    {
        var caller = await callers.RequireSessionAsync(cancellationToken);
        var userId = caller.UserId!;
        var now = time.GetUtcNow();
        var user = await db.Users.AsNoTracking().FirstAsync(u => u.Id == userId, cancellationToken);
        var twoFactor = await db.MfaFactors.AnyAsync(f => f.UserId == userId && f.ConfirmedAt != null, cancellationToken);
        var sessions = await db.Sessions.AsNoTracking().Where(s => s.UserId == userId).OrderByDescending(s => s.CreatedAt).ThenBy(s => s.Id).ToListAsync(cancellationToken);
        var platforms = await db.PlatformMembers.AsNoTracking().Where(m => m.UserId == userId).OrderBy(m => m.CreatedAt).ThenBy(m => m.PlatformId)
            .Select(m => new ExportPlatformMembership(m.PlatformId, m.Role, DateTimeOffset.FromUnixTimeMilliseconds(m.CreatedAt)))
            .ToListAsync(cancellationToken);
        var tenants = await (
            from m in db.Members
            join o in db.Organizations on m.OrganizationId equals o.Id
            where m.UserId == userId
            orderby m.CreatedAt, m.Id
            select new { o.Id, o.Name, o.PlatformId, m.Role, m.CreatedAt })
            .AsNoTracking()
            .ToListAsync(cancellationToken);
        var invitations = await db.Invitations.AsNoTracking().Where(i => i.EmailNormalized == user.EmailNormalized).OrderBy(i => i.CreatedAt).ThenBy(i => i.Id).ToListAsync(cancellationToken);
        var keys = await db.ApiKeys.AsNoTracking().Where(k => k.UserId == userId).OrderBy(k => k.CreatedAt).ThenBy(k => k.Id).ToListAsync(cancellationToken);
        var since = (now - AuditHorizon).ToUnixTimeMilliseconds();
        var events = await db.AuditEvents.AsNoTracking()
            .Where(e => e.OccurredAt >= since && (e.ActorUserId == userId || e.SubjectUserId == userId))
            .OrderByDescending(e => e.OccurredAt).ThenByDescending(e => e.Id)
            .ToListAsync(cancellationToken);

        audit.Add(caller.Audit(AuditEventTypes.UserExported) with { SubjectUserId = userId });
        await db.SaveChangesAsync(cancellationToken);

        return TypedResults.Ok(new AccountExportView(
            now,
            UserView.From(user, twoFactor),
            [.. sessions.Select(SessionView.From)],
            platforms,
            [.. tenants.Select(t => new ExportTenantMembership(t.Id, t.Name, t.PlatformId, t.Role, DateTimeOffset.FromUnixTimeMilliseconds(t.CreatedAt)))],
            [.. invitations.Select(i => new ExportInvitation(i.Id, i.PlatformId, i.OrganizationId, i.Email, i.Role, i.Status,
                DateTimeOffset.FromUnixTimeMilliseconds(i.ExpiresAt), DateTimeOffset.FromUnixTimeMilliseconds(i.CreatedAt),
                i.RespondedAt is { } responded ? DateTimeOffset.FromUnixTimeMilliseconds(responded) : null))],
            [.. keys.Select(ApiKeyView.From)],
            [.. events.Select(AuditEventView.From)]));
    }
}

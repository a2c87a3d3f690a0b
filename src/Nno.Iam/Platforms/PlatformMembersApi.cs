using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Nno.Core.Errors;
using Nno.Core.Pagination;
using Nno.Core.Services;
using Nno.Iam.Access;
using Nno.Iam.Audit;
using Nno.Iam.Data;
using Nno.Iam.Evictions;
using Nno.Iam.Paging;
using Nno.ServiceDefaults.Security;

namespace Nno.Iam.Platforms;

/// <summary>A platform membership (<c>{platformId, userId, role, createdAt}</c>).</summary>
internal sealed record PlatformMembershipView(string PlatformId, string UserId, string Role, DateTimeOffset CreatedAt)
{
    public static PlatformMembershipView From(PlatformMemberRecord m) => new(m.PlatformId, m.UserId, m.Role, DateTimeOffset.FromUnixTimeMilliseconds(m.CreatedAt));
}


/// <summary>One of a user's platforms (<c>GET /api/nno/users/{userId}/platforms</c>).</summary>
internal sealed record UserPlatformItem(string PlatformId, string Role, DateTimeOffset CreatedAt);

/// <summary>Body of the membership PUT and PATCH.</summary>
internal sealed record PlatformMemberRoleRequest(string Role);

/// <summary>Platform memberships (iam.md §3.3): listing, the Registry's direct PUT, role changes, removal and the platform purge.</summary>
internal static class PlatformMembersApi
{
    public static IEndpointRouteBuilder MapPlatformMembers(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/nno/users/{userId}/platforms", ListUserPlatformsAsync)
            .WithName("ListUserPlatforms").WithSummary("A user's platform memberships (self, operators, the Registry).").WithTags("Platform members")
            .AllowServices(NnoServices.Registry);

        var platforms = app.MapGroup("/api/nno/platforms/{platformId}").WithTags("Platform members");
        platforms.MapGet("/members", ListAsync)
            .WithName("ListPlatformMembers").WithSummary("Members of a platform; email addresses only for operators, services, owners and admins.")
            .AllowServices(NnoServices.Registry);
        platforms.MapPut("/members/{userId}", PutAsync)
            .WithName("PutPlatformMember").WithSummary("Create or update a membership directly (the Registry and operators; customers invite by email).")
            .AllowServices(NnoServices.Registry);
        platforms.MapPatch("/members/{userId}", PatchAsync)
            .WithName("ChangePlatformMemberRole").WithSummary("Change a member's platform role (operators, owners; admins between admin and member).");
        platforms.MapDelete("/members/{userId}", DeleteAsync)
            .WithName("RemovePlatformMember").WithSummary("Remove a member (or leave), with their tenant memberships, grants and bound API keys on the platform.");
        platforms.MapDelete("", PurgeAsync)
            .WithName("PurgePlatform").WithSummary("Remove every membership, invitation, tenant membership, grant and API key of a deleted platform (the Registry's purge).")
            .ServiceOnly(NnoServices.Registry);
        return app;
    }

    private static async Task<Ok<Page<UserPlatformItem>>> ListUserPlatformsAsync(
        string userId, HttpContext context, IamCallers callers, IamDbContext db, IamCursors cursors, IOptions<IamOptions> options, CancellationToken cancellationToken)
    {
        var caller = await callers.RequireAuthenticatedAsync(cancellationToken);
        if (!caller.IsPrivileged() && caller.UserId != userId)
        {
            throw ApiException.NotFound("user");
        }

        if (!await db.Users.AnyAsync(u => u.Id == userId, cancellationToken))
        {
            throw ApiException.NotFound("user");
        }

        var request = IamCursors.Request(context.Request);
        var pager = cursors.For("user-platforms", ("userId", userId));
        var operatorPlatform = options.Value.OperatorPlatformId;
        var query = db.PlatformMembers.AsNoTracking().Where(m => m.UserId == userId && m.PlatformId != operatorPlatform);
        var rows = query;
        if (pager.After(request) is { } after)
        {
            var (at, id) = (after.Expect(2).GetInt64(0), after.GetString(1));
            rows = rows.Where(m => m.CreatedAt > at || (m.CreatedAt == at && string.Compare(m.PlatformId, id) > 0));
        }

        var fetched = await rows.OrderBy(m => m.CreatedAt).ThenBy(m => m.PlatformId).Take(request.FetchCount).ToListAsync(cancellationToken);
        int? total = request.IncludeTotal ? await query.CountAsync(cancellationToken) : null;
        return TypedResults.Ok(pager.ToPage(fetched, request, m => CursorPosition.Of(m.CreatedAt, m.PlatformId),
            m => new UserPlatformItem(m.PlatformId, m.Role, DateTimeOffset.FromUnixTimeMilliseconds(m.CreatedAt)), total));
    }

    private static async Task<Ok<Page<MemberItem>>> ListAsync(
        string platformId, HttpContext context, IamCallers callers, IamDbContext db, IamCursors cursors, CancellationToken cancellationToken)
    {
        var caller = await callers.RequireAuthenticatedAsync(cancellationToken);
        PlatformAccess.RequirePlatformId(platformId);
        var role = caller.RequireVisible(platformId, "platform");
        var showEmail = role is null || MemberRoles.IsOwnerOrAdmin(role);

        var request = IamCursors.Request(context.Request);
        var members = db.PlatformMembers.AsNoTracking().Where(m => m.PlatformId == platformId)
            .Select(m => new MembershipRow { UserId = m.UserId, Role = m.Role, CreatedAt = m.CreatedAt });
        return TypedResults.Ok(await MemberListing.PageAsync(members, db, cursors.For("platform-members", ("platformId", platformId)), request, showEmail, cancellationToken));
    }

    private static async Task<Results<Created<PlatformMembershipView>, Ok<PlatformMembershipView>>> PutAsync(
        string platformId, string userId, PlatformMemberRoleRequest body, IamCallers callers, IamDbContext db, PlatformMemberships memberships,
        AuditLog audit, IamEvictions evictions, TimeProvider time, IOptions<IamOptions> options, CancellationToken cancellationToken)
    {
        var caller = await callers.RequireAuthenticatedAsync(cancellationToken);
        if (!caller.IsOperator && !caller.IsService(NnoServices.Registry))
        {
            // iam.md §7 test 10: to customers the direct PUT does not exist (they invite by email), so it answers like an unknown route.
            throw new ApiException(ErrorCodes.NotFound, $"No route matches PUT /api/nno/platforms/{platformId}/members/{userId} on the iam service.");
        }

        PlatformAccess.RequirePlatformId(platformId);
        var role = MemberRoles.Require(body.Role);
        if (platformId == options.Value.OperatorPlatformId)
        {
            throw ApiException.Validation("platformId", "is the operator platform, whose members follow the operator role");
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (!await db.Users.AnyAsync(u => u.Id == userId, cancellationToken))
        {
            throw ApiException.NotFound("user");
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var existing = await db.PlatformMembers.FirstOrDefaultAsync(m => m.PlatformId == platformId && m.UserId == userId, cancellationToken);
        if (existing is null)
        {
            await memberships.RequireCapacityAsync(userId, cancellationToken);
            existing = new PlatformMemberRecord { PlatformId = platformId, UserId = userId, Role = role, AddedBy = caller.ActorId(), CreatedAt = now, UpdatedAt = now };
            db.PlatformMembers.Add(existing);
            audit.Add(caller.Audit(AuditEventTypes.PlatformMemberAdded) with { SubjectUserId = userId, PlatformId = platformId, Metadata = caller.Meta(("role", role)) });
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            evictions.User(userId);
            return TypedResults.Created($"/api/nno/platforms/{platformId}/members/{userId}", PlatformMembershipView.From(existing));
        }

        if (existing.Role != role)
        {
            await ChangeRoleAsync(existing, role, caller, memberships, audit, now, cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            evictions.User(userId);
        }

        return TypedResults.Ok(PlatformMembershipView.From(existing));
    }

    private static async Task<Ok<PlatformMembershipView>> PatchAsync(
        string platformId, string userId, PlatformMemberRoleRequest body, IamCallers callers, IamDbContext db, PlatformMemberships memberships,
        AuditLog audit, IamEvictions evictions, TimeProvider time, CancellationToken cancellationToken)
    {
        var caller = await callers.RequireAuthenticatedAsync(cancellationToken);
        PlatformAccess.RequirePlatformId(platformId);
        var callerRole = caller.RequireVisible(platformId, "platform");
        var role = MemberRoles.Require(body.Role);

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var member = await db.PlatformMembers.FirstOrDefaultAsync(m => m.PlatformId == platformId && m.UserId == userId, cancellationToken)
            ?? throw ApiException.NotFound("membership");
        RequireManage(callerRole, member.Role, role);
        if (member.Role != role)
        {
            await ChangeRoleAsync(member, role, caller, memberships, audit, time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            evictions.User(userId);
        }

        return TypedResults.Ok(PlatformMembershipView.From(member));
    }

    private static async Task<NoContent> DeleteAsync(
        string platformId, string userId, IamCallers callers, IamDbContext db, PlatformMemberships memberships,
        AuditLog audit, IamEvictions evictions, CancellationToken cancellationToken)
    {
        var caller = await callers.RequireAuthenticatedAsync(cancellationToken);
        PlatformAccess.RequirePlatformId(platformId);
        var callerRole = caller.RequireVisible(platformId, "platform");

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var member = await db.PlatformMembers.FirstOrDefaultAsync(m => m.PlatformId == platformId && m.UserId == userId, cancellationToken)
            ?? throw ApiException.NotFound("membership");
        if (caller.UserId != userId)
        {
            RequireManage(callerRole, member.Role, newRole: null);
        }

        var removed = await memberships.RemoveAsync(member, caller.ActorId(), cancellationToken);
        audit.Add(caller.Audit(AuditEventTypes.PlatformMemberRemoved) with
        {
            SubjectUserId = userId,
            PlatformId = platformId,
            Metadata = caller.Meta(("role", removed.Role), ("revokedApiKeys", removed.RevokedApiKeyIds.Count), ("tenantMemberships", removed.TenantMemberships)),
        });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        evictions.User(userId);
        foreach (var key in removed.RevokedApiKeyIds)
        {
            evictions.ApiKey(key);
        }

        return TypedResults.NoContent();
    }

    private static async Task<NoContent> PurgeAsync(
        string platformId, IamCallers callers, IamDbContext db, AuditLog audit, IamEvictions evictions, TimeProvider time, IOptions<IamOptions> options,
        CancellationToken cancellationToken)
    {
        var caller = await callers.RequireAuthenticatedAsync(cancellationToken);
        PlatformAccess.RequirePlatformId(platformId);
        if (platformId == options.Value.OperatorPlatformId)
        {
            throw ApiException.Validation("platformId", "is the operator platform, which is never purged");
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var organizations = db.Organizations.Where(o => o.PlatformId == platformId).Select(o => o.Id);
        var members = await db.PlatformMembers.Where(m => m.PlatformId == platformId).Select(m => new { m.UserId, m.Role }).ToListAsync(cancellationToken);
        var tenantUsers = await db.Members.Where(m => organizations.Contains(m.OrganizationId)).Select(m => m.UserId).Distinct().ToListAsync(cancellationToken);
        var keys = await db.ApiKeys.Where(k => k.PlatformId == platformId).Select(k => k.Id).ToListAsync(cancellationToken);

        await db.Members.Where(m => organizations.Contains(m.OrganizationId)).ExecuteDeleteAsync(cancellationToken);
        await db.PermissionGrants.Where(g => organizations.Contains(g.OrganizationId)).ExecuteDeleteAsync(cancellationToken);
        await db.RolePermissions.Where(r => organizations.Contains(r.OrganizationId)).ExecuteDeleteAsync(cancellationToken);
        var invitations = db.Invitations.Where(i => i.PlatformId == platformId).Select(i => i.Id);
        await db.Verifications.Where(v => v.InvitationId != null && invitations.Contains(v.InvitationId)).ExecuteDeleteAsync(cancellationToken);
        await db.Invitations.Where(i => i.PlatformId == platformId).ExecuteDeleteAsync(cancellationToken);
        await db.ApiKeys.Where(k => k.PlatformId == platformId).ExecuteDeleteAsync(cancellationToken);
        await db.Sessions.Where(s => s.ActiveOrganizationId != null && organizations.Contains(s.ActiveOrganizationId))
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.ActiveOrganizationId, (string?)null).SetProperty(s => s.UpdatedAt, now), cancellationToken);
        await db.Sessions.Where(s => s.ActivePlatformId == platformId)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.ActivePlatformId, (string?)null).SetProperty(s => s.UpdatedAt, now), cancellationToken);
        // The tenants of a deleted platform go with it: soft-deleted, so their ids stay taken and audit events keep pointing at them.
        await db.Organizations.Where(o => o.PlatformId == platformId && o.DeletedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(o => o.DeletedAt, now).SetProperty(o => o.UpdatedAt, now), cancellationToken);
        await db.PlatformMembers.Where(m => m.PlatformId == platformId).ExecuteDeleteAsync(cancellationToken);
        foreach (var member in members)
        {
            audit.Add(caller.Audit(AuditEventTypes.PlatformMemberRemoved) with
            {
                SubjectUserId = member.UserId,
                PlatformId = platformId,
                Metadata = caller.Meta(("role", member.Role), ("reason", "platform_purged")),
            });
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        foreach (var user in members.Select(m => m.UserId).Union(tenantUsers))
        {
            evictions.User(user);
        }

        foreach (var key in keys)
        {
            evictions.ApiKey(key);
        }

        return TypedResults.NoContent();
    }

    /// <summary>
    /// Who may change or remove a membership (iam.md §3.3): operators and owners any; admins only admins and members,
    /// and only to admin or member (§6: platform admins cannot create or remove owners). <paramref name="callerRole"/>
    /// is null for operators.
    /// </summary>
    private static void RequireManage(string? callerRole, string targetRole, string? newRole)
    {
        switch (callerRole)
        {
            case null or MemberRoles.Owner:
                return;
            case MemberRoles.Admin when targetRole != MemberRoles.Owner && newRole != MemberRoles.Owner:
                return;
            case MemberRoles.Admin:
                throw PlatformAccess.Forbidden("Platform admins cannot create, change or remove owners.");
            default:
                throw PlatformAccess.Forbidden("This needs the owner or admin role on the platform.");
        }
    }

    /// <summary>Changes a role; demoting an owner needs another owner (checked inside the transaction).</summary>
    private static async Task ChangeRoleAsync(
        PlatformMemberRecord member, string role, IamCaller caller, PlatformMemberships memberships, AuditLog audit, long now, CancellationToken cancellationToken)
    {
        if (member.Role == MemberRoles.Owner)
        {
            await memberships.RequireAnotherOwnerAsync(member.PlatformId, member.UserId, cancellationToken);
        }

        var from = member.Role;
        member.Role = role;
        member.UpdatedAt = now;
        audit.Add(caller.Audit(AuditEventTypes.PlatformMemberRoleChanged) with
        {
            SubjectUserId = member.UserId,
            PlatformId = member.PlatformId,
            Metadata = caller.Meta(("from", from), ("to", role)),
        });
    }
}

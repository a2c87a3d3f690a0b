using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Errors;
using Nno.Core.Pagination;
using Nno.Iam.Access;
using Nno.Iam.Audit;
using Nno.Iam.Data;
using Nno.Iam.Evictions;
using Nno.Iam.Paging;
using Nno.Iam.Platforms;
using Nno.ServiceDefaults.Idempotency;

namespace Nno.Iam.Organizations;

/// <summary>Tenant memberships (iam.md §3.4): members are added from the platform's members; others are invited by email.</summary>
internal static class OrganizationMembersApi
{
    public static IEndpointRouteBuilder MapOrganizationMembers(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(OrganizationsApi.Path + "/{id}/members").WithTags("Organization members");
        group.MapGet("", ListAsync)
            .WithName("ListOrganizationMembers").WithSummary("Members of an organization; email addresses only for operators and owners/admins.");
        group.MapPost("", AddAsync)
            .WithName("AddOrganizationMember").WithSummary("Add a member of the platform to the organization.").WithIdempotency();
        group.MapPatch("/{userId}", PatchAsync)
            .WithName("ChangeOrganizationMemberRole").WithSummary("Change a member's tenant role (tenant admins only between member and admin).");
        group.MapDelete("/{userId}", DeleteAsync)
            .WithName("RemoveOrganizationMember").WithSummary("Remove a member (or leave) with their grants in the organization.");
        return app;
    }

    private static async Task<Ok<Page<MemberItem>>> ListAsync(
        string id, HttpContext context, IamCallers callers, OrganizationAccess access, IamDbContext db, IamCursors cursors, CancellationToken cancellationToken)
    {
        var caller = await callers.RequireAuthenticatedAsync(cancellationToken);
        var organization = (await access.LoadAsync(caller, id, cancellationToken)).Require(MemberRoles.Owner, MemberRoles.Admin, MemberRoles.Member);
        var showEmail = organization.ManagesPlatform || MemberRoles.IsOwnerOrAdmin(organization.TenantRole);

        var request = IamCursors.Request(context.Request);
        var members = db.Members.AsNoTracking().Where(m => m.OrganizationId == id)
            .Select(m => new MembershipRow { UserId = m.UserId, Role = m.Role, CreatedAt = m.CreatedAt });
        return TypedResults.Ok(await MemberListing.PageAsync(members, db, cursors.For("organization-members", ("organizationId", id)), request, showEmail, cancellationToken));
    }

    private static async Task<Created<MemberView>> AddAsync(
        string id, AddMemberRequest body, IamCallers callers, OrganizationAccess access, IamDbContext db, AuditLog audit, IamEvictions evictions,
        TimeProvider time, CancellationToken cancellationToken)
    {
        var caller = await callers.RequireAuthenticatedAsync(cancellationToken);
        var role = MemberRoles.Require(body.Role);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var organization = (await access.LoadAsync(caller, id, cancellationToken)).Require(MemberRoles.Owner, MemberRoles.Admin);
        if (!organization.ManagesPlatform && MemberRoles.Rank(role) > MemberRoles.Rank(organization.TenantRole))
        {
            throw PlatformAccess.Forbidden("A tenant admin cannot give a role above their own.");
        }

        var platformId = organization.Organization.PlatformId;
        // Only members of the platform can be added; anyone else is invited by email (and an unknown id reveals nothing).
        if (!await db.PlatformMembers.AnyAsync(m => m.PlatformId == platformId && m.UserId == body.UserId, cancellationToken))
        {
            throw ApiException.NotFound("user", "The user is not a member of this platform; invite them by email.");
        }

        if (await db.Members.AnyAsync(m => m.OrganizationId == id && m.UserId == body.UserId, cancellationToken))
        {
            throw new ApiException(ErrorCodes.Conflict, "The user is already a member of the organization.", new { reason = "already_member" });
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var member = new MemberRecord { Id = IamIds.New("mem"), OrganizationId = id, UserId = body.UserId, Role = role, CreatedAt = now, UpdatedAt = now };
        db.Members.Add(member);
        audit.Add(caller.Audit(AuditEventTypes.MemberAdded) with
        {
            SubjectUserId = body.UserId, PlatformId = platformId, OrganizationId = id, Metadata = caller.Meta(("role", role)),
        });
        await OrganizationsApi.SaveUniqueAsync(db, "The user is already a member of the organization.", cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        evictions.User(body.UserId);
        return TypedResults.Created($"{OrganizationsApi.Path}/{id}/members/{body.UserId}", MemberView.From(member));
    }

    private static async Task<Ok<MemberView>> PatchAsync(
        string id, string userId, MemberRoleRequest body, IamCallers callers, OrganizationAccess access, IamDbContext db, AuditLog audit,
        IamEvictions evictions, TimeProvider time, CancellationToken cancellationToken)
    {
        var caller = await callers.RequireAuthenticatedAsync(cancellationToken);
        var role = MemberRoles.Require(body.Role);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var organization = (await access.LoadAsync(caller, id, cancellationToken)).Require(MemberRoles.Owner, MemberRoles.Admin);
        var member = await db.Members.FirstOrDefaultAsync(m => m.OrganizationId == id && m.UserId == userId, cancellationToken)
            ?? throw ApiException.NotFound("membership");
        organization.RequireManageMember(member.Role, role);
        if (member.Role != role)
        {
            if (member.Role == MemberRoles.Owner)
            {
                await access.RequireAnotherOwnerAsync(id, userId, cancellationToken);
            }

            var from = member.Role;
            member.Role = role;
            member.UpdatedAt = time.GetUtcNow().ToUnixTimeMilliseconds();
            audit.Add(caller.Audit(AuditEventTypes.MemberRoleChanged) with
            {
                SubjectUserId = userId, PlatformId = organization.Organization.PlatformId, OrganizationId = id, Metadata = caller.Meta(("from", from), ("to", role)),
            });
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            evictions.User(userId);
        }

        return TypedResults.Ok(MemberView.From(member));
    }

    private static async Task<NoContent> DeleteAsync(
        string id, string userId, IamCallers callers, OrganizationAccess access, IamDbContext db, AuditLog audit, IamEvictions evictions,
        CancellationToken cancellationToken)
    {
        var caller = await callers.RequireAuthenticatedAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var organization = await access.LoadAsync(caller, id, cancellationToken);
        var self = caller.UserId == userId;
        if (!self)
        {
            organization.Require(MemberRoles.Owner, MemberRoles.Admin);
        }

        var member = await db.Members.FirstOrDefaultAsync(m => m.OrganizationId == id && m.UserId == userId, cancellationToken)
            ?? throw ApiException.NotFound("membership");
        if (!self)
        {
            organization.RequireManageMember(member.Role, newRole: null);
        }

        if (member.Role == MemberRoles.Owner)
        {
            await access.RequireAnotherOwnerAsync(id, userId, cancellationToken);
        }

        db.Members.Remove(member);
        // Grants exist only for tenant members (iam.md §3.4): they leave with the membership.
        await db.PermissionGrants.Where(g => g.OrganizationId == id && g.UserId == userId).ExecuteDeleteAsync(cancellationToken);
        audit.Add(caller.Audit(AuditEventTypes.MemberRemoved) with
        {
            SubjectUserId = userId, PlatformId = organization.Organization.PlatformId, OrganizationId = id, Metadata = caller.Meta(("role", member.Role), ("self", self)),
        });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        evictions.User(userId);
        return TypedResults.NoContent();
    }
}

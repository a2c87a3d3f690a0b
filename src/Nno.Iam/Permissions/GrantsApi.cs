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
using Nno.Iam.Organizations;
using Nno.Iam.Paging;
using Nno.Iam.Platforms;
using Nno.Iam.Users;
using Nno.ServiceDefaults.Idempotency;

namespace Nno.Iam.Permissions;

/// <summary>A per-user grant (<c>granted: true</c>) or denial (<c>false</c>) of one permission in one organization.</summary>
internal sealed record GrantView(string Id, string OrgId, string UserId, string Permission, bool Granted, string GrantedBy, DateTimeOffset? ExpiresAt, DateTimeOffset CreatedAt)
{
    public static GrantView From(PermissionGrantRecord g) => new(
        g.Id, g.OrganizationId, g.UserId, g.Permission, g.Granted, g.GrantedBy,
        g.ExpiresAt is { } expires ? DateTimeOffset.FromUnixTimeMilliseconds(expires) : null, DateTimeOffset.FromUnixTimeMilliseconds(g.CreatedAt));
}

/// <summary>Body of <c>POST /api/nno/grants</c>; <c>expiresAt</c> is ISO-8601 (a Unix-ms number is a 400 like any wrong type).</summary>
internal sealed record CreateGrantRequest(string UserId, string OrgId, string Permission, bool Granted, string? GrantedBy = null, DateTimeOffset? ExpiresAt = null);

/// <summary>The effective permissions of a user in an organization (iam.md §4.7).</summary>
internal sealed record EffectivePermissionsView(string OrgId, string UserId, IReadOnlyList<string> Permissions);

/// <summary>Grants and denials (iam.md §3.4) and effective permissions (§4.7).</summary>
internal static class GrantsApi
{
    public static IEndpointRouteBuilder MapGrants(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/nno/grants").WithTags("Permissions");
        group.MapGet("", ListAsync)
            .WithName("ListGrants").WithSummary("Grants and denials in an organization (managers; a user their own with userId = self).");
        group.MapPost("", CreateAsync)
            .WithName("CreateGrant").WithSummary("Grant or deny a tenant member one permission (201 new, 200 replaced); never to oneself.").WithIdempotency();
        group.MapDelete("/{id}", DeleteAsync)
            .WithName("DeleteGrant").WithSummary("Remove a grant or denial.");
        app.MapGet("/api/nno/permissions/effective", EffectiveAsync)
            .WithName("GetEffectivePermissions").WithSummary("A user's effective permissions in an organization: role mapping plus grants minus denials.")
            .WithTags("Permissions");
        return app;
    }

    private static async Task<Ok<Page<GrantView>>> ListAsync(
        HttpContext context, IamCallers callers, OrganizationAccess access, IamDbContext db, IamCursors cursors, TimeProvider time, CancellationToken cancellationToken)
    {
        var caller = await callers.RequireAuthenticatedAsync(cancellationToken);
        var query = context.Request.Query;
        var orgId = query["orgId"].LastOrDefault() ?? throw ApiException.Validation("orgId", "is required");
        var userId = query["userId"].LastOrDefault();
        var includeExpired = query["includeExpired"].LastOrDefault() switch
        {
            null or "false" => false,
            "true" => true,
            _ => throw ApiException.Validation("includeExpired", "must be true or false"),
        };
        var request = IamCursors.Request(context.Request);
        var organization = await access.LoadAsync(caller, orgId, cancellationToken);
        if (userId is null || userId != caller.UserId)
        {
            organization.Require(MemberRoles.Owner, MemberRoles.Admin);
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var grants = db.PermissionGrants.AsNoTracking().Where(g => g.OrganizationId == orgId);
        if (userId is not null)
        {
            grants = grants.Where(g => g.UserId == userId);
        }

        if (!includeExpired)
        {
            grants = grants.Where(g => g.ExpiresAt == null || g.ExpiresAt > now);
        }

        var pager = cursors.For("grants", ("orgId", orgId), ("userId", userId), ("includeExpired", includeExpired ? "true" : "false"));
        var page = grants;
        if (pager.After(request) is { } after)
        {
            var (at, id) = (after.Expect(2).GetInt64(0), after.GetString(1));
            page = page.Where(g => g.CreatedAt > at || (g.CreatedAt == at && string.Compare(g.Id, id) > 0));
        }

        var fetched = await page.OrderBy(g => g.CreatedAt).ThenBy(g => g.Id).Take(request.FetchCount).ToListAsync(cancellationToken);
        int? total = request.IncludeTotal ? await grants.CountAsync(cancellationToken) : null;
        return TypedResults.Ok(pager.ToPage(fetched, request, g => CursorPosition.Of(g.CreatedAt, g.Id), GrantView.From, total));
    }

    private static async Task<Results<Created<GrantView>, Ok<GrantView>>> CreateAsync(
        CreateGrantRequest body, IamCallers callers, OrganizationAccess access, IamDbContext db, EffectivePermissions effective, AuditLog audit,
        IamEvictions evictions, TimeProvider time, CancellationToken cancellationToken)
    {
        var caller = await callers.RequireAuthenticatedAsync(cancellationToken);
        var now = time.GetUtcNow();
        var problems = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (PermissionNames.Problem(body.Permission) is { } permissionProblem)
        {
            problems["permission"] = [permissionProblem];
        }

        if (body.ExpiresAt is { } expiresAt && expiresAt <= now)
        {
            problems["expiresAt"] = ["must be in the future"];
        }

        if (body.GrantedBy is not null && body.GrantedBy != caller.ActorId())
        {
            problems["grantedBy"] = ["must be the caller"];
        }

        if (caller.UserId is not null && body.UserId == caller.UserId)
        {
            problems["userId"] = ["cannot be yourself: nobody grants themselves permissions"];
        }

        if (problems.Count > 0)
        {
            throw ApiException.Validation(problems);
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var organization = (await access.LoadAsync(caller, body.OrgId, cancellationToken)).Require(MemberRoles.Owner, MemberRoles.Admin);
        if (!await db.Members.AnyAsync(m => m.OrganizationId == body.OrgId && m.UserId == body.UserId, cancellationToken))
        {
            throw ApiException.Validation("userId", "is not a member of the organization");
        }

        // §6 privilege escalation: a tenant admin hands out only what it holds itself.
        if (body.Granted && !organization.ManagesPlatform && organization.TenantRole == MemberRoles.Admin)
        {
            var held = await effective.ComputeAsync(false, organization.PlatformRole, caller.UserId!, body.OrgId, cancellationToken);
            if (!held.Contains(body.Permission, StringComparer.Ordinal))
            {
                throw ApiException.Validation("permission", "is not one you hold in this organization");
            }
        }

        var nowMs = now.ToUnixTimeMilliseconds();
        var grant = await db.PermissionGrants.FirstOrDefaultAsync(g => g.OrganizationId == body.OrgId && g.UserId == body.UserId && g.Permission == body.Permission, cancellationToken);
        var replaced = grant is not null;
        if (grant is null)
        {
            grant = new PermissionGrantRecord { Id = IamIds.New("grt"), OrganizationId = body.OrgId, UserId = body.UserId, Permission = body.Permission, GrantedBy = caller.ActorId() };
            db.PermissionGrants.Add(grant);
        }

        grant.Granted = body.Granted;
        grant.GrantedBy = caller.ActorId();
        grant.ExpiresAt = body.ExpiresAt?.ToUnixTimeMilliseconds();
        grant.CreatedAt = nowMs;
        audit.Add(caller.Audit(AuditEventTypes.GrantCreated) with
        {
            SubjectUserId = body.UserId,
            PlatformId = organization.Organization.PlatformId,
            OrganizationId = body.OrgId,
            Metadata = caller.Meta(("grantId", grant.Id), ("permission", body.Permission), ("granted", body.Granted), ("expiresAt", grant.ExpiresAt), ("replaced", replaced)),
        });
        await OrganizationsApi.SaveUniqueAsync(db, "A grant for this permission was created at the same time; retry.", cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        evictions.User(body.UserId);
        return replaced ? TypedResults.Ok(GrantView.From(grant)) : TypedResults.Created($"/api/nno/grants/{grant.Id}", GrantView.From(grant));
    }

    private static async Task<NoContent> DeleteAsync(
        string id, IamCallers callers, OrganizationAccess access, IamDbContext db, AuditLog audit, IamEvictions evictions, CancellationToken cancellationToken)
    {
        var caller = await callers.RequireAuthenticatedAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var grant = await db.PermissionGrants.FirstOrDefaultAsync(g => g.Id == id, cancellationToken) ?? throw ApiException.NotFound("grant");
        var organization = (await access.LoadAsync(caller, grant.OrganizationId, cancellationToken, resource: "grant")).Require(MemberRoles.Owner, MemberRoles.Admin);
        db.PermissionGrants.Remove(grant);
        audit.Add(caller.Audit(AuditEventTypes.GrantDeleted) with
        {
            SubjectUserId = grant.UserId,
            PlatformId = organization.Organization.PlatformId,
            OrganizationId = grant.OrganizationId,
            Metadata = caller.Meta(("grantId", grant.Id), ("permission", grant.Permission), ("granted", grant.Granted)),
        });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        evictions.User(grant.UserId);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<EffectivePermissionsView>> EffectiveAsync(
        HttpContext context, IamCallers callers, OrganizationAccess access, IamDbContext db, EffectivePermissions effective, CancellationToken cancellationToken)
    {
        var caller = await callers.RequireAuthenticatedAsync(cancellationToken);
        var query = context.Request.Query;
        var orgId = query["orgId"].LastOrDefault();
        var userId = query["userId"].LastOrDefault();
        var problems = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(orgId))
        {
            problems["orgId"] = ["is required"];
        }

        if (string.IsNullOrEmpty(userId))
        {
            problems["userId"] = ["is required"];
        }

        if (problems.Count > 0)
        {
            throw ApiException.Validation(problems);
        }

        var organization = await access.LoadAsync(caller, orgId, cancellationToken);
        if (userId != caller.UserId && !organization.ManagesPlatform)
        {
            throw PlatformAccess.Forbidden("Only operators and the platform's owners and admins read other users' permissions.");
        }

        var platformId = organization.Organization.PlatformId;
        var target = await db.Users.AsNoTracking().Where(u => u.Id == userId)
            .Select(u => new { u.Role, PlatformRole = db.PlatformMembers.Where(m => m.PlatformId == platformId && m.UserId == u.Id).Select(m => m.Role).FirstOrDefault() })
            .FirstOrDefaultAsync(cancellationToken);
        // A user of another platform is as unknown as a user that does not exist.
        var isOperator = target?.Role == UserRoles.PlatformAdmin;
        if (target is null || (!caller.IsPrivileged() && !isOperator && target.PlatformRole is null))
        {
            throw ApiException.NotFound("user");
        }

        var permissions = await effective.ComputeAsync(isOperator, target.PlatformRole, userId!, orgId!, cancellationToken);
        return TypedResults.Ok(new EffectivePermissionsView(orgId!, userId!, permissions));
    }
}

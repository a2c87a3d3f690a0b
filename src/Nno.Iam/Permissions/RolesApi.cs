using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Errors;
using Nno.Iam.Access;
using Nno.Iam.Audit;
using Nno.Iam.Data;
using Nno.Iam.Evictions;
using Nno.Iam.Organizations;
using Nno.Iam.Platforms;

namespace Nno.Iam.Permissions;

/// <summary>A role's mapping in one organization; unmapped roles have <c>permissions: []</c> and <c>updatedAt: null</c>.</summary>
internal sealed record RoleMappingView(string OrgId, string Role, IReadOnlyList<string> Permissions, DateTimeOffset? UpdatedAt);

/// <summary>The three role mappings of an organization (always owner, admin, member).</summary>
internal sealed record RoleMappingList(IReadOnlyList<RoleMappingView> Data);

/// <summary>Body of <c>POST /api/nno/roles</c>.</summary>
internal sealed record UpsertRoleMappingRequest(string OrgId, string Role, IReadOnlyList<string> Permissions);

/// <summary>Role→permission mappings per organization (iam.md §3.4, §4.7).</summary>
internal static class RolesApi
{
    private static readonly string[] Roles = [MemberRoles.Owner, MemberRoles.Admin, MemberRoles.Member];

    public static IEndpointRouteBuilder MapRoleMappings(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/nno/roles").WithTags("Permissions");
        group.MapGet("", ListAsync)
            .WithName("ListRoleMappings").WithSummary("The permissions of the owner, admin and member roles in an organization.");
        group.MapPost("", UpsertAsync)
            .WithName("UpsertRoleMapping").WithSummary("Set the permissions of one role in an organization (deduplicated and sorted).");
        group.MapDelete("/{orgId}/{role}", DeleteAsync)
            .WithName("DeleteRoleMapping").WithSummary("Remove a role's mapping (the role then carries no permissions).");
        return app;
    }

    private static async Task<Ok<RoleMappingList>> ListAsync(
        HttpContext context, IamCallers callers, OrganizationAccess access, IamDbContext db, CancellationToken cancellationToken)
    {
        var caller = await callers.RequireAuthenticatedAsync(cancellationToken);
        var orgId = context.Request.Query["orgId"].LastOrDefault() ?? throw ApiException.Validation("orgId", "is required");
        (await access.LoadAsync(caller, orgId, cancellationToken)).Require(MemberRoles.Owner, MemberRoles.Admin);
        var stored = await db.RolePermissions.AsNoTracking().Where(r => r.OrganizationId == orgId).ToDictionaryAsync(r => r.Role, StringComparer.Ordinal, cancellationToken);
        var data = Roles.Select(role => stored.TryGetValue(role, out var r)
            ? new RoleMappingView(orgId, role, EffectivePermissions.Parse(r.Permissions), DateTimeOffset.FromUnixTimeMilliseconds(r.UpdatedAt))
            : new RoleMappingView(orgId, role, [], null)).ToList();
        return TypedResults.Ok(new RoleMappingList(data));
    }

    private static async Task<Ok<RoleMappingView>> UpsertAsync(
        UpsertRoleMappingRequest body, IamCallers callers, OrganizationAccess access, IamDbContext db, AuditLog audit, IamEvictions evictions,
        TimeProvider time, CancellationToken cancellationToken)
    {
        var caller = await callers.RequireAuthenticatedAsync(cancellationToken);
        var role = MemberRoles.Require(body.Role);
        var problems = new List<string>();
        for (var i = 0; i < body.Permissions.Count; i++)
        {
            if (PermissionNames.Problem(body.Permissions[i]) is { } problem)
            {
                problems.Add($"[{i}] {problem}");
            }
        }

        var permissions = body.Permissions.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (permissions.Count > PermissionNames.MaxPerRole)
        {
            problems.Add($"must hold at most {PermissionNames.MaxPerRole} permissions");
        }

        if (problems.Count > 0)
        {
            throw ApiException.Validation(new Dictionary<string, string[]> { ["permissions"] = [.. problems] });
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var organization = (await access.LoadAsync(caller, body.OrgId, cancellationToken)).Require(MemberRoles.Owner);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var json = JsonSerializer.Serialize(permissions);
        var mapping = await db.RolePermissions.FirstOrDefaultAsync(r => r.OrganizationId == body.OrgId && r.Role == role, cancellationToken);
        if (mapping is null)
        {
            mapping = new RolePermissionsRecord { OrganizationId = body.OrgId, Role = role, Permissions = json, UpdatedBy = caller.ActorId(), UpdatedAt = now };
            db.RolePermissions.Add(mapping);
        }
        else
        {
            mapping.Permissions = json;
            mapping.UpdatedBy = caller.ActorId();
            mapping.UpdatedAt = now;
        }

        audit.Add(caller.Audit(AuditEventTypes.RoleMappingUpserted) with
        {
            PlatformId = organization.Organization.PlatformId, OrganizationId = body.OrgId, Metadata = caller.Meta(("role", role), ("permissions", permissions.Count)),
        });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await EvictHoldersAsync(db, evictions, body.OrgId, role, cancellationToken);
        return TypedResults.Ok(new RoleMappingView(body.OrgId, role, permissions, DateTimeOffset.FromUnixTimeMilliseconds(now)));
    }

    private static async Task<NoContent> DeleteAsync(
        string orgId, string role, IamCallers callers, OrganizationAccess access, IamDbContext db, AuditLog audit, IamEvictions evictions,
        CancellationToken cancellationToken)
    {
        var caller = await callers.RequireAuthenticatedAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var organization = (await access.LoadAsync(caller, orgId, cancellationToken)).Require(MemberRoles.Owner);
        var mapping = await db.RolePermissions.FirstOrDefaultAsync(r => r.OrganizationId == orgId && r.Role == role, cancellationToken)
            ?? throw ApiException.NotFound("role_mapping", "The role has no mapping in this organization.");
        db.RolePermissions.Remove(mapping);
        audit.Add(caller.Audit(AuditEventTypes.RoleMappingDeleted) with
        {
            PlatformId = organization.Organization.PlatformId, OrganizationId = orgId, Metadata = caller.Meta(("role", role)),
        });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await EvictHoldersAsync(db, evictions, orgId, role, cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>The holders' cached effective permissions changed with the mapping.</summary>
    private static async Task EvictHoldersAsync(IamDbContext db, IamEvictions evictions, string orgId, string role, CancellationToken cancellationToken)
    {
        foreach (var user in await db.Members.Where(m => m.OrganizationId == orgId && m.Role == role).Select(m => m.UserId).ToListAsync(cancellationToken))
        {
            evictions.User(user);
        }
    }
}

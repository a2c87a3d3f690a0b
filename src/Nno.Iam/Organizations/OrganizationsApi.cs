using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Nno.Core.Errors;
using Nno.Core.Ids;
using Nno.Core.Json;
using Nno.Core.Pagination;
using Nno.Core.Services;
using Nno.Iam.Access;
using Nno.Iam.Audit;
using Nno.Iam.Data;
using Nno.Iam.Evictions;
using Nno.Iam.Paging;
using Nno.Iam.Platforms;
using Nno.ServiceDefaults.Idempotency;
using Nno.ServiceDefaults.Security;

namespace Nno.Iam.Organizations;

/// <summary>Organizations (= tenants of a platform, nested through <c>parentId</c>), iam.md §3.4.</summary>
internal static class OrganizationsApi
{
    public const string Path = "/api/nno/organizations";

    public static IEndpointRouteBuilder MapOrganizations(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Path).WithTags("Organizations");
        group.MapPost("", CreateAsync)
            .WithName("CreateOrganization").WithSummary("Create a tenant with its owner (the Registry and operators); an identical repeat answers 200.")
            .AllowServices(NnoServices.Registry).WithIdempotency();
        group.MapGet("", ListAsync)
            .WithName("ListOrganizations").WithSummary("Organizations by platform, parent or slug; without platformId a user's own organizations with their role.")
            .AllowServices(NnoServices.Registry);
        group.MapGet("/{id}", GetAsync)
            .WithName("GetOrganization").WithSummary("One organization (operators, the Registry, platform owners and admins, its members).")
            .AllowServices(NnoServices.Registry);
        group.MapPatch("/{id}", PatchAsync)
            .WithName("UpdateOrganization").WithSummary("Rename an organization or change its slug, logo or metadata (the Registry and operators).")
            .AllowServices(NnoServices.Registry);
        group.MapDelete("/{id}", DeleteAsync)
            .WithName("DeleteOrganization").WithSummary("Soft-delete an organization without live children, with its members, grants, role mappings and pending invitations.")
            .AllowServices(NnoServices.Registry);
        return app;
    }

    private static async Task<Results<Created<OrganizationView>, Ok<OrganizationView>>> CreateAsync(
        CreateOrganizationRequest body, IamCallers callers, IamDbContext db, PlatformMemberships memberships, AuditLog audit,
        IamEvictions evictions, TimeProvider time, IOptions<IamOptions> options, CancellationToken cancellationToken)
    {
        var caller = await callers.RequireAuthenticatedAsync(cancellationToken);
        var problems = new Dictionary<string, string[]>(StringComparer.Ordinal);
        void Check(string field, string? problem)
        {
            if (problem is not null)
            {
                problems[field] = [problem];
            }
        }

        Check("id", body.Id is null ? null : OrganizationRules.IdProblem(body.Id));
        Check("platformId", !IdFormat.IsPlatformId(body.PlatformId) ? "must be a 10-character id of a-z and 0-9"
            : body.PlatformId == options.Value.OperatorPlatformId ? "is the operator platform, which has no tenants" : null);
        Check("parentId", body.ParentId is null ? null : OrganizationRules.IdProblem(body.ParentId));
        Check("name", OrganizationRules.NameProblem(body.Name));
        Check("slug", OrganizationRules.SlugProblem(body.Slug));
        Check("ownerId", string.IsNullOrWhiteSpace(body.OwnerId) ? "is required" : null);
        Check("orgType", body.OrgType switch
        {
            null or OrganizationTypes.Tenant => null,
            OrganizationTypes.NnoOperator => "nno-operator is created only by bootstrap",
            _ => "must be tenant",
        });
        Check("metadata", OrganizationRules.MetadataProblem(body.Metadata));
        if (problems.Count > 0)
        {
            throw ApiException.Validation(problems);
        }

        if (!caller.IsOperator && !caller.IsService(NnoServices.Registry))
        {
            caller.RequireVisible(body.PlatformId, "platform");
            throw PlatformAccess.Forbidden("Organizations are created by the Registry and operators.");
        }

        var name = OrganizationRules.NormalizeName(body.Name);
        var metadata = OrganizationRules.Serialize(body.Metadata);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (body.Id is { } requestedId && await db.Organizations.AsNoTracking().FirstOrDefaultAsync(o => o.Id == requestedId, cancellationToken) is { } existing)
        {
            // A retry of the same creation (the Registry passes its entity id) is answered like the first success.
            var same = existing.DeletedAt is null && existing.PlatformId == body.PlatformId && existing.ParentId == body.ParentId && existing.Name == name
                && existing.Slug == body.Slug && existing.OrgType == OrganizationTypes.Tenant && existing.Metadata == metadata
                && await db.Members.AnyAsync(m => m.OrganizationId == existing.Id && m.UserId == body.OwnerId && m.Role == MemberRoles.Owner, cancellationToken);
            return same
                ? TypedResults.Ok(OrganizationView.From(existing, caller.UserId == body.OwnerId ? MemberRoles.Owner : null))
                : throw new ApiException(ErrorCodes.Conflict, "An organization with this id already exists.", new { reason = "id_taken", id = requestedId });
        }

        if (!await db.Users.AnyAsync(u => u.Id == body.OwnerId && u.DisabledAt == null, cancellationToken))
        {
            throw ApiException.NotFound("user", "The owner is not a known user.");
        }

        if (body.ParentId is { } parentId
            && !await db.Organizations.AnyAsync(o => o.Id == parentId && o.PlatformId == body.PlatformId && o.DeletedAt == null, cancellationToken))
        {
            throw ApiException.NotFound("organization", "The parent organization is not a live organization of this platform.");
        }

        await RequireSlugFreeAsync(db, body.PlatformId, body.Slug, exceptId: null, cancellationToken);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var organization = new OrganizationRecord
        {
            Id = body.Id ?? RandomIdGenerator.Instance.NewId(),
            PlatformId = body.PlatformId,
            ParentId = body.ParentId,
            Name = name,
            Slug = body.Slug,
            OrgType = OrganizationTypes.Tenant,
            Metadata = metadata,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Organizations.Add(organization);
        db.Members.Add(new MemberRecord { Id = IamIds.New("mem"), OrganizationId = organization.Id, UserId = body.OwnerId, Role = MemberRoles.Owner, CreatedAt = now, UpdatedAt = now });
        // iam.md §4.2: tenant membership always implies platform membership.
        var (_, addedToPlatform) = await memberships.EnsureAsync(body.PlatformId, body.OwnerId, MemberRoles.Member, caller.ActorId(), cancellationToken);
        audit.Add(caller.Audit(AuditEventTypes.OrgCreated) with
        {
            SubjectUserId = body.OwnerId,
            PlatformId = organization.PlatformId,
            OrganizationId = organization.Id,
            Metadata = caller.Meta(("slug", organization.Slug), ("parentId", organization.ParentId)),
        });
        audit.Add(caller.Audit(AuditEventTypes.MemberAdded) with
        {
            SubjectUserId = body.OwnerId, PlatformId = organization.PlatformId, OrganizationId = organization.Id, Metadata = caller.Meta(("role", MemberRoles.Owner)),
        });
        if (addedToPlatform)
        {
            audit.Add(caller.Audit(AuditEventTypes.PlatformMemberAdded) with
            {
                SubjectUserId = body.OwnerId, PlatformId = organization.PlatformId, Metadata = caller.Meta(("role", MemberRoles.Member), ("reason", "organization_owner")),
            });
        }

        await SaveUniqueAsync(db, "An organization with this id or slug already exists.", cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        evictions.User(body.OwnerId);
        return TypedResults.Created($"{Path}/{organization.Id}", OrganizationView.From(organization, caller.UserId == body.OwnerId ? MemberRoles.Owner : null));
    }

    private static async Task<Ok<Page<OrganizationView>>> ListAsync(
        HttpContext context, IamCallers callers, IamDbContext db, IamCursors cursors, CancellationToken cancellationToken)
    {
        var caller = await callers.RequireAuthenticatedAsync(cancellationToken);
        var query = context.Request.Query;
        var platformId = query["platformId"].LastOrDefault();
        var parentId = query["parentId"].LastOrDefault();
        var slug = query["slug"].LastOrDefault();
        if (platformId is not null)
        {
            PlatformAccess.RequirePlatformId(platformId);
        }

        if (parentId is not null && OrganizationRules.IdProblem(parentId) is { } parentProblem)
        {
            throw ApiException.Validation("parentId", parentProblem);
        }

        var request = IamCursors.Request(context.Request);
        var userId = caller.UserId;
        var organizations = db.Organizations.AsNoTracking().Where(o => o.DeletedAt == null);
        if (platformId is not null)
        {
            organizations = organizations.Where(o => o.PlatformId == platformId);
        }

        if (!caller.IsPrivileged())
        {
            var role = platformId is null ? null : caller.RequireVisible(platformId, "platform");
            if (platformId is null || role == MemberRoles.Member)
            {
                // A user's own organizations (P(member) sees only the ones they belong to); an API key stays on its platform.
                organizations = organizations.Where(o => db.Members.Any(m => m.OrganizationId == o.Id && m.UserId == userId));
                if (caller.ApiKey is { } key)
                {
                    organizations = organizations.Where(o => o.PlatformId == key.PlatformId);
                }
            }
        }

        if (parentId is not null)
        {
            organizations = organizations.Where(o => o.ParentId == parentId);
        }

        if (slug is not null)
        {
            organizations = organizations.Where(o => o.Slug == slug);
        }

        var pager = cursors.For("organizations", ("platformId", platformId), ("parentId", parentId), ("slug", slug));
        var page = organizations;
        if (pager.After(request) is { } after)
        {
            var (at, id) = (after.Expect(2).GetInt64(0), after.GetString(1));
            page = page.Where(o => o.CreatedAt > at || (o.CreatedAt == at && string.Compare(o.Id, id) > 0));
        }

        var fetched = await page.OrderBy(o => o.CreatedAt).ThenBy(o => o.Id)
            .Select(o => new { Organization = o, Role = db.Members.Where(m => m.OrganizationId == o.Id && m.UserId == userId).Select(m => m.Role).FirstOrDefault() })
            .Take(request.FetchCount).ToListAsync(cancellationToken);
        int? total = request.IncludeTotal ? await organizations.CountAsync(cancellationToken) : null;
        return TypedResults.Ok(pager.ToPage(fetched, request, r => CursorPosition.Of(r.Organization.CreatedAt, r.Organization.Id),
            r => OrganizationView.From(r.Organization, r.Role), total));
    }

    private static async Task<Ok<OrganizationView>> GetAsync(string id, IamCallers callers, OrganizationAccess access, CancellationToken cancellationToken)
    {
        var caller = await callers.RequireAuthenticatedAsync(cancellationToken);
        var context = (await access.LoadAsync(caller, id, cancellationToken)).Require(MemberRoles.Owner, MemberRoles.Admin, MemberRoles.Member);
        return TypedResults.Ok(OrganizationView.From(context.Organization, context.TenantRole));
    }

    private static async Task<Ok<OrganizationView>> PatchAsync(
        string id, [Microsoft.AspNetCore.Mvc.FromBody] JsonElement body, IamCallers callers, OrganizationAccess access, IamDbContext db, AuditLog audit, IamEvictions evictions,
        TimeProvider time, CancellationToken cancellationToken)
    {
        var caller = await callers.RequireAuthenticatedAsync(cancellationToken);
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw ApiException.Validation("body", "must be a JSON object");
        }

        // Bound as a raw object first: a field set to null (logo, metadata) clears it, an absent field is left alone.
        var patch = body.Deserialize<PatchOrganizationRequest>(NnoJson.Options) ?? throw ApiException.Validation("body", "must be a JSON object");
        var problems = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (body.TryGetProperty("name", out _) && OrganizationRules.NameProblem(patch.Name) is { } nameProblem)
        {
            problems["name"] = [nameProblem];
        }

        if (body.TryGetProperty("slug", out _) && OrganizationRules.SlugProblem(patch.Slug) is { } slugProblem)
        {
            problems["slug"] = [slugProblem];
        }

        if (OrganizationRules.LogoProblem(patch.Logo) is { } logoProblem)
        {
            problems["logo"] = [logoProblem];
        }

        if (OrganizationRules.MetadataProblem(patch.Metadata) is { } metadataProblem)
        {
            problems["metadata"] = [metadataProblem];
        }

        if (problems.Count > 0)
        {
            throw ApiException.Validation(problems);
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var context = await access.LoadAsync(caller, id, cancellationToken);
        if (!caller.IsOperator && !caller.IsService(NnoServices.Registry))
        {
            throw PlatformAccess.Forbidden("Organizations are changed by the Registry and operators.");
        }

        var organization = context.Organization;
        var changed = new List<string>();
        if (patch.Name is not null && OrganizationRules.NormalizeName(patch.Name) is var name && name != organization.Name)
        {
            organization.Name = name;
            changed.Add("name");
        }

        if (patch.Slug is not null && patch.Slug != organization.Slug)
        {
            await RequireSlugFreeAsync(db, organization.PlatformId, patch.Slug, organization.Id, cancellationToken);
            organization.Slug = patch.Slug;
            changed.Add("slug");
        }

        if (body.TryGetProperty("logo", out _) && patch.Logo != organization.Logo)
        {
            organization.Logo = patch.Logo;
            changed.Add("logo");
        }

        if (body.TryGetProperty("metadata", out _) && OrganizationRules.Serialize(patch.Metadata) is var metadata && metadata != organization.Metadata)
        {
            organization.Metadata = metadata;
            changed.Add("metadata");
        }

        if (changed.Count > 0)
        {
            organization.UpdatedAt = time.GetUtcNow().ToUnixTimeMilliseconds();
            audit.Add(caller.Audit(AuditEventTypes.OrgUpdated) with
            {
                PlatformId = organization.PlatformId, OrganizationId = organization.Id, Metadata = caller.Meta(("fields", changed)),
            });
            await SaveUniqueAsync(db, "Another organization of this platform has this slug.", cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            // The enriched session carries the active organization's name and slug.
            foreach (var session in await db.Sessions.Where(s => s.ActiveOrganizationId == organization.Id && s.RevokedAt == null).Select(s => s.Id).ToListAsync(cancellationToken))
            {
                evictions.Session(session);
            }
        }

        return TypedResults.Ok(OrganizationView.From(organization, context.TenantRole));
    }

    private static async Task<NoContent> DeleteAsync(
        string id, IamCallers callers, OrganizationAccess access, IamDbContext db, AuditLog audit, IamEvictions evictions, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var caller = await callers.RequireAuthenticatedAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var context = await access.LoadAsync(caller, id, cancellationToken);
        if (!caller.IsOperator && !caller.IsService(NnoServices.Registry))
        {
            throw PlatformAccess.Forbidden("Organizations are deleted by the Registry and operators.");
        }

        var organization = context.Organization;
        if (organization.OrgType == OrganizationTypes.NnoOperator)
        {
            throw new ApiException(ErrorCodes.Conflict, "The operator organization cannot be deleted.", new { reason = "operator_organization" });
        }

        var children = await db.Organizations.Where(o => o.ParentId == organization.Id && o.DeletedAt == null).Select(o => o.Id).Take(100).ToListAsync(cancellationToken);
        if (children.Count > 0)
        {
            throw new ApiException(ErrorCodes.Conflict, "The organization has live children; delete them first.", new { reason = "has_children", childIds = children });
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var users = await db.Members.Where(m => m.OrganizationId == organization.Id).Select(m => m.UserId).ToListAsync(cancellationToken);
        var sessions = await db.Sessions.Where(s => s.ActiveOrganizationId == organization.Id).Select(s => new { s.Id, s.RevokedAt }).ToListAsync(cancellationToken);
        await db.Members.Where(m => m.OrganizationId == organization.Id).ExecuteDeleteAsync(cancellationToken);
        await db.PermissionGrants.Where(g => g.OrganizationId == organization.Id).ExecuteDeleteAsync(cancellationToken);
        await db.RolePermissions.Where(r => r.OrganizationId == organization.Id).ExecuteDeleteAsync(cancellationToken);
        var pending = db.Invitations.Where(i => i.OrganizationId == organization.Id && i.Status == "pending").Select(i => i.Id);
        await db.Verifications.Where(v => v.InvitationId != null && pending.Contains(v.InvitationId)).ExecuteDeleteAsync(cancellationToken);
        await db.Invitations.Where(i => i.OrganizationId == organization.Id && i.Status == "pending").ExecuteDeleteAsync(cancellationToken);
        await db.Sessions.Where(s => s.ActiveOrganizationId == organization.Id)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.ActiveOrganizationId, (string?)null).SetProperty(s => s.UpdatedAt, now), cancellationToken);
        organization.DeletedAt = now;
        organization.UpdatedAt = now;
        audit.Add(caller.Audit(AuditEventTypes.OrgDeleted) with
        {
            PlatformId = organization.PlatformId, OrganizationId = organization.Id, Metadata = caller.Meta(("slug", organization.Slug), ("members", users.Count)),
        });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        foreach (var user in users)
        {
            evictions.User(user);
        }

        foreach (var session in sessions.Where(s => s.RevokedAt is null))
        {
            evictions.Session(session.Id);
        }

        return TypedResults.NoContent();
    }

    private static async Task RequireSlugFreeAsync(IamDbContext db, string platformId, string slug, string? exceptId, CancellationToken cancellationToken)
    {
        if (await db.Organizations.AnyAsync(o => o.PlatformId == platformId && o.Slug == slug && o.DeletedAt == null && o.Id != exceptId, cancellationToken))
        {
            throw new ApiException(ErrorCodes.Conflict, "Another organization of this platform has this slug.", new { reason = "slug_taken", slug });
        }
    }

    /// <summary>Saves; a unique-index clash (a concurrent writer won) is a 409 with <paramref name="message"/>.</summary>
    internal static async Task SaveUniqueAsync(IamDbContext db, string message, CancellationToken cancellationToken)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException ex) when (UniqueViolations.Is(ex))
        {
            throw new ApiException(ErrorCodes.Conflict, message);
        }
    }
}

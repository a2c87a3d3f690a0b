using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Errors;
using Nno.Core.Ids;
using Nno.Core.Pagination;
using Nno.Registry.Access;
using Nno.Registry.Audit;
using Nno.Registry.Data;
using Nno.Registry.Features;
using Nno.Registry.Fields;
using Nno.Registry.Outbox;
using Nno.Registry.Paging;
using Nno.Registry.Platforms;
using Nno.ServiceDefaults.Idempotency;

namespace Nno.Registry.Entities;

/// <summary>
/// The entity routes of registry.md §3.5 (tenants and sub-tenants of a platform). Every query filters
/// <c>platform_id = {pid} AND id = {eid}</c>, so an id of another platform answers like a nonexistent one, operators
/// included. The IAM organization of an entity is created, renamed and deleted through the outbox (§4.2).
/// </summary>
internal static class EntitiesApi
{
    public const string Path = PlatformsApi.Path + "/{pid:pid}/entities";

    public static IEndpointRouteBuilder MapEntities(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Path).WithTags("Entities");
        group.MapGet("", ListAsync)
            .WithName("ListEntities").WithSummary("The platform's tenants and sub-tenants (live ones unless status says otherwise), oldest first.");
        group.MapPost("", CreateAsync)
            .WithName("CreateEntity").WithSummary("Create a tenant or sub-tenant (pending until its IAM organization exists).")
            .WithIdempotency();
        group.MapGet("/{eid}", GetAsync)
            .WithName("GetEntity").WithSummary("One entity of the platform.");
        group.MapPatch("/{eid}", PatchAsync)
            .WithName("UpdateEntity").WithSummary("Rename an entity (and its IAM organization).");
        group.MapDelete("/{eid}", DeleteAsync)
            .WithName("DeleteEntity").WithSummary("Soft-delete an entity without children, live stacks or activations; frees its slug.");
        return app;
    }

    private static async Task<Ok<Page<EntityView>>> ListAsync(
        string pid, HttpContext context, PlatformAccess access, RegistryDbContext db, RegistryCursors cursors,
        [FromQuery] string? type, [FromQuery] string? parentId, [FromQuery] string? status, CancellationToken cancellationToken)
    {
        await access.RequireAsync(context, pid, AccessNeed.Read, cancellationToken);
        var page = RegistryCursors.Request(context.Request);
        var problems = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (type is not null && !EntityTypes.All.Contains(type))
        {
            problems["type"] = ["must be tenant or sub_tenant"];
        }

        if (parentId is not null && !IdFormat.IsEntityId(parentId))
        {
            problems["parentId"] = ["must be an entity id (10 characters a-z 0-9)"];
        }

        string[]? statuses = null;
        if (status is not null)
        {
            statuses = status.Split(',');
            if (statuses.Any(s => !EntityStatuses.All.Contains(s)))
            {
                problems["status"] = ["must be a comma list of " + string.Join(", ", EntityStatuses.All)];
            }
        }

        if (problems.Count > 0)
        {
            throw ApiException.Validation(problems);
        }

        var entities = db.Entities.AsNoTracking().Where(e => e.PlatformId == pid);

        // Deleted entities keep their rows (soft delete); they are listed only when asked for by status.
        entities = statuses is null ? entities.Where(e => e.DeletedAt == null) : entities.Where(e => statuses.Contains(e.Status));

        // The type follows from parent_id (tenant ⇔ no parent), which the (platform_id, parent_id, created_at, id) index serves.
        entities = type switch
        {
            EntityTypes.Tenant => entities.Where(e => e.ParentId == null),
            EntityTypes.SubTenant => entities.Where(e => e.ParentId != null),
            _ => entities,
        };
        entities = parentId is null ? entities : entities.Where(e => e.ParentId == parentId);

        var pager = cursors.Pager("entities", ("platformId", pid), ("type", type), ("parentId", parentId), ("status", status));
        int? total = page.IncludeTotal ? await entities.CountAsync(cancellationToken) : null;
        if (pager.After(page) is { } after)
        {
            var (createdAt, id) = (after.Expect(2).GetInt64(0), after.GetString(1));
            entities = entities.Where(e => e.CreatedAt > createdAt || (e.CreatedAt == createdAt && string.Compare(e.Id, id) > 0));
        }

        var rows = await entities.OrderBy(e => e.CreatedAt).ThenBy(e => e.Id).Take(page.FetchCount).ToListAsync(cancellationToken);
        return TypedResults.Ok(pager.ToPage(rows, page, e => CursorPosition.Of(e.CreatedAt, e.Id), EntityView.From, total));
    }

    private static async Task<Created<EntityView>> CreateAsync(
        string pid, CreateEntityRequest body, HttpContext context, PlatformAccess access, RegistryUnitOfWork uow, RegistryIds ids,
        CancellationToken cancellationToken)
    {
        var grant = await access.RequireAsync(context, pid, AccessNeed.Manage, cancellationToken);
        var caller = grant.Caller;
        if (body.OwnerUserId is not null && !caller.IsOperator)
        {
            throw new ApiException(ErrorCodes.Forbidden, "Only operators may choose the owner of an entity's organization.", new { field = "ownerUserId" });
        }

        PlatformStatusGate.RequireWritable(grant);
        var problems = new Dictionary<string, string[]>(StringComparer.Ordinal);
        Check(problems, "name", FieldRules.NameProblem(body.Name));
        Check(problems, "slug", FieldRules.SlugProblem(body.Slug));
        if (body.Slug == EntityRecord.DefaultSlug)
        {
            problems["slug"] = ["default is reserved for the platform's default entity"];
        }

        if (body.ParentId is not null && !IdFormat.IsEntityId(body.ParentId))
        {
            // A malformed id is "not found" like any other id that names no entity of this platform (§6).
            problems["parentId"] = [EntityRules.ParentNotFound];
        }

        if (body.OwnerUserId is not null)
        {
            Check(problems, "ownerUserId", FieldRules.UserIdProblem(body.OwnerUserId));
        }

        if (problems.Count > 0)
        {
            throw ApiException.Validation(problems);
        }

        var slug = body.Slug!;
        var db = uow.Db;

        // IMMEDIATE on SQLite: the counts below and the insert are serialised against every other writer (§4.5).
        await uow.BeginAsync(cancellationToken);
        var platform = await db.Platforms.AsNoTracking().FirstAsync(p => p.Id == pid, cancellationToken);
        PlatformStatusGate.RequireWritable(grant with { Platform = platform });

        EntityRecord? parent = null;
        if (body.ParentId is { } parentId)
        {
            parent = await db.Entities.AsNoTracking()
                .FirstOrDefaultAsync(e => e.PlatformId == pid && e.Id == parentId && e.DeletedAt == null, cancellationToken)
                ?? throw ApiException.Validation("parentId", EntityRules.ParentNotFound);
            if (parent.Depth + 1 > EntityRules.MaxDepth)
            {
                throw ApiException.Validation("parentId", "maximum nesting depth is 2");
            }
        }

        await EntityRules.RequireCapacityAsync(db, platform, parent, cancellationToken);
        if (await db.Entities.AnyAsync(e => e.PlatformId == pid && e.Slug == slug && e.DeletedAt == null, cancellationToken))
        {
            throw SlugTaken(slug);
        }

        var now = uow.Now;
        var entity = new EntityRecord
        {
            Id = ids.NewEntityId(),
            PlatformId = pid,
            ParentId = parent?.Id,
            Type = parent is null ? EntityTypes.Tenant : EntityTypes.SubTenant,
            Depth = parent is null ? 0 : parent.Depth + 1,
            IsDefault = false,
            Name = FieldRules.Clean(body.Name!),
            Slug = slug,
            Status = EntityStatuses.Pending,
            CreatedBy = caller.ActorId,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Entities.Add(entity);
        var owner = body.OwnerUserId ?? platform.OwnerUserId;
        uow.AddAudit(caller, "entity.created", pid, "entity", entity.Id, new
        {
            name = entity.Name, slug, type = entity.Type, parentId = entity.ParentId, depth = entity.Depth, ownerUserId = owner,
        });
        uow.AddOutbox(OutboxKinds.IamCreateOrg, pid, entity.Id, new { platformId = pid, entityId = entity.Id, ownerUserId = owner });
        try
        {
            await uow.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException ex) when (ConstraintViolations.IsUniqueViolation(ex))
        {
            throw SlugTaken(slug);
        }

        context.SetIdempotencyResourceId(entity.Id);
        return TypedResults.Created($"{PlatformsApi.Path}/{pid}/entities/{entity.Id}", EntityView.From(entity));
    }

    private static async Task<Ok<EntityView>> GetAsync(string pid, string eid, HttpContext context, PlatformAccess access, RegistryDbContext db, CancellationToken cancellationToken)
    {
        await access.RequireAsync(context, pid, AccessNeed.Read, cancellationToken);
        var entity = await FindAsync(db.Entities.AsNoTracking(), pid, eid, cancellationToken);
        return TypedResults.Ok(EntityView.From(entity));
    }

    private static async Task<Ok<EntityView>> PatchAsync(
        string pid, string eid, PatchEntityRequest body, HttpContext context, PlatformAccess access, RegistryUnitOfWork uow,
        CancellationToken cancellationToken)
    {
        var grant = await access.RequireAsync(context, pid, AccessNeed.Manage, cancellationToken);
        PlatformStatusGate.RequireWritable(grant);
        if (FieldRules.NameProblem(body.Name) is { } problem)
        {
            throw ApiException.Validation("name", problem);
        }

        var db = uow.Db;
        await uow.BeginAsync(cancellationToken);
        var entity = await FindAsync(db.Entities, pid, eid, cancellationToken);
        RequireLive(entity);
        var name = FieldRules.Clean(body.Name!);
        if (name != entity.Name)
        {
            var changes = AuditDetails.Changes();
            changes.Diff("name", entity.Name, name);
            entity.Name = name;
            entity.UpdatedAt = uow.Now;
            uow.AddAudit(grant.Caller, "entity.updated", pid, "entity", eid, new { changes });
            uow.AddOutbox(OutboxKinds.IamUpdateOrg, pid, eid, new { platformId = pid, entityId = eid });
        }

        await uow.CommitAsync(cancellationToken);
        return TypedResults.Ok(EntityView.From(entity));
    }

    private static async Task<Ok<EntityView>> DeleteAsync(
        string pid, string eid, HttpContext context, PlatformAccess access, RegistryUnitOfWork uow, CancellationToken cancellationToken)
    {
        var grant = await access.RequireAsync(context, pid, AccessNeed.Manage, cancellationToken);
        PlatformStatusGate.RequireWritable(grant);
        var db = uow.Db;

        // IMMEDIATE: no child, stack or activation can appear between the checks and the delete.
        await uow.BeginAsync(cancellationToken);
        var entity = await FindAsync(db.Entities, pid, eid, cancellationToken);
        RequireLive(entity);
        if (entity.IsDefault)
        {
            throw new ApiException(ErrorCodes.Conflict, "The default entity is deleted only with its platform.", new { reason = "default_entity" });
        }

        var children = await db.Entities.CountAsync(e => e.PlatformId == pid && e.ParentId == eid && e.DeletedAt == null, cancellationToken);
        if (children > 0)
        {
            throw new ApiException(ErrorCodes.Conflict, "Delete the entity's sub-tenants first.", new { reason = "has_children", children });
        }

        var stacks = await db.Stacks.CountAsync(s => s.PlatformId == pid && s.EntityId == eid && s.DeletedAt == null, cancellationToken);
        if (stacks > 0)
        {
            throw new ApiException(ErrorCodes.Conflict, "Delete the stacks the entity owns first.", new { reason = "has_stacks", stacks });
        }

        var activations = await db.FeatureActivations.CountAsync(
            a => a.PlatformId == pid && a.EntityId == eid && a.Status != ActivationStatuses.Inactive, cancellationToken);
        if (activations > 0)
        {
            throw new ApiException(ErrorCodes.Conflict, "Deactivate the entity's features first.", new { reason = "has_activations", activations });
        }

        var now = uow.Now;
        entity.Status = EntityStatuses.Deleted;
        entity.DeletedAt = now;
        entity.UpdatedAt = now;
        uow.AddAudit(grant.Caller, "entity.deleted", pid, "entity", eid, new { name = entity.Name, slug = entity.Slug, iamOrgId = entity.IamOrgId });

        // The organization goes too; one still being created (create row pending) is deleted once it exists.
        var creating = entity.IamOrgId is null && await db.Outbox.AnyAsync(
            o => o.CompletedAt == null && o.Kind == OutboxKinds.IamCreateOrg && o.PlatformId == pid && o.TargetId == eid, cancellationToken);
        if (entity.IamOrgId is not null || creating)
        {
            uow.AddOutbox(OutboxKinds.IamDeleteOrg, pid, eid, new { platformId = pid, entityId = eid, iamOrgId = entity.IamOrgId });
        }

        await uow.CommitAsync(cancellationToken);
        return TypedResults.Ok(EntityView.From(entity));
    }

    /// <summary>The entity <paramref name="eid"/> of platform <paramref name="pid"/>, else 404 <c>details.resource: "entity"</c>.</summary>
    private static async Task<EntityRecord> FindAsync(IQueryable<EntityRecord> entities, string pid, string eid, CancellationToken cancellationToken)
    {
        if (!IdFormat.IsEntityId(eid))
        {
            throw ApiException.NotFound("entity");
        }

        return await entities.FirstOrDefaultAsync(e => e.PlatformId == pid && e.Id == eid, cancellationToken) ?? throw ApiException.NotFound("entity");
    }

    private static void RequireLive(EntityRecord entity)
    {
        if (entity.DeletedAt is not null)
        {
            throw new ApiException(ErrorCodes.Conflict, "The entity is deleted.", new { status = entity.Status });
        }
    }

    private static ApiException SlugTaken(string slug) =>
        new(ErrorCodes.Conflict, $"The slug {slug} is taken by another entity of this platform.", new { field = "slug" });

    private static void Check(Dictionary<string, string[]> problems, string field, string? problem)
    {
        if (problem is not null)
        {
            problems[field] = [problem];
        }
    }
}

using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Errors;
using Nno.Core.Json;
using Nno.Core.Pagination;
using Nno.Core.Platforms;
using Nno.Registry.Access;
using Nno.Registry.Audit;
using Nno.Registry.Data;
using Nno.Registry.Entities;
using Nno.Registry.Fields;
using Nno.Registry.Lifecycle;
using Nno.Registry.Outbox;
using Nno.Registry.Paging;
using Nno.Registry.Stacks;
using Nno.ServiceDefaults.Idempotency;

namespace Nno.Registry.Platforms;

/// <summary>The platform record routes of registry.md §3.4: list, operator import, read and PATCH.</summary>
internal static class PlatformsApi
{
    public const string Path = "/api/v1/platforms";

    public static IEndpointRouteBuilder MapPlatforms(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Path).WithTags("Platforms");
        group.MapGet("", ListAsync)
            .WithName("ListPlatforms").WithSummary("Platforms: every one for operators, the caller's for users (an API key: its own).");
        group.MapPost("", CreateAsync)
            .WithName("ImportPlatform").WithSummary("Operator import: an active platform with its default entity and default stack.")
            .WithIdempotency();
        group.MapGet("/{pid:pid}", GetAsync)
            .WithName("GetPlatform").WithSummary("One platform, with ETag \"{version}\".");
        group.MapPatch("/{pid:pid}", PatchAsync)
            .WithName("UpdatePlatform").WithSummary("Change name or tier (owners, admins); operators also the operator fields. If-Match optional.");
        return app;
    }

    private static async Task<Ok<Page<PlatformView>>> ListAsync(
        HttpContext context, PlatformAccess access, RegistryDbContext db, RegistryCursors cursors,
        [FromQuery] string? status, [FromQuery] string? tier, [FromQuery(Name = "class")] string? @class, [FromQuery] string? q,
        [FromQuery] string? slug, [FromQuery] string? ownerUserId, [FromQuery] string? includeDeleted, CancellationToken cancellationToken)
    {
        var caller = access.CallerOf(context);
        if (!caller.IsOperator && !caller.IsUser)
        {
            throw new ApiException(ErrorCodes.Forbidden, "The platform list is for users and operators.");
        }

        if (caller.IsApiKey && !caller.HasScope(PlatformAccess.ReadScope))
        {
            throw new ApiException(ErrorCodes.Forbidden, "This API key lacks the platforms:read scope.", new { requiredScope = PlatformAccess.ReadScope });
        }

        var page = RegistryCursors.Request(context.Request);
        var problems = new Dictionary<string, string[]>(StringComparer.Ordinal);
        string[]? statuses = null;
        if (status is not null)
        {
            statuses = status.Split(',');
            if (statuses.Any(s => !PlatformStatuses.IsKnown(s)))
            {
                problems["status"] = ["must be a comma list of " + string.Join(", ", PlatformStatuses.All)];
            }
        }

        if (tier is not null && !PlatformTiers.IsKnown(tier))
        {
            problems["tier"] = ["must be starter, growth or scale"];
        }

        if (@class is not null && !PlatformClasses.All.Contains(@class))
        {
            problems["class"] = ["must be platform or user_project"];
        }

        if (q is not null && (q.Length is 0 or > 63 || FieldRules.NameProblem(q) is not null))
        {
            problems["q"] = ["must be 1–63 characters"];
        }

        if (slug is not null && FieldRules.SlugProblem(slug) is { } slugProblem)
        {
            problems["slug"] = [slugProblem];
        }

        if (ownerUserId is not null && FieldRules.UserIdProblem(ownerUserId) is { } ownerProblem)
        {
            problems["ownerUserId"] = [ownerProblem];
        }

        var withDeleted = includeDeleted switch
        {
            null or "false" => false,
            "true" => true,
            _ => AddProblem(problems, "includeDeleted", "must be true or false"),
        };
        if (problems.Count > 0)
        {
            throw ApiException.Validation(problems);
        }

        if (!caller.IsOperator && (ownerUserId is not null || includeDeleted is not null))
        {
            throw new ApiException(ErrorCodes.Forbidden, "ownerUserId and includeDeleted are operator filters.");
        }

        IQueryable<PlatformRecord> platforms = db.Platforms.AsNoTracking();
        if (!caller.IsOperator)
        {
            // At most 100 ids from X-Nno-Platforms: a primary-key lookup (§8). An API key's list holds only its platform.
            var listed = caller.Principal.Platforms.Keys.ToList();
            platforms = platforms.Where(p => listed.Contains(p.Id));
        }

        if (!withDeleted)
        {
            platforms = platforms.Where(p => p.Status != PlatformStatuses.Deleted);
        }

        if (statuses is not null)
        {
            platforms = platforms.Where(p => statuses.Contains(p.Status));
        }

        platforms = tier is null ? platforms : platforms.Where(p => p.Tier == tier);
        platforms = @class is null ? platforms : platforms.Where(p => p.Class == @class);
        platforms = slug is null ? platforms : platforms.Where(p => p.Slug == slug);
        platforms = ownerUserId is null ? platforms : platforms.Where(p => p.OwnerUserId == ownerUserId);
        if (q is not null)
        {
            // SQLite's LIKE is case-insensitive for ASCII; the wildcards of q are escaped so they match themselves.
            var pattern = q.Trim().Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal)
                .Replace("_", "\\_", StringComparison.Ordinal) + "%";
            platforms = platforms.Where(p => EF.Functions.Like(p.Slug, pattern, "\\") || EF.Functions.Like(p.Name, pattern, "\\"));
        }

        // The cursor is bound to the caller and to every filter as given.
        var pager = cursors.Pager("platforms",
            ("caller", caller.ActorId), ("status", status), ("tier", tier), ("class", @class), ("q", q), ("slug", slug),
            ("ownerUserId", ownerUserId), ("includeDeleted", includeDeleted));
        int? total = page.IncludeTotal ? await platforms.CountAsync(cancellationToken) : null;
        if (pager.After(page) is { } after)
        {
            var (createdAt, id) = (after.Expect(2).GetInt64(0), after.GetString(1));
            platforms = platforms.Where(p => p.CreatedAt > createdAt || (p.CreatedAt == createdAt && string.Compare(p.Id, id) > 0));
        }

        var rows = await platforms.OrderBy(p => p.CreatedAt).ThenBy(p => p.Id).Take(page.FetchCount).ToListAsync(cancellationToken);
        return TypedResults.Ok(pager.ToPage(rows, page, p => CursorPosition.Of(p.CreatedAt, p.Id), PlatformView.From, total));
    }

    private static async Task<Created<PlatformView>> CreateAsync(
        CreatePlatformRequest body, HttpContext context, PlatformAccess access, RegistryUnitOfWork uow, RegistryIds ids, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var caller = access.CallerOf(context);
        if (!caller.IsOperator)
        {
            throw new ApiException(ErrorCodes.Forbidden, "Only operators import platforms; customers use onboarding.");
        }

        var problems = new Dictionary<string, string[]>(StringComparer.Ordinal);
        Check(problems, "name", FieldRules.NameProblem(body.Name));
        Check(problems, "slug", FieldRules.SlugProblem(body.Slug));
        Check(problems, "ownerUserId", FieldRules.UserIdProblem(body.OwnerUserId));
        if (body.Tier is not null && !PlatformTiers.IsKnown(body.Tier))
        {
            problems["tier"] = ["must be starter, growth or scale"];
        }

        if (body.Class is not null && !PlatformClasses.All.Contains(body.Class))
        {
            problems["class"] = ["must be platform or user_project"];
        }

        Check(problems, "cfAccountId", FieldRules.CfAccountIdProblem(body.CfAccountId));
        Check(problems, "repoName", FieldRules.RepoNameProblem(body.RepoName));
        var trialEndsAt = FieldRules.ParseTimestamp(body.TrialEndsAt, out var trialProblem);
        Check(problems, "trialEndsAt", trialProblem);
        if (trialEndsAt is { } trial && trial <= time.GetUtcNow())
        {
            problems["trialEndsAt"] = ["must be in the future"];
        }

        if (body.DefaultTenantOrgId is not null && FieldRules.UserIdProblem(body.DefaultTenantOrgId) is not null)
        {
            problems["defaultTenantOrgId"] = ["must be an IAM organization id (1–64 characters A-Z a-z 0-9 _ -)"];
        }

        if (problems.Count > 0)
        {
            throw ApiException.Validation(problems);
        }

        var tier = body.Tier ?? PlatformTiers.Starter;
        var owner = body.OwnerUserId!;
        var slug = body.Slug!;
        var db = uow.Db;
        await uow.BeginAsync(cancellationToken);
        await RequireOwnerCapacityAsync(db, owner, tier, cancellationToken);
        if (await db.Platforms.AnyAsync(p => p.Slug == slug && p.DeletedAt == null, cancellationToken))
        {
            throw SlugTaken(slug);
        }

        var now = uow.Now;
        var platform = new PlatformRecord
        {
            Id = ids.NewPlatformId(),
            Name = FieldRules.Clean(body.Name!),
            Slug = slug,
            Class = body.Class ?? PlatformClasses.Platform,
            Status = PlatformStatuses.Active,
            Tier = tier,
            CfAccountId = body.CfAccountId,
            RepoName = body.RepoName,
            OwnerUserId = owner,
            TrialEndsAt = trialEndsAt?.ToUnixTimeMilliseconds(),
            Version = 1,
            CreatedAt = now,
            UpdatedAt = now,
        };
        var entity = new EntityRecord
        {
            Id = ids.NewEntityId(),
            PlatformId = platform.Id,
            Type = EntityTypes.Tenant,
            Depth = 0,
            IsDefault = true,
            Name = platform.Name,
            Slug = EntityRecord.DefaultSlug,
            IamOrgId = body.DefaultTenantOrgId,
            // Pending until IAM has the organization; an existing organization makes it active at once.
            Status = body.DefaultTenantOrgId is null ? EntityStatuses.Pending : EntityStatuses.Active,
            CreatedBy = caller.ActorId,
            CreatedAt = now,
            UpdatedAt = now,
        };
        var stack = new StackRecord
        {
            PlatformId = platform.Id,
            Id = StackRecord.DefaultId,
            EntityId = entity.Id,
            Name = StackRecord.DefaultId,
            DisplayName = "Default",
            IsDefault = true,
            Source = StackSources.Default,
            Environment = "prod",
            Status = StackStatuses.Active,
            CreatedBy = caller.ActorId,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Platforms.Add(platform);
        db.Entities.Add(entity);
        db.Stacks.Add(stack);
        uow.AddLifecycleEvent(platform.Id, LifecycleEvents.Created, null, PlatformStatuses.Active, "imported", caller.ActorType, caller.ActorId, caller.RequestId);
        uow.AddAudit(caller, "platform.created", platform.Id, "platform", platform.Id, new
        {
            name = platform.Name, slug, tier, @class = platform.Class, ownerUserId = owner, defaultEntityId = entity.Id, defaultTenantOrgId = body.DefaultTenantOrgId,
        });
        uow.AddOutbox(OutboxKinds.IamPutPlatformMember, platform.Id, owner, new { platformId = platform.Id, userId = owner, role = "owner" });
        if (body.DefaultTenantOrgId is null)
        {
            uow.AddOutbox(OutboxKinds.IamCreateOrg, platform.Id, entity.Id, new { platformId = platform.Id, entityId = entity.Id });
        }

        uow.AddOutbox(OutboxKinds.KvPlatformStatus, platform.Id, platform.Id, new { platformId = platform.Id });
        try
        {
            await uow.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException ex) when (ConstraintViolations.IsUniqueViolation(ex))
        {
            throw SlugTaken(slug);
        }

        context.SetIdempotencyResourceId(platform.Id);
        context.Response.Headers.ETag = PlatformView.ETagOf(platform);
        return TypedResults.Created($"{Path}/{platform.Id}", PlatformView.From(platform));
    }

    private static async Task<Ok<PlatformView>> GetAsync(string pid, HttpContext context, PlatformAccess access, CancellationToken cancellationToken)
    {
        var grant = await access.RequireAsync(context, pid, AccessNeed.Read, cancellationToken);
        context.Response.Headers.ETag = PlatformView.ETagOf(grant.Platform);
        return TypedResults.Ok(PlatformView.From(grant.Platform));
    }

    private static readonly string[] UserFields = ["name", "tier", "prorationDate"];
    private static readonly string[] OperatorFields = ["cfAccountId", "repoName", "stripeCustomerId", "ownerUserId", "trialEndsAt", "class"];
    private static readonly string[] NeverWritable = ["status", "slug", "id"];

    private static async Task<Ok<PlatformView>> PatchAsync(
        string pid, [FromBody] JsonElement body, HttpContext context, PlatformAccess access, RegistryUnitOfWork uow, TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw ApiException.Validation("body", "must be a JSON object");
        }

        var present = body.EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        if (present.FirstOrDefault(NeverWritable.Contains) is { } fixedField)
        {
            throw ApiException.Validation(fixedField, fixedField == "status" ? "is changed only through the lifecycle routes" : "cannot be changed");
        }

        // Unknown fields are a 400 naming them (strict binding).
        var patch = body.Deserialize<PatchPlatformRequest>(NnoJson.Options) ?? throw ApiException.Validation("body", "must be a JSON object");
        if (present.Count == 0 || (present.Count == 1 && present.Contains("prorationDate")))
        {
            throw ApiException.Validation("body", "must change at least one field");
        }

        var grant = await access.RequireAsync(context, pid, AccessNeed.Manage, cancellationToken);
        var caller = grant.Caller;
        if (!caller.IsOperator && present.FirstOrDefault(OperatorFields.Contains) is { } opField)
        {
            throw new ApiException(ErrorCodes.Forbidden, $"Only operators may change {opField}.", new { field = opField });
        }

        PlatformStatusGate.RequireWritable(grant);
        var problems = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (present.Contains("name"))
        {
            Check(problems, "name", FieldRules.NameProblem(patch.Name));
        }

        if (present.Contains("tier") && !PlatformTiers.IsKnown(patch.Tier))
        {
            problems["tier"] = ["must be starter, growth or scale"];
        }

        _ = FieldRules.ParseTimestamp(patch.ProrationDate, out var prorationProblem);
        Check(problems, "prorationDate", prorationProblem);
        Check(problems, "cfAccountId", FieldRules.CfAccountIdProblem(patch.CfAccountId));
        Check(problems, "repoName", FieldRules.RepoNameProblem(patch.RepoName));
        Check(problems, "stripeCustomerId", FieldRules.StripeCustomerIdProblem(patch.StripeCustomerId));
        if (present.Contains("ownerUserId"))
        {
            Check(problems, "ownerUserId", FieldRules.UserIdProblem(patch.OwnerUserId));
        }

        var trialEndsAt = FieldRules.ParseTimestamp(patch.TrialEndsAt, out var trialProblem);
        Check(problems, "trialEndsAt", trialProblem);
        if (present.Contains("class") && !PlatformClasses.All.Contains(patch.Class))
        {
            problems["class"] = ["must be platform or user_project"];
        }

        if (problems.Count > 0)
        {
            throw ApiException.Validation(problems);
        }

        var db = uow.Db;
        await uow.BeginAsync(cancellationToken);
        var platform = await db.Platforms.FirstAsync(p => p.Id == pid, cancellationToken);
        if (context.Request.Headers.IfMatch.Count > 0 && !context.Request.Headers.IfMatch.Contains(PlatformView.ETagOf(platform)))
        {
            throw new ApiException(ErrorCodes.Conflict, "The platform changed since it was read (If-Match does not match).", new { currentVersion = platform.Version });
        }

        var changes = AuditDetails.Changes();
        var previousOwner = platform.OwnerUserId;
        if (present.Contains("name"))
        {
            var name = FieldRules.Clean(patch.Name!);
            changes.Diff("name", platform.Name, name);
            platform.Name = name;
        }

        var tierChanged = present.Contains("tier") && patch.Tier != platform.Tier;
        if (tierChanged && platform.HasSubscription)
        {
            // A subscribed platform's tier changes only through Billing (B4) first; that call belongs to the Billing integration.
            throw new ApiException(ErrorCodes.ServiceUnavailable,
                "Changing the tier of a subscribed platform needs Billing (POST /subscription/change-tier), which this Registry cannot call yet; nothing was changed.",
                new { service = "billing" });
        }

        if (tierChanged)
        {
            changes.Diff("tier", platform.Tier, patch.Tier);
            platform.Tier = patch.Tier!;
        }

        if (present.Contains("cfAccountId"))
        {
            changes.Diff("cfAccountId", platform.CfAccountId, patch.CfAccountId);
            platform.CfAccountId = patch.CfAccountId;
        }

        if (present.Contains("repoName"))
        {
            changes.Diff("repoName", platform.RepoName, patch.RepoName);
            platform.RepoName = patch.RepoName;
        }

        if (present.Contains("stripeCustomerId"))
        {
            changes.Diff("stripeCustomerId", platform.StripeCustomerId, patch.StripeCustomerId);
            platform.StripeCustomerId = patch.StripeCustomerId;
        }

        if (present.Contains("trialEndsAt"))
        {
            var trial = trialEndsAt?.ToUnixTimeMilliseconds();
            changes.Diff("trialEndsAt", platform.TrialEndsAt, trial);
            platform.TrialEndsAt = trial;
        }

        if (present.Contains("class"))
        {
            changes.Diff("class", platform.Class, patch.Class);
            platform.Class = patch.Class!;
        }

        var ownerChanged = present.Contains("ownerUserId") && patch.OwnerUserId != platform.OwnerUserId;
        if (ownerChanged)
        {
            changes.Diff("ownerUserId", platform.OwnerUserId, patch.OwnerUserId);
            platform.OwnerUserId = patch.OwnerUserId;
            platform.PendingOwnerUserId = null;
            platform.TransferExpiresAt = null;
        }

        if (changes.Count > 0)
        {
            platform.Version++;
            platform.UpdatedAt = uow.Now;
            uow.AddAudit(caller, "platform.updated", pid, "platform", pid, new { changes });
            if (tierChanged)
            {
                uow.AddOutbox(OutboxKinds.KvPlatformStatus, pid, pid, new { platformId = pid });
            }

            if (ownerChanged)
            {
                // Like an accepted transfer: the new owner becomes owner first, then the previous one is demoted to admin.
                uow.AddLifecycleEvent(pid, LifecycleEvents.OwnerChanged, platform.Status, platform.Status, null, caller.ActorType, caller.ActorId, caller.RequestId);
                uow.AddOutbox(OutboxKinds.IamTransferOwner, pid, patch.OwnerUserId, new { platformId = pid, newOwnerUserId = patch.OwnerUserId, previousOwnerUserId = previousOwner });
            }
        }

        await uow.CommitAsync(cancellationToken);
        access.Forget(pid);
        context.Response.Headers.ETag = PlatformView.ETagOf(platform);
        return TypedResults.Ok(PlatformView.From(platform));
    }

    /// <summary>
    /// The platforms-per-owner limit (§4.5): the owner's platforms that are not cancelled or deleted, against the limit of
    /// the highest tier among them and the requested one. Runs inside the IMMEDIATE transaction, so it cannot overshoot.
    /// </summary>
    public static async Task RequireOwnerCapacityAsync(RegistryDbContext db, string ownerUserId, string requestedTier, CancellationToken cancellationToken)
    {
        var tiers = await db.Platforms.AsNoTracking()
            .Where(p => p.OwnerUserId == ownerUserId && p.Status != PlatformStatuses.Cancelled && p.Status != PlatformStatuses.Deleted)
            .Select(p => p.Tier).ToListAsync(cancellationToken);
        var highest = tiers.Aggregate(requestedTier, TierLimits.Highest);
        if (TierLimits.PlatformsPerOwner(highest) is { } max && tiers.Count >= max)
        {
            throw TierLimits.Exceeded("platforms", max, tiers.Count);
        }
    }

    private static ApiException SlugTaken(string slug) =>
        new(ErrorCodes.Conflict, $"The slug {slug} is taken by another platform.", new { field = "slug" });

    private static void Check(Dictionary<string, string[]> problems, string field, string? problem)
    {
        if (problem is not null)
        {
            problems[field] = [problem];
        }
    }

    private static bool AddProblem(Dictionary<string, string[]> problems, string field, string problem)
    {
        problems[field] = [problem];
        return false;
    }
}

using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Errors;
using Nno.Core.Ids;
using Nno.Core.Json;
using Nno.Core.Services;
using Nno.Registry.Access;
using Nno.Registry.Audit;
using Nno.Registry.Data;
using Nno.Registry.Entities;
using Nno.Registry.Environments;
using Nno.Registry.Features;
using Nno.Registry.Fields;
using Nno.Registry.Objects;
using Nno.Registry.Outbox;
using Nno.Registry.Platforms;
using Nno.Registry.Resources;
using Nno.Registry.Templates;
using Nno.ServiceDefaults.Idempotency;
using Nno.ServiceDefaults.RequestContext;
using Nno.ServiceDefaults.Security;

namespace Nno.Registry.Stacks;

/// <summary>Body of <c>POST /stacks</c>: Path A (<c>templateId</c> + <c>templateVersion</c>) or Path B (<c>features</c> + <c>resources</c>).</summary>
internal sealed record CreateStackRequest
{
    public string? TenantId { get; init; }

    public string? Name { get; init; }

    public string? DisplayName { get; init; }

    public bool? IsDefault { get; init; }

    public string? Environment { get; init; }

    public string? TemplateId { get; init; }

    public string? TemplateVersion { get; init; }

    public IReadOnlyList<FeatureRefInput>? Features { get; init; }

    public StackResourcesInput? Resources { get; init; }
}

/// <summary>Body of <c>PATCH /stacks/{sid}</c>.</summary>
internal sealed record PatchStackRequest
{
    public string? DisplayName { get; init; }

    public string? TemplateVersion { get; init; }
}

/// <summary>Body of the internal <c>PUT /stacks/{sid}/manifest</c>.</summary>
internal sealed record StackManifestRequest
{
    public string? JobId { get; init; }

    public string? TemplateVersion { get; init; }

    public JsonElement? Definition { get; init; }
}

/// <summary>
/// The stack writes of registry.md §3.6: create (Path A checked against the Stack Registry first, Path B validated here),
/// rename or template upgrade, delete, retry, and Provisioning's manifest report — the one place where a stack's feature
/// activations are created. Jobs start through the outbox (<c>provisioning.activate_stack</c> / <c>deactivate_stack</c>).
/// </summary>
internal static class StacksApi
{
    public static IEndpointRouteBuilder MapStackWrites(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(PlatformsApi.Path + "/{pid:pid}/stacks").WithTags("Stacks");
        group.MapPost("", CreateAsync)
            .WithName("CreateStack").WithSummary("Create a stack from a template (Path A) or a custom definition (Path B); 202 pending, a job follows.")
            .WithIdempotency();
        group.MapPatch("/{sid}", PatchAsync)
            .WithName("UpdateStack").WithSummary("Rename a stack (200) or move a template stack to another version (202: an upgrade job).");
        group.MapDelete("/{sid}", DeleteAsync)
            .WithName("DeleteStack").WithSummary("Deprovision a stack (202 deprovisioning); deleteData=true also deletes its data.");
        group.MapPost("/{sid}/retry", RetryAsync)
            .WithName("RetryStack").WithSummary("Start a failed stack's activation again (202 pending).")
            .WithIdempotency();
        group.MapPut("/{sid}/manifest", PutManifestAsync)
            .WithName("ReportStackManifest").WithSummary("Internal (Provisioning): the resolved definition of the stack's job; creates the stack's feature activations.")
            .ServiceOnly(NnoServices.Provisioning);
        return app;
    }

    private static async Task<Accepted<StackView>> CreateAsync(
        string pid, CreateStackRequest body, HttpContext context, PlatformAccess access, RegistryUnitOfWork uow, RegistryIds ids, StackTemplateCheck templates,
        CancellationToken cancellationToken)
    {
        var grant = await access.RequireAsync(context, pid, AccessNeed.Manage, cancellationToken);
        PlatformStatusGate.RequireWritable(grant);
        if (body.IsDefault == true)
        {
            throw new ApiException(ErrorCodes.Conflict, "A platform has exactly one default stack, created with the platform.", new { field = "isDefault" });
        }

        var problems = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!IdFormat.IsEntityId(body.TenantId))
        {
            problems["tenantId"] = [body.TenantId is null ? "is required" : "not found"];
        }

        if (FieldRules.SlugProblem(body.Name) is { } slugProblem)
        {
            problems["name"] = [slugProblem];
        }
        else if (body.Name == StackRecord.DefaultId)
        {
            problems["name"] = ["default is reserved for the platform's default stack"];
        }

        if (body.DisplayName is not null && FieldRules.NameProblem(body.DisplayName) is { } nameProblem)
        {
            problems["displayName"] = [nameProblem];
        }

        var environment = body.Environment ?? PlatformEnvironments.Prod;
        if (!PlatformEnvironments.IsValid(environment))
        {
            problems["environment"] = ["must be dev, stg or prod"];
        }

        var pathA = body.TemplateId is not null || body.TemplateVersion is not null;
        var pathB = body.Features is not null || body.Resources is not null;
        if (pathA == pathB)
        {
            problems["templateId"] = ["give either templateId (Path A) or features and resources (Path B), not both or neither"];
        }
        else if (pathB)
        {
            StackDefinitions.Check(problems, body.Features, body.Resources);
        }

        ObjectLists.ThrowIfAny(problems);

        // Path A: the template and version must exist and be active before anything is stored (network, outside the transaction).
        CheckedTemplate? template = null;
        if (pathA)
        {
            template = await templates.CheckAsync(body.TemplateId, body.TemplateVersion, StackRegistryCallContext.From(context.GetRequestIds(), grant.Caller.UserId), cancellationToken);
        }

        var definition = pathB ? StackDefinitions.Custom(body.Features!, body.Resources!) : (JsonElement?)null;
        var db = uow.Db;
        await uow.BeginAsync(cancellationToken);
        var platform = await db.Platforms.AsNoTracking().FirstAsync(p => p.Id == pid, cancellationToken);
        PlatformStatusGate.RequireWritable(grant with { Platform = platform });
        var tenantId = body.TenantId!;
        if (!await db.Entities.AnyAsync(e => e.PlatformId == pid && e.Id == tenantId && e.DeletedAt == null && e.Status == EntityStatuses.Active, cancellationToken))
        {
            throw ApiException.Validation("tenantId", "not found (a live, active entity of this platform)");
        }

        var live = await db.Stacks.CountAsync(s => s.PlatformId == pid && s.DeletedAt == null, cancellationToken);
        if (live >= ObjectLimits.MaxStacks)
        {
            throw TierLimits.Exceeded("stacks", ObjectLimits.MaxStacks, live);
        }

        if (pathB)
        {
            await ObjectLimits.RequireFeatureCapacityAsync(db, platform, body.Features!.Select(f => f.Id!), cancellationToken);
        }

        var name = body.Name!;
        if (await db.Stacks.AnyAsync(s => s.PlatformId == pid && s.Name == name && s.DeletedAt == null, cancellationToken))
        {
            throw NameTaken(name);
        }

        var now = uow.Now;
        var stack = new StackRecord
        {
            PlatformId = pid,
            Id = ids.NewStackId(),
            EntityId = tenantId,
            Name = name,
            DisplayName = body.DisplayName is null ? name : FieldRules.Clean(body.DisplayName),
            IsDefault = false,
            Source = pathA ? StackSources.Template : StackSources.Custom,
            TemplateId = template?.TemplateId,
            TemplateVersion = template?.RequestedVersion,
            Definition = definition is { } d ? JsonSerializer.Serialize(d, NnoJson.Options) : null,
            Environment = environment,
            Status = StackStatuses.Pending,
            CreatedBy = grant.Caller.ActorId,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Stacks.Add(stack);
        uow.AddAudit(grant.Caller, "stack.created", pid, "stack", stack.Id, new
        {
            name, tenantId, source = stack.Source, templateId = stack.TemplateId, templateVersion = stack.TemplateVersion, environment,
            features = body.Features?.Count,
        });
        QueueActivation(uow, stack, definition);
        try
        {
            await uow.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException ex) when (ConstraintViolations.IsUniqueViolation(ex))
        {
            throw NameTaken(name);
        }

        context.SetIdempotencyResourceId(stack.Id);
        return TypedResults.Accepted($"{PlatformsApi.Path}/{pid}/stacks/{stack.Id}", StackView.From(stack));
    }

    private static async Task<Results<Ok<StackView>, Accepted<StackView>>> PatchAsync(
        string pid, string sid, PatchStackRequest body, HttpContext context, PlatformAccess access, RegistryUnitOfWork uow, StackTemplateCheck templates,
        CancellationToken cancellationToken)
    {
        var grant = await access.RequireAsync(context, pid, AccessNeed.Manage, cancellationToken);
        PlatformStatusGate.RequireWritable(grant);
        if (body.DisplayName is null && body.TemplateVersion is null)
        {
            throw ApiException.Validation("body", "give displayName and/or templateVersion");
        }

        if (body.DisplayName is not null && FieldRules.NameProblem(body.DisplayName) is { } nameProblem)
        {
            throw ApiException.Validation("displayName", nameProblem);
        }

        var db = uow.Db;
        var current = await FindAsync(db.Stacks.AsNoTracking(), pid, sid, cancellationToken);
        CheckedTemplate? upgrade = null;
        if (body.TemplateVersion is not null)
        {
            if (current.IsDefault || current.Source != StackSources.Template || current.TemplateId is null)
            {
                throw ApiException.Validation("templateVersion", "only a template (Path A) stack can change its template version");
            }

            RequireStatus(current, StackStatuses.Active);
            upgrade = await templates.CheckAsync(current.TemplateId, body.TemplateVersion, StackRegistryCallContext.From(context.GetRequestIds(), grant.Caller.UserId), cancellationToken);
        }

        await uow.BeginAsync(cancellationToken);
        var stack = await FindAsync(db.Stacks, pid, sid, cancellationToken);
        RequireLive(stack);
        var changes = AuditDetails.Changes();
        if (body.DisplayName is not null)
        {
            var displayName = FieldRules.Clean(body.DisplayName);
            changes.Diff("displayName", stack.DisplayName, displayName);
            stack.DisplayName = displayName;
        }

        if (upgrade is not null)
        {
            RequireStatus(stack, StackStatuses.Active);
            var platform = await db.Platforms.AsNoTracking().FirstAsync(p => p.Id == pid, cancellationToken);
            if (upgrade.Definition is { } next && StackDefinitions.Features(next) is { } features)
            {
                await ObjectLimits.RequireFeatureCapacityAsync(db, platform, features.Select(f => f.Id), cancellationToken);
            }

            changes.Diff("templateVersion", stack.TemplateVersion, upgrade.RequestedVersion);
            stack.TemplateVersion = upgrade.RequestedVersion;
            stack.Status = StackStatuses.Provisioning;
            stack.LastError = null;
            QueueActivation(uow, stack, definition: null);
        }

        stack.UpdatedAt = uow.Now;
        uow.AddAudit(grant.Caller, upgrade is null ? "stack.updated" : "stack.upgrade_requested", pid, "stack", stack.Id, new { changes });
        await uow.CommitAsync(cancellationToken);
        return upgrade is null ? TypedResults.Ok(StackView.From(stack)) : TypedResults.Accepted((string?)null, StackView.From(stack));
    }

    private static async Task<Accepted<StackView>> DeleteAsync(
        string pid, string sid, HttpContext context, PlatformAccess access, RegistryUnitOfWork uow, [FromQuery] string? deleteData, CancellationToken cancellationToken)
    {
        var grant = await access.RequireAsync(context, pid, AccessNeed.Manage, cancellationToken);
        PlatformStatusGate.RequireWritable(grant);
        var purge = deleteData switch
        {
            null or "false" => false,
            "true" => true,
            _ => throw ApiException.Validation("deleteData", "must be true or false"),
        };
        var db = uow.Db;
        await uow.BeginAsync(cancellationToken);
        var stack = await FindAsync(db.Stacks, pid, sid, cancellationToken);
        if (stack.IsDefault)
        {
            throw new ApiException(ErrorCodes.Conflict, "The default stack is deleted only with its platform.", new { reason = "default_stack" });
        }

        RequireStatus(stack, StackStatuses.Active, StackStatuses.Failed);
        stack.Status = StackStatuses.Deprovisioning;
        stack.UpdatedAt = uow.Now;
        uow.AddAudit(grant.Caller, "stack.deletion_requested", pid, "stack", stack.Id, new { name = stack.Name, deleteData = purge });
        uow.AddOutbox(OutboxKinds.ProvisioningDeactivateStack, pid, stack.Id, new { platformId = pid, stackId = stack.Id, deleteData = purge });
        await uow.CommitAsync(cancellationToken);
        return TypedResults.Accepted((string?)null, StackView.From(stack));
    }

    private static async Task<Accepted<StackView>> RetryAsync(string pid, string sid, HttpContext context, PlatformAccess access, RegistryUnitOfWork uow, CancellationToken cancellationToken)
    {
        var grant = await access.RequireAsync(context, pid, AccessNeed.Manage, cancellationToken);
        PlatformStatusGate.RequireWritable(grant);
        var db = uow.Db;
        await uow.BeginAsync(cancellationToken);
        var stack = await FindAsync(db.Stacks, pid, sid, cancellationToken);
        RequireStatus(stack, StackStatuses.Failed);
        if (stack.IsDefault)
        {
            throw new ApiException(ErrorCodes.Conflict, "The default stack is provisioned with its environments (POST /environments).", new { reason = "default_stack" });
        }

        // A new job (new outbox id, new Idempotency-Key); the old job's late events no longer match the stack.
        stack.Status = StackStatuses.Pending;
        stack.ProvisionJobId = null;
        stack.LastError = null;
        stack.UpdatedAt = uow.Now;
        var definition = stack.Source == StackSources.Custom && stack.Definition is not null ? JsonDocument.Parse(stack.Definition).RootElement.Clone() : (JsonElement?)null;
        uow.AddAudit(grant.Caller, "stack.retry_requested", pid, "stack", stack.Id);
        QueueActivation(uow, stack, definition);
        await uow.CommitAsync(cancellationToken);
        context.SetIdempotencyResourceId(stack.Id);
        return TypedResults.Accepted((string?)null, StackView.From(stack));
    }

    private static async Task<Ok<StackView>> PutManifestAsync(
        string pid, string sid, StackManifestRequest body, HttpContext context, PlatformAccess access, RegistryUnitOfWork uow, RegistryIds ids,
        CancellationToken cancellationToken)
    {
        var grant = await access.RequireAsync(context, pid, ResourcesApi.ServiceWrite, cancellationToken);
        var problems = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (body.JobId is null || !ReportRules.IsJobId(body.JobId))
        {
            problems["jobId"] = [ReportRules.JobIdRule];
        }

        if (SemverRule.Problem(body.TemplateVersion) is { } versionProblem)
        {
            problems["templateVersion"] = [versionProblem];
        }

        List<DefinitionFeature>? features = null;
        if (body.Definition is not { ValueKind: JsonValueKind.Object } definition)
        {
            problems["definition"] = ["is required: the resolved StackDefinition"];
        }
        else
        {
            features = StackDefinitions.Features(definition);
            if (features is null || features.Count is 0 or > StackDefinitions.MaxFeatures
                || features.Any(f => !Core.Features.FeatureIds.IsValid(f.Id) || !SemverRule.IsValid(f.Version))
                || features.Select(f => f.Id).Distinct(StringComparer.Ordinal).Count() != features.Count)
            {
                problems["definition.features"] = ["must be 1–50 features with unique valid ids and exact versions"];
            }
        }

        ObjectLists.ThrowIfAny(problems);
        var canonical = JsonSerializer.Serialize(body.Definition!.Value, NnoJson.Options);
        var jobId = body.JobId!;

        var db = uow.Db;
        await uow.BeginAsync(cancellationToken);
        var stack = await FindAsync(db.Stacks, pid, sid, cancellationToken);
        if (stack.ProvisionJobId != jobId)
        {
            throw new ApiException(ErrorCodes.Conflict, "The stack's current job is another one.", new { reason = "job_mismatch", provisionJobId = stack.ProvisionJobId });
        }

        var received = await db.FeatureActivations.AnyAsync(a => a.PlatformId == pid && a.StackId == stack.Id && a.ProvisionJobId == jobId && a.Source == ActivationSources.Stack, cancellationToken);
        if (received)
        {
            // The manifest of this job is in already: the same one again is a no-op, another one a conflict.
            if (stack.Definition == canonical)
            {
                await uow.CommitAsync(cancellationToken);
                return TypedResults.Ok(StackView.From(stack));
            }

            throw new ApiException(ErrorCodes.Conflict, "A different manifest was already reported for this job.", new { reason = "different_manifest" });
        }

        var platform = await db.Platforms.AsNoTracking().FirstAsync(p => p.Id == pid, cancellationToken);
        await ObjectLimits.RequireFeatureCapacityAsync(db, platform, features!.Select(f => f.Id), cancellationToken);

        var now = uow.Now;
        var environment = stack.Environment;
        var stackId = stack.Id;
        var existing = await db.FeatureActivations.Where(a => a.PlatformId == pid && a.StackId == stackId && a.Environment == environment).ToListAsync(cancellationToken);
        foreach (var feature in features!)
        {
            var config = JsonSerializer.Serialize(feature.Config, NnoJson.Options);

            // The version deployed belongs to (stack, feature, environment): every live row of the triple follows it.
            foreach (var other in existing.Where(a => a.FeatureId == feature.Id && a.Status != ActivationStatuses.Inactive))
            {
                other.FeatureVersion = feature.Version;
                other.UpdatedAt = now;
            }

            var row = existing.FirstOrDefault(a => a.EntityId == stack.EntityId && a.FeatureId == feature.Id);
            if (row is null)
            {
                row = new FeatureActivationRecord
                {
                    Id = ids.New(RegistryIds.FeatureActivation),
                    PlatformId = pid,
                    EntityId = stack.EntityId,
                    StackId = stackId,
                    FeatureId = feature.Id,
                    FeatureVersion = feature.Version,
                    Environment = environment,
                    Source = ActivationSources.Stack,
                    Status = ActivationStatuses.Provisioning,
                    Config = config,
                    CreatedBy = grant.Caller.ActorId,
                    CreatedAt = now,
                };
                db.FeatureActivations.Add(row);
            }

            row.Source = ActivationSources.Stack;
            row.FeatureVersion = feature.Version;
            row.Config = config;
            row.Status = ActivationStatuses.Provisioning;
            row.ProvisionJobId = jobId;
            row.LastError = null;
            row.UpdatedAt = now;
        }

        var changes = AuditDetails.Changes();
        if (stack.Source == StackSources.Template)
        {
            changes.Diff("templateVersion", stack.TemplateVersion, body.TemplateVersion);
            stack.TemplateVersion = body.TemplateVersion;
        }

        stack.Definition = canonical;
        stack.UpdatedAt = now;
        uow.AddAudit(grant.Caller, "stack.manifest_reported", pid, "stack", stack.Id, new { jobId, features = features.Select(f => f.Id + "@" + f.Version), changes });
        await uow.CommitAsync(cancellationToken);
        return TypedResults.Ok(StackView.From(stack));
    }

    /// <summary>Queues P6 for <paramref name="stack"/>: Path A names the template (no version = latest), Path B carries the definition.</summary>
    private static void QueueActivation(RegistryUnitOfWork uow, StackRecord stack, JsonElement? definition)
    {
        var version = stack.TemplateVersion == StackTemplateCheck.Latest ? null : stack.TemplateVersion;
        uow.AddOutbox(OutboxKinds.ProvisioningActivateStack, stack.PlatformId, stack.Id, definition is { } d
            ? new { platformId = stack.PlatformId, stackId = stack.Id, definition = d }
            : (object)new { platformId = stack.PlatformId, stackId = stack.Id, templateName = stack.TemplateId, templateVersion = version });
    }

    /// <summary>The stack <paramref name="sid"/> of platform <paramref name="pid"/>, else 404 <c>details.resource: "stack"</c>.</summary>
    internal static async Task<StackRecord> FindAsync(IQueryable<StackRecord> stacks, string pid, string sid, CancellationToken cancellationToken)
    {
        if (!IdFormat.IsStackId(sid))
        {
            throw ApiException.NotFound("stack");
        }

        return await stacks.FirstOrDefaultAsync(s => s.PlatformId == pid && s.Id == sid, cancellationToken) ?? throw ApiException.NotFound("stack");
    }

    private static void RequireLive(StackRecord stack)
    {
        if (stack.DeletedAt is not null)
        {
            throw new ApiException(ErrorCodes.Conflict, "The stack is deleted.", new { status = stack.Status });
        }
    }

    private static void RequireStatus(StackRecord stack, params string[] allowed)
    {
        if (!allowed.Contains(stack.Status, StringComparer.Ordinal))
        {
            throw new ApiException(ErrorCodes.InvalidTransition, $"The stack is {stack.Status}.", new { currentStatus = stack.Status, allowed });
        }
    }

    private static ApiException NameTaken(string name) =>
        new(ErrorCodes.Conflict, $"The name {name} is taken by another stack of this platform.", new { field = "name" });
}

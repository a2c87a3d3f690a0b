using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Environments;
using Nno.Core.Errors;
using Nno.Core.Features;
using Nno.Core.Ids;
using Nno.Core.Naming;
using Nno.Core.Pagination;
using Nno.Core.Services;
using Nno.Registry.Access;
using Nno.Registry.Audit;
using Nno.Registry.Data;
using Nno.Registry.Environments;
using Nno.Registry.Objects;
using Nno.Registry.Paging;
using Nno.Registry.Platforms;
using Nno.Registry.Stacks;
using Nno.ServiceDefaults.Security;

namespace Nno.Registry.Resources;

/// <summary>Body of the internal resource upsert <c>POST /resources</c> (registry.md §3.8).</summary>
internal sealed record ResourceReportRequest
{
    public string? StackId { get; init; }

    public string? Type { get; init; }

    public string? LogicalName { get; init; }

    public string? CfName { get; init; }

    public string? Environment { get; init; }

    public string? Status { get; init; }

    public string? CfResourceId { get; init; }

    public string? EntityId { get; init; }

    public string? FeatureId { get; init; }

    public string? ProvisionJobId { get; init; }

    public ReportedError? LastError { get; init; }
}

/// <summary>Body of the internal <c>PATCH /resources/{id}</c>.</summary>
internal sealed record ResourcePatchRequest
{
    public string? Status { get; init; }

    public string? CfResourceId { get; init; }

    public ReportedError? LastError { get; init; }
}

/// <summary>
/// Resources of registry.md §3.8: the reads (op own adm mem) and Provisioning's reports (svc(provisioning) only: users and
/// operators get 404, other services 403). Reports are not status-gated and are validated like user input (§6).
/// </summary>
internal static partial class ResourcesApi
{
    /// <summary>What the internal routes need: the calling service on a platform it may see (deleted ones included).</summary>
    internal static readonly AccessNeed ServiceWrite = new(AccessLevel.Service, Write: true);

    public static IEndpointRouteBuilder MapResources(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(PlatformsApi.Path + "/{pid:pid}/resources").WithTags("Resources");
        group.MapGet("", ListAsync)
            .WithName("ListResources").WithSummary("A platform's Cloudflare resources, oldest first; filters stackId, entityId, featureId, type, environment, status.");
        group.MapGet("/{id}", GetAsync)
            .WithName("GetResource").WithSummary("One resource.");
        group.MapPost("", UpsertAsync)
            .WithName("ReportResource").WithSummary("Internal (Provisioning): upsert a resource by (environment, type, cfName); 201 new, 200 updated.")
            .ServiceOnly(NnoServices.Provisioning);
        group.MapPatch("/{id}", PatchAsync)
            .WithName("UpdateResource").WithSummary("Internal (Provisioning): status, cfResourceId, lastError; 'deleted' is final.")
            .ServiceOnly(NnoServices.Provisioning);
        group.MapPut("/{id}/secrets/{name}", PutSecretAsync)
            .WithName("ReportSecretMetadata").WithSummary("Internal (Provisioning): secret metadata only (status, lastSetAt); any value property is refused.")
            .ServiceOnly(NnoServices.Provisioning);
        group.MapDelete("/{id}/secrets/{name}", DeleteSecretAsync)
            .WithName("DeleteSecretMetadata").WithSummary("Internal (Provisioning): the secret was removed; its metadata becomes 'deleted'.")
            .ServiceOnly(NnoServices.Provisioning);
        app.MapGet(PlatformsApi.Path + "/{pid:pid}/secrets", ListSecretsAsync)
            .WithTags("Resources").WithName("ListSecrets").WithSummary("Secret metadata (never values), oldest first; filters resourceId, environment. Owners, admins, operators.");
        return app;
    }

    private static async Task<Ok<Page<ResourceView>>> ListAsync(
        string pid, HttpContext context, PlatformAccess access, RegistryDbContext db, RegistryCursors cursors,
        [FromQuery] string? stackId, [FromQuery] string? entityId, [FromQuery] string? featureId, [FromQuery] string? type,
        [FromQuery] string? environment, [FromQuery] string? status, CancellationToken cancellationToken)
    {
        await access.RequireAsync(context, pid, AccessNeed.Read, cancellationToken);
        var problems = new Dictionary<string, string[]>(StringComparer.Ordinal);
        ObjectLists.Check(problems, "stackId", stackId, IdFormat.IsStackId, "must be a 10-character stack id or 'default'");
        ObjectLists.Check(problems, "entityId", entityId, IdFormat.IsEntityId, "must be a 10-character entity id");
        ObjectLists.Check(problems, "featureId", featureId, FeatureIds.IsValid, FeatureIds.Rule);
        ObjectLists.CheckEnum(problems, "type", type, ResourceTypes.All);
        ObjectLists.CheckEnum(problems, "environment", environment, PlatformEnvironments.All);
        ObjectLists.CheckEnum(problems, "status", status, ResourceStatuses.All);
        ObjectLists.ThrowIfAny(problems);

        var rows = db.Resources.AsNoTracking().Where(r => r.PlatformId == pid);
        rows = stackId is null ? rows : rows.Where(r => r.StackId == stackId);
        rows = entityId is null ? rows : rows.Where(r => r.EntityId == entityId);
        rows = featureId is null ? rows : rows.Where(r => r.FeatureId == featureId);
        rows = type is null ? rows : rows.Where(r => r.Type == type);
        rows = environment is null ? rows : rows.Where(r => r.Environment == environment);
        rows = status is null ? rows : rows.Where(r => r.Status == status);
        return TypedResults.Ok(await ObjectLists.PageAsync(context, cursors, "resources", pid,
            [("stackId", stackId), ("entityId", entityId), ("featureId", featureId), ("type", type), ("environment", environment), ("status", status)],
            rows, r => r.CreatedAt, r => r.Id, ResourceView.From, cancellationToken));
    }

    private static async Task<Ok<ResourceView>> GetAsync(string pid, string id, HttpContext context, PlatformAccess access, RegistryDbContext db, CancellationToken cancellationToken)
    {
        await access.RequireAsync(context, pid, AccessNeed.Read, cancellationToken);
        return TypedResults.Ok(ResourceView.From(await FindAsync(db, pid, id, tracked: false, cancellationToken)));
    }

    private static async Task<Results<Created<ResourceView>, Ok<ResourceView>>> UpsertAsync(
        string pid, ResourceReportRequest body, HttpContext context, PlatformAccess access, RegistryUnitOfWork uow, RegistryIds ids,
        CancellationToken cancellationToken)
    {
        var grant = await access.RequireAsync(context, pid, ServiceWrite, cancellationToken);
        var problems = new Dictionary<string, string[]>(StringComparer.Ordinal);
        Required(problems, "stackId", body.StackId, IdFormat.IsStackId, "must be a 10-character stack id or 'default'");
        Required(problems, "type", body.Type, t => ResourceTypes.All.Contains(t), "must be one of " + string.Join(", ", ResourceTypes.All));
        Required(problems, "logicalName", body.LogicalName, IsLogicalName, "must be 1–40 characters a-z 0-9 -");
        Required(problems, "environment", body.Environment, PlatformEnvironments.IsValid, "must be dev, stg or prod");
        Required(problems, "status", body.Status, s => ResourceStatuses.All.Contains(s), "must be one of " + string.Join(", ", ResourceStatuses.All));
        Required(problems, "cfName", body.CfName, ResourceNames.IsValid, "must be 1–63 characters a-z 0-9 -");
        ObjectLists.Check(problems, "cfResourceId", body.CfResourceId, ReportRules.IsCfResourceId, ReportRules.CfResourceIdRule);
        ObjectLists.Check(problems, "entityId", body.EntityId, IdFormat.IsEntityId, "must be a 10-character entity id");
        ObjectLists.Check(problems, "featureId", body.FeatureId, FeatureIds.IsValid, FeatureIds.Rule);
        ObjectLists.Check(problems, "provisionJobId", body.ProvisionJobId, ReportRules.IsJobId, ReportRules.JobIdRule);
        var lastError = ReportRules.ErrorJson(problems, "lastError", body.LastError);
        if (problems.Count == 0 && CfNameProblem(pid, body) is { } cfProblem)
        {
            problems["cfName"] = [cfProblem];
        }

        ObjectLists.ThrowIfAny(problems);

        var db = uow.Db;
        await uow.BeginAsync(cancellationToken);
        var stackId = body.StackId!;
        if (!await db.Stacks.AnyAsync(s => s.PlatformId == pid && s.Id == stackId && s.Status != StackStatuses.Deleted, cancellationToken))
        {
            // Another platform's stack answers exactly like a missing one (§6).
            throw ApiException.Validation("stackId", "not found");
        }

        if (body.EntityId is { } entityId && !await db.Entities.AnyAsync(e => e.PlatformId == pid && e.Id == entityId && e.DeletedAt == null, cancellationToken))
        {
            throw ApiException.Validation("entityId", "not found");
        }

        var (environment, type, cfName) = (body.Environment!, body.Type!, body.CfName!);
        var row = await db.Resources.FirstOrDefaultAsync(
            r => r.PlatformId == pid && r.Environment == environment && r.Type == type && r.CfName == cfName && r.DeletedAt == null, cancellationToken);
        var now = uow.Now;
        var created = row is null;
        if (row is null)
        {
            row = new ResourceRecord
            {
                Id = ids.New(RegistryIds.Resource),
                PlatformId = pid,
                StackId = stackId,
                EntityId = body.EntityId,
                FeatureId = body.FeatureId,
                Type = type,
                LogicalName = body.LogicalName!,
                CfName = cfName,
                CfResourceId = body.CfResourceId,
                Environment = environment,
                Status = body.Status!,
                ProvisionJobId = body.ProvisionJobId,
                LastError = lastError,
                CreatedAt = now,
                UpdatedAt = now,
                DeletedAt = body.Status == ResourceStatuses.Deleted ? now : null,
            };
            db.Resources.Add(row);
            uow.AddAudit(grant.Caller, "resource.reported", pid, "resource", row.Id, new
            {
                created = true, stackId, type, logicalName = row.LogicalName, cfName, environment, status = row.Status,
            });
        }
        else
        {
            ObjectTransitions.Require(ObjectTransitions.Resource, row.Status, body.Status!);
            var changes = AuditDetails.Changes();
            Set(changes, "status", row.Status, body.Status!, v => row.Status = v);
            Set(changes, "logicalName", row.LogicalName, body.LogicalName!, v => row.LogicalName = v);
            SetIfGiven(changes, "entityId", row.EntityId, body.EntityId, v => row.EntityId = v);
            SetIfGiven(changes, "featureId", row.FeatureId, body.FeatureId, v => row.FeatureId = v);
            SetIfGiven(changes, "cfResourceId", row.CfResourceId, body.CfResourceId, v => row.CfResourceId = v);
            SetIfGiven(changes, "provisionJobId", row.ProvisionJobId, body.ProvisionJobId, v => row.ProvisionJobId = v);
            SetIfGiven(changes, "lastError", row.LastError, lastError, v => row.LastError = v);
            if (changes.Count > 0)
            {
                row.UpdatedAt = now;
                row.DeletedAt = row.Status == ResourceStatuses.Deleted ? now : null;
                uow.AddAudit(grant.Caller, "resource.reported", pid, "resource", row.Id, new { created = false, changes });
            }
        }

        await CommitAsync(uow, cancellationToken);
        var view = ResourceView.From(row);
        return created ? TypedResults.Created($"{PlatformsApi.Path}/{pid}/resources/{row.Id}", view) : TypedResults.Ok(view);
    }

    private static async Task<Ok<ResourceView>> PatchAsync(
        string pid, string id, [FromBody] JsonElement body, HttpContext context, PlatformAccess access, RegistryUnitOfWork uow, CancellationToken cancellationToken)
    {
        var present = ReportRules.PresentFields(body);
        var patch = ReportRules.Read<ResourcePatchRequest>(body);
        var grant = await access.RequireAsync(context, pid, ServiceWrite, cancellationToken);
        var problems = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (present.Contains("status"))
        {
            Required(problems, "status", patch.Status, s => ResourceStatuses.All.Contains(s), "must be one of " + string.Join(", ", ResourceStatuses.All));
        }

        ObjectLists.Check(problems, "cfResourceId", patch.CfResourceId, ReportRules.IsCfResourceId, ReportRules.CfResourceIdRule);
        var lastError = ReportRules.ErrorJson(problems, "lastError", patch.LastError);
        ObjectLists.ThrowIfAny(problems);

        await uow.BeginAsync(cancellationToken);
        var row = await FindAsync(uow.Db, pid, id, tracked: true, cancellationToken);
        var status = present.Contains("status") ? patch.Status! : row.Status;

        // 'deleted' is final: nothing about a deleted resource changes any more (§4.4).
        ObjectTransitions.Require(ObjectTransitions.Resource, row.Status, status, fromIsFinal: row.Status == ResourceStatuses.Deleted);
        var changes = AuditDetails.Changes();
        Set(changes, "status", row.Status, status, v => row.Status = v);
        if (present.Contains("cfResourceId"))
        {
            Set(changes, "cfResourceId", row.CfResourceId, patch.CfResourceId, v => row.CfResourceId = v);
        }

        if (present.Contains("lastError"))
        {
            Set(changes, "lastError", row.LastError, lastError, v => row.LastError = v);
        }

        if (changes.Count > 0)
        {
            row.UpdatedAt = uow.Now;
            row.DeletedAt = row.Status == ResourceStatuses.Deleted ? uow.Now : null;
            uow.AddAudit(grant.Caller, "resource.updated", pid, "resource", row.Id, new { changes });
        }

        await uow.CommitAsync(cancellationToken);
        return TypedResults.Ok(ResourceView.From(row));
    }

    private static async Task<Ok<Page<SecretView>>> ListSecretsAsync(
        string pid, HttpContext context, PlatformAccess access, RegistryDbContext db, RegistryCursors cursors,
        [FromQuery] string? resourceId, [FromQuery] string? environment, CancellationToken cancellationToken)
    {
        await access.RequireAsync(context, pid, AccessNeed.ManageRead, cancellationToken);
        var problems = new Dictionary<string, string[]>(StringComparer.Ordinal);
        ObjectLists.Check(problems, "resourceId", resourceId, v => RegistryIds.IsPrefixed(v, RegistryIds.Resource), "must be a resource id (res_…)");
        ObjectLists.CheckEnum(problems, "environment", environment, PlatformEnvironments.All);
        ObjectLists.ThrowIfAny(problems);

        var rows = db.Secrets.AsNoTracking().Where(s => s.PlatformId == pid);
        rows = resourceId is null ? rows : rows.Where(s => s.ResourceId == resourceId);
        rows = environment is null ? rows : rows.Where(s => s.Environment == environment);
        return TypedResults.Ok(await ObjectLists.PageAsync(context, cursors, "secrets", pid, [("resourceId", resourceId), ("environment", environment)],
            rows, s => s.CreatedAt, s => s.Id, SecretView.From, cancellationToken));
    }

    /// <summary>The resource <paramref name="id"/> of platform <paramref name="pid"/> (one query on both keys), else 404 <c>resource</c>.</summary>
    internal static async Task<ResourceRecord> FindAsync(RegistryDbContext db, string pid, string id, bool tracked, CancellationToken cancellationToken)
    {
        if (!RegistryIds.IsPrefixed(id, RegistryIds.Resource))
        {
            throw ApiException.NotFound("resource");
        }

        var query = tracked ? db.Resources : db.Resources.AsNoTracking();
        return await query.FirstOrDefaultAsync(r => r.PlatformId == pid && r.Id == id, cancellationToken) ?? throw ApiException.NotFound("resource");
    }

    /// <summary>
    /// The cfName rule of §3.2: <c>{platformId}-{stackId}-…</c>, ending <c>-stg</c> exactly in stg and <c>-dev</c> exactly in
    /// dev; the shell Pages project (type <c>pages</c>, logical name <c>portal</c>, stack <c>default</c>) is exactly
    /// <c>{platformId}-{env}-portal</c>.
    /// </summary>
    private static string? CfNameProblem(string pid, ResourceReportRequest body)
    {
        var environment = EnvironmentNames.Parse(body.Environment);
        if (body.Type == ResourceTypes.Pages && body.LogicalName == "portal" && body.StackId == StackRecord.DefaultId)
        {
            var portal = ResourceNames.PagesProject(pid, environment);
            return body.CfName == portal ? null : $"the shell Pages project must be named {portal}";
        }

        return ResourceNames.BelongsTo(body.CfName, pid, body.StackId!, environment)
            ? null
            : $"must start with {pid}-{body.StackId}- and end with -stg exactly in stg and -dev exactly in dev";
    }

    internal static async Task CommitAsync(RegistryUnitOfWork uow, CancellationToken cancellationToken)
    {
        try
        {
            await uow.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException ex) when (ConstraintViolations.IsUniqueViolation(ex))
        {
            throw new ApiException(ErrorCodes.Conflict, "The same object was reported concurrently; report it again.");
        }
    }

    internal static void Required(Dictionary<string, string[]> problems, string field, string? value, Func<string, bool> isValid, string problem)
    {
        if (value is null)
        {
            problems[field] = ["is required"];
        }
        else if (!isValid(value))
        {
            problems[field] = [problem];
        }
    }

    internal static void Set<T>(Dictionary<string, object?[]> changes, string field, T current, T value, Action<T> assign)
    {
        if (!EqualityComparer<T>.Default.Equals(current, value))
        {
            changes.Diff(field, current, value);
            assign(value);
        }
    }

    private static void SetIfGiven(Dictionary<string, object?[]> changes, string field, string? current, string? value, Action<string?> assign)
    {
        if (value is not null)
        {
            Set(changes, field, current, value, assign);
        }
    }

    private static bool IsLogicalName(string value) => value.Length is >= 1 and <= 40 && value.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');
}

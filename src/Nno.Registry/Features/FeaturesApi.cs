using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Errors;
using Nno.Core.Features;
using Nno.Core.Ids;
using Nno.Core.Json;
using Nno.Registry.Access;
using Nno.Registry.Audit;
using Nno.Registry.Data;
using Nno.Registry.Entities;
using Nno.Registry.Environments;
using Nno.Registry.Fields;
using Nno.Registry.Objects;
using Nno.Registry.Outbox;
using Nno.Registry.Platforms;
using Nno.Registry.Provisioning;
using Nno.Registry.Resources;
using Nno.Registry.Stacks;
using Nno.ServiceDefaults.Idempotency;
using Nno.ServiceDefaults.RequestContext;

namespace Nno.Registry.Features;

/// <summary>Body of <c>POST /features</c>.</summary>
internal sealed record ActivateFeatureRequest
{
    public string? EntityId { get; init; }

    public string? FeatureId { get; init; }

    public string? FeatureVersion { get; init; }

    public string? Environment { get; init; }

    public string? StackId { get; init; }

    public JsonElement? Config { get; init; }
}

/// <summary>Body of <c>PATCH /features/{faId}</c>.</summary>
internal sealed record PatchFeatureRequest
{
    public string? FeatureVersion { get; init; }

    public JsonElement? Config { get; init; }
}

/// <summary>Body of <c>POST /features/{faId}/deactivate</c>.</summary>
internal sealed record DeactivateFeatureRequest
{
    public bool? DeleteData { get; init; }
}

/// <summary>Body of <c>PUT /features/{faId}/secrets/{name}</c>: the only place a secret value enters the Registry, and only in passing.</summary>
internal sealed record FeatureSecretRequest
{
    public string? Value { get; init; }
}

/// <summary>
/// The feature activation writes of registry.md §3.7. The deployed version belongs to (stack, feature, environment): a
/// POST at another version than the one live there is 409 <c>shared_version</c>, and a PATCH of the version moves every
/// live activation of the triple in one transaction and one job (with <c>allEntities=true</c>). Feature secrets pass the
/// value to Provisioning synchronously and keep only metadata: the value is never stored, logged, audited or echoed.
/// </summary>
internal static partial class FeaturesApi
{
    public const int MaxSecretBytes = 8 * 1024;

    private static readonly string[] InFlight = [ActivationStatuses.Pending, ActivationStatuses.Provisioning, ActivationStatuses.Deactivating];

    public static IEndpointRouteBuilder MapFeatureWrites(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(PlatformsApi.Path + "/{pid:pid}/features").WithTags("Features");
        group.MapPost("", ActivateAsync)
            .WithName("ActivateFeature").WithSummary("Activate a feature for an entity in a stack and environment (202; 200 when already active at that version).")
            .WithIdempotency();
        group.MapPatch("/{faId}", PatchAsync)
            .WithName("UpdateFeatureActivation").WithSummary("Change an active feature's version (every entity of the stack and environment, allEntities=true) or config; 202.");
        group.MapPost("/{faId}/deactivate", DeactivateAsync)
            .WithName("DeactivateFeature").WithSummary("Deactivate an active or failed activation (202 deactivating); not a feature its stack requires.")
            .WithIdempotency();
        group.MapPut("/{faId}/secrets/{name}", PutSecretAsync)
            .WithName("SetFeatureSecret").WithSummary("Write a customer secret to the feature's Worker through Provisioning; only metadata is kept.");
        group.MapDelete("/{faId}/secrets/{name}", DeleteSecretAsync)
            .WithName("DeleteFeatureSecret").WithSummary("Delete a customer secret from the feature's Worker; metadata becomes deleted.");
        return app;
    }

    private static async Task<Results<Ok<FeatureActivationView>, Accepted<FeatureActivationView>>> ActivateAsync(
        string pid, ActivateFeatureRequest body, HttpContext context, PlatformAccess access, RegistryUnitOfWork uow, RegistryIds ids, CancellationToken cancellationToken)
    {
        var grant = await access.RequireAsync(context, pid, AccessNeed.Manage, cancellationToken);
        PlatformStatusGate.RequireWritable(grant);
        var stackId = body.StackId ?? StackRecordDefaults.Id;
        var problems = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!IdFormat.IsEntityId(body.EntityId))
        {
            problems["entityId"] = [body.EntityId is null ? "is required" : "not found"];
        }

        if (!FeatureIds.IsValid(body.FeatureId))
        {
            problems["featureId"] = [FeatureIds.Rule];
        }

        if (SemverRule.Problem(body.FeatureVersion) is { } versionProblem)
        {
            problems["featureVersion"] = [versionProblem];
        }

        if (!PlatformEnvironments.IsValid(body.Environment))
        {
            problems["environment"] = ["must be dev, stg or prod"];
        }

        if (!IdFormat.IsStackId(stackId))
        {
            problems["stackId"] = ["not found"];
        }

        if (body.Config is { } config && StackDefinitions.ConfigProblem(config) is { } configProblem)
        {
            problems["config"] = [configProblem];
        }

        ObjectLists.ThrowIfAny(problems);
        var entityId = body.EntityId!;
        var featureId = body.FeatureId!;
        var version = body.FeatureVersion!;
        var environment = body.Environment!;
        var configJson = JsonSerializer.Serialize(body.Config ?? JsonSerializer.SerializeToElement(new { }), NnoJson.Options);

        var db = uow.Db;
        await uow.BeginAsync(cancellationToken);
        var platform = await db.Platforms.AsNoTracking().FirstAsync(p => p.Id == pid, cancellationToken);
        PlatformStatusGate.RequireWritable(grant with { Platform = platform });
        var entity = await db.Entities.AsNoTracking().FirstOrDefaultAsync(e => e.PlatformId == pid && e.Id == entityId && e.DeletedAt == null, cancellationToken)
            ?? throw ApiException.Validation("entityId", "not found");
        var stack = await db.Stacks.AsNoTracking().FirstOrDefaultAsync(s => s.PlatformId == pid && s.Id == stackId && s.DeletedAt == null, cancellationToken)
            ?? throw ApiException.Validation("stackId", "not found");

        // The default stack serves every live entity; another stack its owner and the owner's descendants (§3.7).
        if (!stack.IsDefault && !await IsSelfOrDescendantAsync(db, pid, entity, stack.EntityId, cancellationToken))
        {
            throw ApiException.Validation("stackId", "not found (a stack of this entity or one of its ancestors)");
        }

        if (stack.Status != StackStatuses.Active)
        {
            throw new ApiException(ErrorCodes.Conflict, $"The stack is {stack.Status}; features are activated on active stacks.", new { reason = "stack_not_active", stackStatus = stack.Status });
        }

        var row = await db.FeatureActivations.FirstOrDefaultAsync(
            a => a.EntityId == entityId && a.StackId == stackId && a.FeatureId == featureId && a.Environment == environment, cancellationToken);
        if (row is not null)
        {
            if (row.Status == ActivationStatuses.Active && row.FeatureVersion == version)
            {
                await uow.CommitAsync(cancellationToken);
                return TypedResults.Ok(FeatureActivationView.From(row));
            }

            if (row.Status == ActivationStatuses.Active)
            {
                throw new ApiException(ErrorCodes.Conflict, $"The feature is active at {row.FeatureVersion}; change the version with PATCH.", new { reason = "active_at_other_version", activationId = row.Id, featureVersion = row.FeatureVersion });
            }

            if (InFlight.Contains(row.Status))
            {
                throw new ApiException(ErrorCodes.Conflict, $"The activation is {row.Status}: wait for its job.", new { reason = "in_flight", activationId = row.Id, status = row.Status });
            }
        }

        await RequireSharedVersionAsync(db, pid, stackId, featureId, environment, version, row?.Id, cancellationToken);
        await ObjectLimits.RequireFeatureCapacityAsync(db, platform, [featureId], cancellationToken);

        var now = uow.Now;
        if (row is null)
        {
            row = new FeatureActivationRecord
            {
                Id = ids.New(RegistryIds.FeatureActivation),
                PlatformId = pid,
                EntityId = entityId,
                StackId = stackId,
                FeatureId = featureId,
                FeatureVersion = version,
                Environment = environment,
                Source = ActivationSources.Standalone,
                Status = ActivationStatuses.Pending,
                Config = configJson,
                CreatedBy = grant.Caller.ActorId,
                CreatedAt = now,
                UpdatedAt = now,
            };
            db.FeatureActivations.Add(row);
        }
        else
        {
            // A re-activation of an inactive or failed row reuses it (same id, §3.7).
            row.FeatureVersion = version;
            row.Config = configJson;
            row.Status = ActivationStatuses.Pending;
            row.ProvisionJobId = null;
            row.LastError = null;
            row.UpdatedAt = now;
        }

        uow.AddAudit(grant.Caller, "feature.activation_requested", pid, "feature_activation", row.Id, new { entityId, stackId, featureId, featureVersion = version, environment });
        QueueActivation(uow, row, [row.Id]);
        await uow.CommitAsync(cancellationToken);
        context.SetIdempotencyResourceId(row.Id);
        return TypedResults.Accepted($"{PlatformsApi.Path}/{pid}/features/{row.Id}", FeatureActivationView.From(row));
    }

    private static async Task<Accepted<FeatureActivationView>> PatchAsync(
        string pid, string faId, PatchFeatureRequest body, HttpContext context, PlatformAccess access, RegistryUnitOfWork uow, [FromQuery] string? allEntities,
        CancellationToken cancellationToken)
    {
        var grant = await access.RequireAsync(context, pid, AccessNeed.Manage, cancellationToken);
        PlatformStatusGate.RequireWritable(grant);
        var all = allEntities switch
        {
            null or "false" => false,
            "true" => true,
            _ => throw ApiException.Validation("allEntities", "must be true or false"),
        };
        var problems = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (body.FeatureVersion is null && body.Config is null)
        {
            problems["body"] = ["give featureVersion and/or config"];
        }

        if (body.FeatureVersion is not null && SemverRule.Problem(body.FeatureVersion) is { } versionProblem)
        {
            problems["featureVersion"] = [versionProblem];
        }

        if (body.Config is { } config && StackDefinitions.ConfigProblem(config) is { } configProblem)
        {
            problems["config"] = [configProblem];
        }

        ObjectLists.ThrowIfAny(problems);
        var db = uow.Db;
        await uow.BeginAsync(cancellationToken);
        var row = await FindAsync(db.FeatureActivations, pid, faId, cancellationToken);
        if (row.Status != ActivationStatuses.Active)
        {
            throw new ApiException(ErrorCodes.InvalidTransition, $"The activation is {row.Status}; only an active one changes.",
                new { currentStatus = row.Status, requested = ActivationStatuses.Provisioning, allowed = new[] { ActivationStatuses.Provisioning } });
        }

        var moved = new List<FeatureActivationRecord> { row };
        var changes = AuditDetails.Changes();
        if (body.FeatureVersion is { } version && version != row.FeatureVersion)
        {
            var (stackId, featureId, environment) = (row.StackId, row.FeatureId, row.Environment);
            var others = await db.FeatureActivations.Where(a => a.PlatformId == pid && a.StackId == stackId && a.FeatureId == featureId && a.Environment == environment
                && a.Id != row.Id && a.Status != ActivationStatuses.Inactive && a.Status != ActivationStatuses.Failed).ToListAsync(cancellationToken);
            if (others.Count > 0 && !all)
            {
                throw SharedVersion(others.Select(o => o.EntityId), row.FeatureVersion, "The version is shared by every entity of this stack and environment; send allEntities=true to change them all.");
            }

            if (others.FirstOrDefault(o => o.Status != ActivationStatuses.Active) is { } busy)
            {
                throw new ApiException(ErrorCodes.Conflict, $"Another activation of this feature is {busy.Status}: wait for its job.", new { reason = "in_flight", activationId = busy.Id, status = busy.Status });
            }

            changes.Diff("featureVersion", row.FeatureVersion, version);
            moved.AddRange(others);
            foreach (var activation in moved)
            {
                activation.FeatureVersion = version;
            }
        }

        if (body.Config is { } newConfig)
        {
            var configJson = JsonSerializer.Serialize(newConfig, NnoJson.Options);
            changes.Diff("config", row.Config, configJson);
            row.Config = configJson;
        }

        var now = uow.Now;
        foreach (var activation in moved)
        {
            activation.Status = ActivationStatuses.Provisioning;
            activation.LastError = null;
            activation.UpdatedAt = now;
        }

        uow.AddAudit(grant.Caller, "feature.update_requested", pid, "feature_activation", row.Id, new { changes, activations = moved.Select(a => a.Id) });
        QueueActivation(uow, row, moved.Select(a => a.Id).ToList());
        await uow.CommitAsync(cancellationToken);
        return TypedResults.Accepted((string?)null, FeatureActivationView.From(row));
    }

    private static async Task<Accepted<FeatureActivationView>> DeactivateAsync(
        string pid, string faId, HttpContext context, PlatformAccess access, RegistryUnitOfWork uow, CancellationToken cancellationToken)
    {
        var grant = await access.RequireAsync(context, pid, AccessNeed.Manage, cancellationToken);
        PlatformStatusGate.RequireWritable(grant);
        var body = await ReadOptionalAsync<DeactivateFeatureRequest>(context, cancellationToken) ?? new DeactivateFeatureRequest();
        var db = uow.Db;
        await uow.BeginAsync(cancellationToken);
        var row = await FindAsync(db.FeatureActivations, pid, faId, cancellationToken);
        if (row.Status is not (ActivationStatuses.Active or ActivationStatuses.Failed))
        {
            throw new ApiException(ErrorCodes.InvalidTransition, $"The activation is {row.Status}.",
                new { currentStatus = row.Status, requested = ActivationStatuses.Deactivating, allowed = new[] { ActivationStatuses.Deactivating } });
        }

        if (row.Source == ActivationSources.Stack)
        {
            var (rowStack, rowFeature) = (row.StackId, row.FeatureId);
            var definition = await db.Stacks.AsNoTracking().Where(s => s.PlatformId == pid && s.Id == rowStack).Select(s => s.Definition).FirstOrDefaultAsync(cancellationToken);
            if (StackDefinitions.Features(definition)?.FirstOrDefault(f => f.Id == rowFeature) is { Required: true })
            {
                throw new ApiException(ErrorCodes.Conflict, "The stack's definition requires this feature: delete the stack instead.",
                    new { reason = "required_by_stack", source = ActivationSources.Stack, stackId = row.StackId });
            }
        }

        var deleteData = body.DeleteData ?? false;
        row.Status = ActivationStatuses.Deactivating;
        row.LastError = null;
        row.UpdatedAt = uow.Now;
        uow.AddAudit(grant.Caller, "feature.deactivation_requested", pid, "feature_activation", row.Id, new { featureId = row.FeatureId, deleteData });
        uow.AddOutbox(OutboxKinds.ProvisioningDeactivateFeature, pid, row.Id, new
        {
            platformId = pid, entityId = row.EntityId, stackId = row.StackId, featureId = row.FeatureId, environment = row.Environment, deleteData,
        });
        await uow.CommitAsync(cancellationToken);
        context.SetIdempotencyResourceId(row.Id);
        return TypedResults.Accepted((string?)null, FeatureActivationView.From(row));
    }

    private static async Task<Ok<SecretView>> PutSecretAsync(
        string pid, string faId, string name, FeatureSecretRequest body, HttpContext context, PlatformAccess access, RegistryUnitOfWork uow, RegistryIds ids,
        ProvisioningClient provisioning, CancellationToken cancellationToken)
    {
        var grant = await access.RequireAsync(context, pid, AccessNeed.Manage, cancellationToken);
        PlatformStatusGate.RequireWritable(grant);
        var problems = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!SecretName().IsMatch(name))
        {
            problems["name"] = ["must match ^[A-Z][A-Z0-9_]{0,127}$"];
        }

        // The value is checked for size only; no message ever quotes it.
        if (body.Value is null || body.Value.Length == 0 || Encoding.UTF8.GetByteCount(body.Value) > MaxSecretBytes)
        {
            problems["value"] = ["is required: 1 byte to 8 KiB"];
        }

        ObjectLists.ThrowIfAny(problems);
        var db = uow.Db;
        var (activation, worker) = await SecretTargetAsync(db, pid, faId, cancellationToken);
        var existing = await db.Secrets.AsNoTracking().FirstOrDefaultAsync(s => s.ResourceId == worker.Id && s.Name == name, cancellationToken);
        if (existing is { Source: SecretSources.System })
        {
            throw new ApiException(ErrorCodes.Conflict, "The Worker's own secret of this name is managed by NNO.", new { reason = "system_secret", name });
        }

        var call = ProvisioningCallContext.From(context.GetRequestIds(), grant.Caller.UserId ?? grant.Caller.ActingUserId);
        if (!await provisioning.WriteSecretAsync(pid, activation.Environment, activation.StackId, activation.FeatureId, name, body.Value, call, cancellationToken))
        {
            throw NoWorker();
        }

        await uow.BeginAsync(cancellationToken);
        var now = uow.Now;
        var row = await db.Secrets.FirstOrDefaultAsync(s => s.ResourceId == worker.Id && s.Name == name, cancellationToken);
        if (row is null)
        {
            row = new SecretRecord
            {
                Id = ids.New(RegistryIds.Secret),
                PlatformId = pid,
                ResourceId = worker.Id,
                Name = name,
                Environment = worker.Environment,
                Source = SecretSources.Customer,
                Status = SecretStatuses.Set,
                CreatedAt = now,
            };
            db.Secrets.Add(row);
        }

        row.Source = SecretSources.Customer;
        row.Status = SecretStatuses.Set;
        row.Version += 1;
        row.LastSetAt = now;
        row.LastSetBy = grant.Caller.UserId is { } user ? "user:" + user : grant.Caller.ActorId;
        row.UpdatedAt = now;
        uow.AddAudit(grant.Caller, "feature.secret_set", pid, "secret", row.Id, new { activationId = activation.Id, name, version = row.Version });
        await uow.CommitAsync(cancellationToken);
        return TypedResults.Ok(SecretView.From(row));
    }

    private static async Task<NoContent> DeleteSecretAsync(
        string pid, string faId, string name, HttpContext context, PlatformAccess access, RegistryUnitOfWork uow, ProvisioningClient provisioning,
        CancellationToken cancellationToken)
    {
        var grant = await access.RequireAsync(context, pid, AccessNeed.Manage, cancellationToken);
        PlatformStatusGate.RequireWritable(grant);
        var db = uow.Db;
        var activation = await FindAsync(db.FeatureActivations.AsNoTracking(), pid, faId, cancellationToken);
        var worker = await WorkerOfAsync(db, activation, cancellationToken);
        var secret = worker is null || !SecretName().IsMatch(name)
            ? null
            : await db.Secrets.AsNoTracking().FirstOrDefaultAsync(
                s => s.ResourceId == worker.Id && s.Name == name && s.Source == SecretSources.Customer && s.Status != SecretStatuses.Deleted, cancellationToken);
        if (secret is null)
        {
            throw ApiException.NotFound("secret");
        }

        var call = ProvisioningCallContext.From(context.GetRequestIds(), grant.Caller.UserId ?? grant.Caller.ActingUserId);
        if (!await provisioning.WriteSecretAsync(pid, activation.Environment, activation.StackId, activation.FeatureId, name, null, call, cancellationToken))
        {
            throw NoWorker();
        }

        await uow.BeginAsync(cancellationToken);
        var now = uow.Now;
        await db.Secrets.Where(s => s.Id == secret.Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, SecretStatuses.Deleted).SetProperty(x => x.UpdatedAt, now), cancellationToken);
        uow.AddAudit(grant.Caller, "feature.secret_deleted", pid, "secret", secret.Id, new { activationId = activation.Id, name });
        await uow.CommitAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>The activation and its feature's Worker; 409 unless the activation is active and the feature has a Worker.</summary>
    private static async Task<(FeatureActivationRecord Activation, ResourceRecord Worker)> SecretTargetAsync(RegistryDbContext db, string pid, string faId, CancellationToken cancellationToken)
    {
        var activation = await FindAsync(db.FeatureActivations.AsNoTracking(), pid, faId, cancellationToken);
        if (activation.Status != ActivationStatuses.Active)
        {
            throw new ApiException(ErrorCodes.Conflict, $"The activation is {activation.Status}; secrets are set on active activations.", new { reason = "activation_not_active", status = activation.Status });
        }

        return (activation, await WorkerOfAsync(db, activation, cancellationToken) ?? throw NoWorker());
    }

    /// <summary>The feature's shared Worker for the activation's stack and environment, as Provisioning reported it.</summary>
    private static Task<ResourceRecord?> WorkerOfAsync(RegistryDbContext db, FeatureActivationRecord a, CancellationToken cancellationToken) =>
        db.Resources.AsNoTracking().FirstOrDefaultAsync(
            r => r.PlatformId == a.PlatformId && r.StackId == a.StackId && r.FeatureId == a.FeatureId && r.Environment == a.Environment
                && r.Type == ResourceTypes.Worker && r.DeletedAt == null, cancellationToken);

    private static ApiException NoWorker() =>
        new(ErrorCodes.Conflict, "The feature has no Worker (service) to hold secrets.", new { reason = "no_worker" });

    /// <summary>409 <c>shared_version</c> when another entity runs the feature in this stack and environment at another version.</summary>
    private static async Task RequireSharedVersionAsync(
        RegistryDbContext db, string pid, string stackId, string featureId, string environment, string version, string? selfId, CancellationToken cancellationToken)
    {
        var others = await db.FeatureActivations.AsNoTracking()
            .Where(a => a.PlatformId == pid && a.StackId == stackId && a.FeatureId == featureId && a.Environment == environment
                && a.Status != ActivationStatuses.Inactive && a.Status != ActivationStatuses.Failed && a.FeatureVersion != version && a.Id != selfId)
            .Select(a => new { a.EntityId, a.FeatureVersion }).ToListAsync(cancellationToken);
        if (others.Count > 0)
        {
            throw SharedVersion(others.Select(o => o.EntityId), others[0].FeatureVersion,
                $"The feature runs at {others[0].FeatureVersion} in this stack and environment; every entity there shares one version.");
        }
    }

    private static ApiException SharedVersion(IEnumerable<string> entityIds, string featureVersion, string message) =>
        new(ErrorCodes.Conflict, message, new { reason = "shared_version", entityIds = entityIds.Distinct(StringComparer.Ordinal).ToList(), featureVersion });

    private static async Task<bool> IsSelfOrDescendantAsync(RegistryDbContext db, string pid, EntityRecord entity, string ancestorId, CancellationToken cancellationToken)
    {
        var current = entity;
        for (var depth = 0; depth <= EntityRules.MaxDepth && current is not null; depth++)
        {
            if (current.Id == ancestorId)
            {
                return true;
            }

            if (current.ParentId is not { } parentId)
            {
                return false;
            }

            current = await db.Entities.AsNoTracking().FirstOrDefaultAsync(e => e.PlatformId == pid && e.Id == parentId, cancellationToken);
        }

        return false;
    }

    private static void QueueActivation(RegistryUnitOfWork uow, FeatureActivationRecord row, IReadOnlyList<string> activationIds) =>
        uow.AddOutbox(OutboxKinds.ProvisioningActivateFeature, row.PlatformId, row.Id, new
        {
            platformId = row.PlatformId,
            entityId = row.EntityId,
            stackId = row.StackId,
            featureId = row.FeatureId,
            featureVersion = row.FeatureVersion,
            environment = row.Environment,
            config = JsonDocument.Parse(row.Config).RootElement.Clone(),
            activationIds,
        });

    internal static async Task<FeatureActivationRecord> FindAsync(IQueryable<FeatureActivationRecord> rows, string pid, string faId, CancellationToken cancellationToken)
    {
        var activation = RegistryIds.IsPrefixed(faId, RegistryIds.FeatureActivation)
            ? await rows.FirstOrDefaultAsync(a => a.PlatformId == pid && a.Id == faId, cancellationToken)
            : null;
        return activation ?? throw ApiException.NotFound("activation");
    }

    /// <summary>An optional JSON body (an empty body is no body), read with the strict wire options.</summary>
    private static async Task<T?> ReadOptionalAsync<T>(HttpContext context, CancellationToken cancellationToken)
        where T : class
    {
        if (context.Request.ContentLength is 0 || (context.Request.ContentLength is null && !context.Request.Headers.ContainsKey("Transfer-Encoding")))
        {
            return null;
        }

        try
        {
            return await JsonSerializer.DeserializeAsync<T>(context.Request.Body, NnoJson.Options, cancellationToken);
        }
        catch (JsonException ex)
        {
            throw ApiException.Validation("body", ex.Message.Split('.')[0]);
        }
    }

    [GeneratedRegex("^[A-Z][A-Z0-9_]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex SecretName();
}

/// <summary>The default stack's id as the feature routes use it.</summary>
internal static class StackRecordDefaults
{
    public const string Id = StackRecord.DefaultId;
}

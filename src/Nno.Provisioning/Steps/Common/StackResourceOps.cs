using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Nno.Provisioning.Cloudflare;
using Nno.Provisioning.Cloudflare.R2;
using Nno.Provisioning.Data;
using Nno.Provisioning.Jobs;
using Nno.Provisioning.Outbox;

namespace Nno.Provisioning.Steps.Common;

/// <summary>One of a stack's shared resources (stack-registry.md §4.1 convention): ledger kind, name part, Registry names.</summary>
internal sealed record StackResourceKind(string Kind, string What, string LogicalName, string RegistryType)
{
    public static StackResourceKind D1 { get; } = new(ResourceKinds.D1, "db", "db", "d1");

    public static StackResourceKind R2 { get; } = new(ResourceKinds.R2, "storage", "storage", "r2");

    public static StackResourceKind Kv { get; } = new(ResourceKinds.Kv, "kv", "kv", "kv");

    public static StackResourceKind Queue { get; } = new(ResourceKinds.Queue, "queue", "queue", "queue");

    /// <summary>In the order a stack creates them; deletion runs R2, KV, Queue, D1 (§4.2 DEACTIVATE_STACK).</summary>
    public static IReadOnlyList<StackResourceKind> All { get; } = [D1, R2, Kv, Queue];

    public static StackResourceKind Of(string kind) => All.Single(k => k.Kind == kind);

    /// <summary><c>ensure_stack_d1</c> … <c>ensure_stack_queue</c>.</summary>
    public string EnsureStep => "ensure_stack_" + (Kind == ResourceKinds.R2 ? "r2" : Kind);

    public string Name(string pid, string sid, string env) => StepNames.StackResource(pid, sid, What, env);
}

/// <summary>
/// The shared stack resources (D1, R2, KV, Queue) as steps of §4.2/§4.3: existence checks (D1 list by name, R2 GET) or
/// create-first with a lookup on conflict (KV, Queue), the create attempt persisted before each create, the id recorded
/// in the step and ledger and reported to the Registry before the step completes; undo deletes only what the job created.
/// </summary>
internal static class StackResourceOps
{
    /// <summary>The stack's active ledger row of <paramref name="kind"/>, or null (the stack lacks it).</summary>
    public static Task<CfResourceRecord?> FindAsync(StepContext context, StackResourceKind kind, string sid, string env, CancellationToken ct) =>
        context.FindLedgerAsync(kind.Kind, kind.Name(context.Job.PlatformId, sid, env), ct);

    /// <summary>Ensures the resource exists; SKIPPED when the ledger already has it for the stack.</summary>
    public static async Task<StepOutcome> EnsureAsync(StepContext context, StackResourceKind kind, string sid, string env, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(kind);
        var name = kind.Name(context.Job.PlatformId, sid, env);
        if (await context.FindLedgerAsync(kind.Kind, name, ct) is not null)
        {
            return StepOutcome.Skipped;
        }

        var cf = context.Services.GetRequiredService<CloudflareClient>();
        var (id, ours) = kind.Kind switch
        {
            ResourceKinds.D1 => await EnsureD1Async(context, cf, name, ct),
            ResourceKinds.R2 => await EnsureR2Async(context, cf, name, ct),
            ResourceKinds.Kv => await EnsureKvAsync(context, cf, name, ct),
            _ => await EnsureQueueAsync(context, cf, name, ct),
        };
        await context.RecordResourceAsync(
            new LedgerEntry(kind.Kind, name, id, env, sid), ours, row => [Report(context, row, kind, "active")], ct);
        return StepOutcome.Done;
    }

    private static async Task<(string Id, bool Ours)> EnsureD1Async(StepContext context, CloudflareClient cf, string name, CancellationToken ct)
    {
        if (await cf.FindD1DatabaseAsync(name, ct) is { } found)
        {
            return (found.Uuid, context.FoundIsOurs);
        }

        await context.BeforeCreateAsync(ct);
        try
        {
            return ((await cf.CreateD1DatabaseAsync(name, ct)).Uuid, true);
        }
        catch (CloudflareApiException ex) when (ex.IsConflict || ex.StatusCode == System.Net.HttpStatusCode.BadRequest)
        {
            // A duplicate name (400 code 7502 in the emulator): the database exists after all.
            var again = await cf.FindD1DatabaseAsync(name, ct);
            return again is null ? throw StepErrors.Vanished(ex) : (again.Uuid, context.ConflictIsOurs);
        }
    }

    private static async Task<(string Id, bool Ours)> EnsureR2Async(StepContext context, CloudflareClient cf, string name, CancellationToken ct)
    {
        if (await cf.GetR2BucketAsync(name, ct) is not null)
        {
            return (name, context.FoundIsOurs);
        }

        await context.BeforeCreateAsync(ct);
        try
        {
            return ((await cf.CreateR2BucketAsync(name, ct)).Name, true);
        }
        catch (CloudflareApiException ex) when (ex.IsConflict)
        {
            return (name, context.ConflictIsOurs);
        }
    }

    private static async Task<(string Id, bool Ours)> EnsureKvAsync(StepContext context, CloudflareClient cf, string name, CancellationToken ct)
    {
        await context.BeforeCreateAsync(ct);
        try
        {
            return ((await cf.CreateKvNamespaceAsync(name, ct)).Id, true);
        }
        catch (CloudflareApiException ex) when (ex.IsConflict)
        {
            var found = await cf.FindKvNamespaceAsync(name, ct);
            return found is null ? throw StepErrors.Vanished(ex) : (found.Id, context.ConflictIsOurs);
        }
    }

    private static async Task<(string Id, bool Ours)> EnsureQueueAsync(StepContext context, CloudflareClient cf, string name, CancellationToken ct)
    {
        await context.BeforeCreateAsync(ct);
        try
        {
            return ((await cf.CreateQueueAsync(name, ct)).QueueId, true);
        }
        catch (CloudflareApiException ex) when (ex.IsConflict || ex.StatusCode == System.Net.HttpStatusCode.BadRequest)
        {
            var found = await cf.FindQueueAsync(name, ct);
            return found is null ? throw StepErrors.Vanished(ex) : (found.QueueId, context.ConflictIsOurs);
        }
    }

    /// <summary>
    /// Undoes an ensure step that created its resource: deletes it (a 404 means already gone) and marks the ledger row
    /// deleted. A bucket that holds objects is a permanent undo failure <c>BUCKET_NOT_EMPTY</c> (the data is not NNO's to drop).
    /// </summary>
    public static async Task<StepOutcome> UndoEnsureAsync(StepContext context, StackResourceKind kind, string sid, string env, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(kind);
        if (context.Step.CfId is null && context.Step.CreateAttempts == 0)
        {
            return StepOutcome.Skipped;
        }

        var name = kind.Name(context.Job.PlatformId, sid, env);
        var cf = context.Services.GetRequiredService<CloudflareClient>();
        var id = context.Step.CfId ?? await LookUpAsync(cf, kind, name, ct);
        if (id is not null)
        {
            try
            {
                await DeleteAsync(cf, kind, id, ct);
            }
            catch (CloudflareApiException ex) when (ex.IsBucketNotEmpty)
            {
                throw StepFailureException.Permanent(JobErrorCodes.BucketNotEmpty, $"Bucket {name} still holds objects; empty it, then retry the job.", ex);
            }
        }

        if (await context.FindLedgerAsync(kind.Kind, name, ct) is { } row)
        {
            await context.MarkDeletedAsync(row, r => [Report(context, r, kind, "deleted")], ct);
        }

        return StepOutcome.Done;
    }

    /// <summary>
    /// Deletes a stack resource for good (DEACTIVATE_STACK with <c>deleteData</c>): reported <c>deleting</c>, an R2 bucket
    /// emptied through the S3 API first (cursor in the step's output), deleted, marked deleted and reported <c>deleted</c>.
    /// </summary>
    public static async Task DeleteForGoodAsync(StepContext context, CfResourceRecord row, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(row);
        var kind = StackResourceKind.Of(row.Kind);
        var done = context.Output["deleting"] as System.Text.Json.Nodes.JsonArray ?? [];
        if (!done.Any(n => n?.GetValue<string>() == row.Id))
        {
            done.Add(row.Id);
            context.Output["deleting"] = done;
            await context.ReportAsync([Report(context, row, kind, "deleting")], ct);
        }

        var cf = context.Services.GetRequiredService<CloudflareClient>();
        if (kind == StackResourceKind.R2)
        {
            var deleter = context.Services.GetRequiredService<R2BulkDeleter>();
            var key = "r2:" + row.Name;
            var cursor = StepOutputs.Read<R2DeletionCursor>(context, key);
            await deleter.DeleteAllAsync(row.Name, null, cursor, async (next, token) =>
            {
                StepOutputs.Write(context, key, next);
                await context.SaveAsync(token);
            }, ct);
        }

        await DeleteAsync(cf, kind, row.CfId, ct);
        await context.MarkDeletedAsync(row, r => [Report(context, r, kind, "deleted")], ct);
    }

    private static async Task<string?> LookUpAsync(CloudflareClient cf, StackResourceKind kind, string name, CancellationToken ct) => kind.Kind switch
    {
        ResourceKinds.D1 => (await cf.FindD1DatabaseAsync(name, ct))?.Uuid,
        ResourceKinds.R2 => (await cf.GetR2BucketAsync(name, ct))?.Name,
        ResourceKinds.Kv => (await cf.FindKvNamespaceAsync(name, ct))?.Id,
        _ => (await cf.FindQueueAsync(name, ct))?.QueueId,
    };

    private static Task<bool> DeleteAsync(CloudflareClient cf, StackResourceKind kind, string id, CancellationToken ct) => kind.Kind switch
    {
        ResourceKinds.D1 => cf.DeleteD1DatabaseAsync(id, ct),
        ResourceKinds.R2 => cf.DeleteR2BucketAsync(id, ct),
        ResourceKinds.Kv => cf.DeleteKvNamespaceAsync(id, ct),
        _ => cf.DeleteQueueAsync(id, ct),
    };

    /// <summary>The Registry resource report of a stack resource (logical names <c>db</c>, <c>storage</c>, <c>kv</c>, <c>queue</c>).</summary>
    public static RegistryOutboxRecord Report(StepContext context, CfResourceRecord row, StackResourceKind kind, string status) =>
        RegistryReports.Resource(row, new ResourceReport(
            row.StackId ?? "default", kind.RegistryType, kind.LogicalName, row.Name, row.Environment ?? "prod", status, row.CfId,
            context.Job.EntityId, null, context.Job.Id));

    /// <summary>The active ledger rows of a stack's shared resources in one environment (or every one when null).</summary>
    public static Task<List<CfResourceRecord>> StackRowsAsync(ProvisioningDbContext db, string pid, string sid, string? env, CancellationToken ct)
    {
        var kinds = StackResourceKind.All.Select(k => k.Kind).ToList();
        return db.Resources
            .Where(r => r.PlatformId == pid && r.Status == CfResourceStatuses.Active && r.StackId == sid && r.FeatureId == null && kinds.Contains(r.Kind)
                        && (env == null || r.Environment == env))
            .OrderBy(r => r.CreatedAt)
            .ToListAsync(ct);
    }
}

using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Nno.Core.Environments;
using Nno.Provisioning.Bundles;
using Nno.Provisioning.Cloudflare;
using Nno.Provisioning.Cloudflare.R2;
using Nno.Provisioning.Cloudflare.Workers;
using Nno.Provisioning.Data;
using Nno.Provisioning.Jobs;
using Nno.Provisioning.Migrations;
using Nno.Provisioning.Outbox;
using Nno.Provisioning.Steps.Common;

namespace Nno.Provisioning.Steps.Features;

/// <summary>A feature as a job runs it: the snapshot of its bundle manifest plus the FeatureRef's <c>service</c> and <c>config</c>.</summary>
internal sealed record FeatureSpec(string Id, string Version, string Package, bool Service, FeatureResources Resources, JsonElement? Config = null)
{
    public static FeatureSpec Of(FeatureManifest manifest, bool? service = null, JsonElement? config = null)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return new FeatureSpec(manifest.Id, manifest.Version, manifest.Package, service ?? manifest.Service, manifest.Resources, config);
    }
}

/// <summary>Where a feature lives: platform, stack, environment.</summary>
internal sealed record FeaturePlace(string PlatformId, string StackId, string Environment)
{
    public PlatformEnvironment PlatformEnvironment => EnvironmentNames.ParsePlatform(Environment);

    public string Worker(string featureId) => StepNames.FeatureWorker(PlatformId, StackId, featureId, Environment);

    public static FeaturePlace Of(ProvisionJobRecord job) =>
        new(job.PlatformId, job.StackId ?? "default", job.Environment ?? throw new InvalidOperationException($"Job {job.Id} has no environment."));
}

/// <summary>
/// The feature steps shared by ACTIVATE_FEATURE, DEACTIVATE_FEATURE and the stack jobs (§4.2): migrations, the Worker
/// upload with the stack's bindings (undo deletes or re-uploads the previous version), the hostname, and the removals.
/// </summary>
internal static class FeatureOps
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    private const string PreviousVersionKey = "previousVersion";
    private const string VersionKey = "version";

    /// <summary>The stack's shared bindings from the ledger (every enabled one, §4.7).</summary>
    public static async Task<StackBindings> StackBindingsAsync(StepContext context, FeaturePlace place, CancellationToken ct)
    {
        var rows = await StackResourceOps.StackRowsAsync(context.Db, place.PlatformId, place.StackId, place.Environment, ct);
        string? Of(StackResourceKind kind, bool byName) =>
            rows.FirstOrDefault(r => r.Kind == kind.Kind && r.Name == kind.Name(place.PlatformId, place.StackId, place.Environment)) is { } row
                ? (byName ? row.Name : row.CfId)
                : null;
        return new StackBindings(Of(StackResourceKind.D1, false), Of(StackResourceKind.R2, true), Of(StackResourceKind.Kv, false), Of(StackResourceKind.Queue, true));
    }

    /// <summary><c>run_feature_migrations</c>: the feature's SQL in the stack D1, tracked as <c>{fid}/{file}</c>.</summary>
    public static async Task<StepOutcome> MigrateAsync(StepContext context, FeaturePlace place, FeatureSpec spec, CancellationToken ct)
    {
        var bundle = context.Services.GetRequiredService<BundleCatalogue>().GetFeature(spec.Id, spec.Version);
        if (bundle.Migrations.Count == 0)
        {
            return StepOutcome.Skipped;
        }

        var db = await StackResourceOps.FindAsync(context, StackResourceKind.D1, place.StackId, place.Environment, ct)
            ?? throw StepFailureException.Permanent(JobErrorCodes.MigrationFailed, $"The stack {place.StackId} has no D1 database for {spec.Id}'s migrations.");
        var result = await context.Services.GetRequiredService<D1MigrationRunner>().MigrateFeatureAsync(db.CfId, bundle, ct);
        context.Output["applied"] = new System.Text.Json.Nodes.JsonArray([.. result.Applied.Select(a => (System.Text.Json.Nodes.JsonNode?)a)]);
        return StepOutcome.Done;
    }

    /// <summary>
    /// <c>deploy_feature_worker</c>: settings check, then PUT with the stack's bindings. A Worker that already ran another
    /// version is upgraded (its version kept in the output for the undo); one that did not exist is this job's.
    /// </summary>
    public static async Task<StepOutcome> DeployWorkerAsync(StepContext context, FeaturePlace place, FeatureSpec spec, CancellationToken ct)
    {
        if (!spec.Service)
        {
            return StepOutcome.Skipped;
        }

        var catalogue = context.Services.GetRequiredService<BundleCatalogue>();
        var bundle = catalogue.GetFeature(spec.Id, spec.Version);
        var cf = context.Services.GetRequiredService<CloudflareClient>();
        var name = place.Worker(spec.Id);
        var settings = await cf.GetWorkerSettingsAsync(name, ct);
        bool created;
        if (settings is null)
        {
            created = true;
        }
        else if (context.Step.CreateAttempts > 0 && context.Output[PreviousVersionKey] is null && !StepOutputs.Flag(context, "existed"))
        {
            // Our earlier upload's answer was lost.
            created = true;
        }
        else
        {
            created = false;
            if (!StepOutputs.Flag(context, "existed"))
            {
                var previous = settings.Bindings?.FirstOrDefault(b => b.Name == "FEATURE_VERSION" && b.Type == WorkerBinding.PlainText)?.Text;
                context.Output["existed"] = true;
                context.Output[PreviousVersionKey] = previous;
                context.Output[StepOutputs.UndoNeeded] = previous is not null && previous != spec.Version;
            }
        }

        var upload = WorkerUploadBuilder.Feature(bundle, await ValuesAsync(context, place, ct));
        await context.BeforeCreateAsync(ct);
        await cf.UploadWorkerAsync(name, upload, ct);
        context.Output[VersionKey] = spec.Version;
        await context.RecordResourceAsync(
            new LedgerEntry(ResourceKinds.Worker, name, name, place.Environment, place.StackId, spec.Id, null, null, Meta(spec.Version)),
            created,
            row => [WorkerReport(context, row, spec.Id, "active")],
            ct);
        return StepOutcome.Done;
    }

    /// <summary>Undo of <see cref="DeployWorkerAsync"/>: delete the Worker this job created, or re-upload the version it replaced.</summary>
    public static async Task<StepOutcome> UndoDeployWorkerAsync(StepContext context, FeaturePlace place, string featureId, CancellationToken ct)
    {
        var cf = context.Services.GetRequiredService<CloudflareClient>();
        var name = place.Worker(featureId);
        if (context.Step.CreatedByJob || (context.Step.CfId is null && context.Step.CreateAttempts > 0 && !StepOutputs.Flag(context, "existed")))
        {
            await cf.DeleteWorkerAsync(name, ct);
            if (await context.FindLedgerAsync(ResourceKinds.Worker, name, ct) is { } row)
            {
                await context.MarkDeletedAsync(row, r => [WorkerReport(context, r, featureId, "deleted")], ct);
            }

            return StepOutcome.Done;
        }

        if (StepOutputs.Flag(context, StepOutputs.UndoNeeded) && StepOutputs.String(context, PreviousVersionKey) is { } previous)
        {
            await UploadVersionAsync(context, place, featureId, previous, ct);
            return StepOutcome.Done;
        }

        return StepOutcome.Skipped;
    }

    /// <summary>Uploads <paramref name="version"/> of a feature's Worker with the stack's current bindings and records it.</summary>
    public static async Task UploadVersionAsync(StepContext context, FeaturePlace place, string featureId, string version, CancellationToken ct)
    {
        var bundle = context.Services.GetRequiredService<BundleCatalogue>().GetFeature(featureId, version);
        var cf = context.Services.GetRequiredService<CloudflareClient>();
        var name = place.Worker(featureId);
        await cf.UploadWorkerAsync(name, WorkerUploadBuilder.Feature(bundle, await ValuesAsync(context, place, ct)), ct);
        var (cfId, createdByJob) = (context.Step.CfId, context.Step.CreatedByJob);
        await context.RecordResourceAsync(
            new LedgerEntry(ResourceKinds.Worker, name, name, place.Environment, place.StackId, featureId, null, null, Meta(version)),
            createdByJob,
            row => [WorkerReport(context, row, featureId, "active")],
            ct);
        context.Step.CfId = cfId;
    }

    /// <summary><c>register_feature_hostname</c>: <c>{fid}.svc.{inf}{sid}.{pid}.{base}</c> with its route to the feature Worker.</summary>
    public static async Task<StepOutcome> RegisterHostnameAsync(StepContext context, FeaturePlace place, FeatureSpec spec, CancellationToken ct)
    {
        if (!spec.Service)
        {
            return StepOutcome.Skipped;
        }

        var hostname = Hostname(context, place, spec.Id);
        await HostnameOps.RegisterWorkerHostnameAsync(context, hostname, place.Worker(spec.Id), place.Environment, place.StackId, spec.Id, ct);
        return StepOutcome.Done;
    }

    public static string Hostname(StepContext context, FeaturePlace place, string featureId) =>
        context.Services.GetRequiredService<CloudflareNames>().FeatureHostname(featureId, place.StackId, place.PlatformId, place.PlatformEnvironment);

    /// <summary><c>remove_feature_route</c>.</summary>
    public static async Task<StepOutcome> RemoveRouteAsync(StepContext context, FeaturePlace place, string featureId, CancellationToken ct) =>
        await HostnameOps.RemoveAsync(context, ResourceKinds.WorkerRoute, CloudflareNames.RoutePattern(Hostname(context, place, featureId)), ct)
            ? StepOutcome.Done
            : StepOutcome.Skipped;

    /// <summary><c>remove_feature_hostname</c>.</summary>
    public static async Task<StepOutcome> RemoveHostnameAsync(StepContext context, FeaturePlace place, string featureId, CancellationToken ct) =>
        await HostnameOps.RemoveAsync(context, ResourceKinds.CustomHostname, Hostname(context, place, featureId), ct)
            ? StepOutcome.Done
            : StepOutcome.Skipped;

    /// <summary><c>delete_feature_worker</c>: <c>DELETE …?force=true</c>; the version is kept so the undo can re-upload it.</summary>
    public static async Task<StepOutcome> DeleteWorkerAsync(StepContext context, FeaturePlace place, string featureId, CancellationToken ct)
    {
        var name = place.Worker(featureId);
        var row = await context.FindLedgerAsync(ResourceKinds.Worker, name, ct);
        if (row is null)
        {
            return StepOutcome.Skipped;
        }

        context.Output[VersionKey] = VersionOf(row);
        context.Output[StepOutputs.UndoNeeded] = true;
        context.Step.CfId = row.CfId;
        await context.SaveAsync(ct);
        await context.Services.GetRequiredService<CloudflareClient>().DeleteWorkerAsync(name, ct);
        await context.MarkDeletedAsync(row, r => [WorkerReport(context, r, featureId, "deleted")], ct);
        return StepOutcome.Done;
    }

    /// <summary>Undo of <see cref="DeleteWorkerAsync"/>: re-uploads the same version.</summary>
    public static async Task<StepOutcome> UndoDeleteWorkerAsync(StepContext context, FeaturePlace place, string featureId, CancellationToken ct)
    {
        if (StepOutputs.String(context, VersionKey) is not { } version)
        {
            return StepOutcome.Skipped;
        }

        await UploadVersionAsync(context, place, featureId, version, ct);
        return StepOutcome.Done;
    }

    /// <summary>The feature version a Worker ledger row runs (its meta), or null.</summary>
    public static string? VersionOf(CfResourceRecord row)
    {
        ArgumentNullException.ThrowIfNull(row);
        using var meta = JsonDocument.Parse(row.MetaJson);
        return StepNames.String(meta.RootElement, "featureVersion");
    }

    /// <summary>
    /// <c>drop_feature_data</c> (irreversible from its start): the feature's tables via <c>teardown.sql</c>, its KV keys
    /// <c>{fid}:*</c> (list + bulk delete, 1,000 per call) and its R2 objects <c>{fid}/*</c> through the S3 API; cursors in
    /// the output so a retry resumes. The stack's shared resources stay.
    /// </summary>
    public static async Task<StepOutcome> DropDataAsync(StepContext context, FeaturePlace place, string featureId, string version, CancellationToken ct)
    {
        if (!context.Job.Irreversible)
        {
            context.Job.Irreversible = true;
            await context.SaveAsync(ct);
        }

        var catalogue = context.Services.GetRequiredService<BundleCatalogue>();
        var bundle = catalogue.GetFeature(featureId, version);
        var cf = context.Services.GetRequiredService<CloudflareClient>();
        if (!StepOutputs.Flag(context, "tablesDropped") && await StackResourceOps.FindAsync(context, StackResourceKind.D1, place.StackId, place.Environment, ct) is { } db)
        {
            await context.Services.GetRequiredService<D1MigrationRunner>().TeardownFeatureAsync(db.CfId, bundle, ct);
            context.Output["tablesDropped"] = true;
            await context.SaveAsync(ct);
        }

        if (!StepOutputs.Flag(context, "kvDone") && await StackResourceOps.FindAsync(context, StackResourceKind.Kv, place.StackId, place.Environment, ct) is { } kv)
        {
            var deleted = StepOutputs.Int(context, "kvDeleted");
            while (true)
            {
                // Listing from the start each time: deleted keys are gone, so the first page is always the next one.
                var page = await cf.ListKvKeysAsync(kv.CfId, bundle.KeyPrefix, null, CloudflareClient.KvBulkDeleteMax, ct);
                if (page.Keys.Count == 0)
                {
                    break;
                }

                await cf.DeleteKvKeysAsync(kv.CfId, [.. page.Keys.Select(k => k.Name)], ct);
                deleted += page.Keys.Count;
                context.Output["kvDeleted"] = deleted;
                await context.SaveAsync(ct);
            }

            context.Output["kvDone"] = true;
            await context.SaveAsync(ct);
        }

        if (!StepOutputs.Flag(context, "r2Done") && await StackResourceOps.FindAsync(context, StackResourceKind.R2, place.StackId, place.Environment, ct) is { } bucket)
        {
            var deleter = context.Services.GetRequiredService<R2BulkDeleter>();
            var cursor = StepOutputs.Read<R2DeletionCursor>(context, "r2Cursor");
            await deleter.DeleteAllAsync(bucket.Name, bundle.ObjectPrefix, cursor, async (next, token) =>
            {
                StepOutputs.Write(context, "r2Cursor", next);
                await context.SaveAsync(token);
            }, ct);
            context.Output["r2Done"] = true;
            await context.SaveAsync(ct);
        }

        return StepOutcome.Done;
    }

    private static async Task<FeatureWorkerValues> ValuesAsync(StepContext context, FeaturePlace place, CancellationToken ct)
    {
        var names = context.Services.GetRequiredService<CloudflareNames>();
        return new FeatureWorkerValues(place.PlatformId, place.StackId, place.PlatformEnvironment,
            names.AuthBaseUrl(place.PlatformId, place.PlatformEnvironment), await StackBindingsAsync(context, place, ct));
    }

    private static string Meta(string version) => JsonSerializer.Serialize(new { featureVersion = version }, Json);

    /// <summary>The Registry resource report of a feature Worker (logical name = the feature id).</summary>
    public static RegistryOutboxRecord WorkerReport(StepContext context, CfResourceRecord row, string featureId, string status) =>
        RegistryReports.Resource(row, new ResourceReport(
            row.StackId ?? "default", "worker", featureId, row.Name, row.Environment ?? "prod", status, row.CfId, context.Job.EntityId, featureId, context.Job.Id));

    // ---- usages ----

    /// <summary>Whether an entity other than <paramref name="entityId"/> uses the feature in this stack and environment.</summary>
    public static Task<bool> UsedByOthersAsync(ProvisioningDbContext db, FeaturePlace place, string featureId, string? entityId, CancellationToken ct) =>
        db.FeatureUsages.AsNoTracking().AnyAsync(
            u => u.PlatformId == place.PlatformId && u.Environment == place.Environment && u.StackId == place.StackId && u.FeatureId == featureId && u.EntityId != entityId,
            ct);

    /// <summary>Records the entity's usage and moves every usage of the feature in this stack+environment to <paramref name="version"/>.</summary>
    public static async Task UpsertUsageAsync(ProvisioningDbContext db, FeaturePlace place, string featureId, string version, string entityId, string jobId, long now, CancellationToken ct)
    {
        var usages = await db.FeatureUsages
            .Where(u => u.PlatformId == place.PlatformId && u.Environment == place.Environment && u.StackId == place.StackId && u.FeatureId == featureId)
            .ToListAsync(ct);
        foreach (var usage in usages)
        {
            // One stack+environment runs one version of a feature: the shared Worker was upgraded for every entity.
            usage.FeatureVersion = version;
        }

        if (usages.FirstOrDefault(u => u.EntityId == entityId) is { } mine)
        {
            mine.JobId = jobId;
        }
        else
        {
            db.FeatureUsages.Add(new FeatureUsageRecord
            {
                PlatformId = place.PlatformId, Environment = place.Environment, StackId = place.StackId, FeatureId = featureId, EntityId = entityId,
                FeatureVersion = version, JobId = jobId, CreatedAt = now,
            });
        }
    }

    /// <summary>Deletes usages of the feature in this stack+environment (one entity's, or every one when null).</summary>
    public static Task DeleteUsagesAsync(ProvisioningDbContext db, FeaturePlace place, string featureId, string? entityId, CancellationToken ct) =>
        db.FeatureUsages
            .Where(u => u.PlatformId == place.PlatformId && u.Environment == place.Environment && u.StackId == place.StackId && u.FeatureId == featureId
                        && (entityId == null || u.EntityId == entityId))
            .ExecuteDeleteAsync(ct);
}

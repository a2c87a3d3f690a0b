using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Nno.Provisioning.Bundles;
using Nno.Provisioning.Cloudflare;
using Nno.Provisioning.Data;
using Nno.Provisioning.Jobs;
using Nno.Provisioning.Steps.Common;
using Nno.Provisioning.Steps.Features;
using Nno.Provisioning.Steps.Stacks;

namespace Nno.Provisioning.Steps;

/// <summary>
/// ACTIVATE_STACK (§4.2): <c>resolve_stack_definition</c> snapshots the definition and manifests and inserts the rest of
/// the job's steps (shared resources, then per feature in dependency order migrations, Worker and hostname suffixed
/// <c>:{fid}</c>; for an upgrade only new and changed features, and removals for dropped ones) in the transaction that
/// completes it; <c>report_stack_manifest</c> reports the manifest synchronously before anything is created.
/// </summary>
internal sealed class ActivateStackSteps : IJobSteps
{
    public const string ResolveStep = "resolve_stack_definition";
    public const string ReportStep = "report_stack_manifest";

    public string JobType => JobTypes.ActivateStack;

    public IReadOnlyList<PlannedStep> Plan(JobPlanInput input) => [new(ResolveStep), new(ReportStep)];

    public bool UndoesUncreated(ProvisionStepRecord step) => StepOutputs.Flag(step?.OutputJson ?? "{}", StepOutputs.UndoNeeded);

    public async Task<StepOutcome> RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.BaseName == ResolveStep)
        {
            await ResolveAsync(context, cancellationToken);
            return StepOutcome.Done;
        }

        var snapshot = await StackDefinitions.SnapshotOfAsync(context.Db, context.Job.Id, cancellationToken)
            ?? throw new InvalidOperationException($"Job {context.Job.Id} has no stack snapshot.");
        if (context.BaseName == ReportStep)
        {
            await StackDefinitions.ReportManifestAsync(context, snapshot, cancellationToken);
            return StepOutcome.Done;
        }

        var place = FeaturePlace.Of(context.Job);
        if (StackResourceKind.All.FirstOrDefault(k => k.EnsureStep == context.BaseName) is { } kind)
        {
            return await StackResourceOps.EnsureAsync(context, kind, place.StackId, place.Environment, cancellationToken);
        }

        var fid = context.Qualifier ?? throw new InvalidOperationException($"Step {context.Step.Name} names no feature.");
        FeatureSpec Spec() => snapshot.Features.Single(f => f.Id == fid);
        return context.BaseName switch
        {
            "run_feature_migrations" => await FeatureOps.MigrateAsync(context, place, Spec(), cancellationToken),
            "deploy_feature_worker" => await FeatureOps.DeployWorkerAsync(context, place, Spec(), cancellationToken),
            "register_feature_hostname" => await FeatureOps.RegisterHostnameAsync(context, place, Spec(), cancellationToken),
            "remove_feature_route" => await FeatureOps.RemoveRouteAsync(context, place, fid, cancellationToken),
            "remove_feature_hostname" => await FeatureOps.RemoveHostnameAsync(context, place, fid, cancellationToken),
            "delete_feature_worker" => await FeatureOps.DeleteWorkerAsync(context, place, fid, cancellationToken),
            _ => throw new InvalidOperationException($"Unknown step {context.Step.Name} of {JobType}."),
        };
    }

    public async Task<StepOutcome> UndoAsync(StepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var place = FeaturePlace.Of(context.Job);
        if (StackResourceKind.All.FirstOrDefault(k => k.EnsureStep == context.BaseName) is { } kind)
        {
            return await StackResourceOps.UndoEnsureAsync(context, kind, place.StackId, place.Environment, cancellationToken);
        }

        var fid = context.Qualifier;
        return context.BaseName switch
        {
            "deploy_feature_worker" => await FeatureOps.UndoDeployWorkerAsync(context, place, fid!, cancellationToken),
            "register_feature_hostname" => await HostnameOps.UndoRegistrationAsync(context, FeatureOps.Hostname(context, place, fid!), cancellationToken),
            "remove_feature_route" or "remove_feature_hostname" => await HostnameOps.UndoRemoveAsync(context, cancellationToken),
            "delete_feature_worker" => await FeatureOps.UndoDeleteWorkerAsync(context, place, fid!, cancellationToken),
            // The snapshot and the manifest report have nothing to undo (the Registry learns the outcome from the job's
            // events); migrations are forward-only.
            _ => StepOutcome.Skipped,
        };
    }

    public async Task OnCompletedAsync(JobCompletionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var job = context.Job;
        var place = FeaturePlace.Of(job);
        var snapshot = await StackDefinitions.SnapshotOfAsync(context.Db, job.Id, cancellationToken)
            ?? throw new InvalidOperationException($"Job {job.Id} has no stack snapshot.");
        foreach (var feature in snapshot.Features)
        {
            // The stack's owning entity uses every feature of its definition.
            await FeatureOps.UpsertUsageAsync(context.Db, place, feature.Id, feature.Version, job.EntityId!, job.Id, context.Now, cancellationToken);
        }

        foreach (var dropped in snapshot.Dropped)
        {
            await FeatureOps.DeleteUsagesAsync(context.Db, place, dropped, null, cancellationToken);
        }
    }

    private static async Task ResolveAsync(StepContext context, CancellationToken ct)
    {
        var payload = context.Payload;
        string templateVersion;
        JsonElement definition;
        if (payload.TryGetProperty("definition", out var inline) && inline.ValueKind == JsonValueKind.Object)
        {
            // A custom stack is reported as sent, version 0.0.0 (registry.md §3.6 Path B).
            (templateVersion, definition) = ("0.0.0", inline.Clone());
        }
        else
        {
            var name = StepNames.String(payload, "templateName")!;
            var version = StepNames.String(payload, "templateVersion") ?? "latest";
            (templateVersion, definition) = await StackDefinitions.FetchAsync(context, name, version, ct);
        }

        var catalogue = context.Services.GetRequiredService<BundleCatalogue>();
        var features = StackDefinitions.Features(definition, catalogue);
        var resources = StackDefinitions.Resources(definition, features);
        var place = FeaturePlace.Of(context.Job);
        var current = await StackDefinitions.CurrentAsync(context.Db, place.PlatformId, place.StackId, place.Environment, context.Job.Id, ct);
        var previous = current?.Features ?? [];
        var added = features.Where(f => previous.All(p => p.Id != f.Id)).Select(f => f.Id).ToList();
        var changed = features.Where(f => previous.Any(p => p.Id == f.Id && p.Version != f.Version)).Select(f => f.Id).ToList();
        var dropped = previous.Where(p => features.All(f => f.Id != p.Id)).Select(p => p.Id).Reverse().ToList();
        var snapshot = new StackSnapshot(templateVersion, definition, features, resources, added, changed, dropped, current?.Features);
        StepOutputs.Write(context, StackDefinitions.SnapshotKey, snapshot);

        var planned = new List<PlannedStep>();
        var needs = resources.AsFeatureResources;
        planned.AddRange(StackResourceKind.All.Where(k => ActivateFeatureSteps.Needs(needs, k))
            .Select(k => new PlannedStep(k.EnsureStep, k.Kind, k.Name(place.PlatformId, place.StackId, place.Environment))));
        foreach (var feature in features.Where(f => added.Contains(f.Id) || changed.Contains(f.Id)))
        {
            planned.Add(new PlannedStep("run_feature_migrations:" + feature.Id));
            planned.Add(new PlannedStep("deploy_feature_worker:" + feature.Id, ResourceKinds.Worker, place.Worker(feature.Id)));
            planned.Add(new PlannedStep("register_feature_hostname:" + feature.Id, ResourceKinds.CustomHostname, null));
        }

        foreach (var fid in dropped)
        {
            // DEACTIVATE_FEATURE 2–4 for a feature the new definition drops: its data stays.
            planned.Add(new PlannedStep("remove_feature_route:" + fid, ResourceKinds.WorkerRoute, null));
            planned.Add(new PlannedStep("remove_feature_hostname:" + fid, ResourceKinds.CustomHostname, null));
            planned.Add(new PlannedStep("delete_feature_worker:" + fid, ResourceKinds.Worker, place.Worker(fid)));
        }

        await InsertStepsAsync(context, planned, ct);
    }

    /// <summary>
    /// Inserts the planned rows after the existing ones. A new run (P12 after a rollback) resolves again: rows of the
    /// earlier plan that never acted are replaced, rows that did are kept (their names are not inserted twice).
    /// </summary>
    private static async Task InsertStepsAsync(StepContext context, IReadOnlyList<PlannedStep> planned, CancellationToken ct)
    {
        var jobId = context.Job.Id;
        var existing = await context.Db.Steps.Where(s => s.JobId == jobId).ToListAsync(ct);
        var stale = existing.Where(s => s.Name is not (ResolveStep or ReportStep) && s.Status == StepStatuses.Pending && s.CreateAttempts == 0 && s.Attempts == 0).ToList();
        context.Db.Steps.RemoveRange(stale);
        var kept = existing.Except(stale).ToList();
        var seq = kept.Max(s => s.Seq);
        foreach (var step in planned.Where(p => kept.All(k => k.Name != p.Name)))
        {
            context.Db.Steps.Add(new ProvisionStepRecord
            {
                JobId = jobId,
                Seq = ++seq,
                Name = step.Name,
                Status = StepStatuses.Pending,
                ResourceKind = step.ResourceKind,
                ResourceName = step.ResourceName,
            });
        }
    }
}

/// <summary>
/// DEACTIVATE_STACK (§4.2): every feature's route, hostname and Worker in reverse dependency order (reversible), then
/// with <c>deleteData</c> (irreversible from there) the R2 bucket emptied through S3 and deleted, KV, Queue and D1.
/// Without it the shared resources stay <c>active</c>. Covers one environment or, without one, every environment.
/// </summary>
internal sealed class DeactivateStackSteps : IJobSteps
{
    private static readonly (string Step, StackResourceKind Kind)[] DataSteps =
    [
        ("empty_and_delete_stack_r2", StackResourceKind.R2), ("delete_stack_kv", StackResourceKind.Kv),
        ("delete_stack_queue", StackResourceKind.Queue), ("delete_stack_d1", StackResourceKind.D1),
    ];

    public string JobType => JobTypes.DeactivateStack;

    public IReadOnlyList<PlannedStep> Plan(JobPlanInput input) => [new("remove_stack_features"), .. DataSteps.Select(d => new PlannedStep(d.Step))];

    public async Task<StepOutcome> RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (pid, sid, env) = (context.Job.PlatformId, context.Job.StackId!, context.Job.Environment);
        if (context.BaseName == "remove_stack_features")
        {
            return await RemoveFeaturesAsync(context, pid, sid, env, cancellationToken);
        }

        if (!StepNames.Bool(context.Payload, "deleteData"))
        {
            return StepOutcome.Skipped;
        }

        var kind = DataSteps.Single(d => d.Step == context.BaseName).Kind;
        var rows = (await StackResourceOps.StackRowsAsync(context.Db, pid, sid, env, cancellationToken)).Where(r => r.Kind == kind.Kind).ToList();
        if (rows.Count == 0)
        {
            return StepOutcome.Skipped;
        }

        if (!context.Job.Irreversible)
        {
            // From the first deletion of data on, the job cannot be rolled back (a retry resumes it).
            context.Job.Irreversible = true;
            await context.SaveAsync(cancellationToken);
        }

        foreach (var row in rows)
        {
            await StackResourceOps.DeleteForGoodAsync(context, row, cancellationToken);
        }

        return StepOutcome.Done;
    }

    public async Task<StepOutcome> UndoAsync(StepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.BaseName != "remove_stack_features" || context.Output["removed"] is not JsonArray removed)
        {
            return StepOutcome.Skipped;
        }

        // Workers first (a route needs its script), then hostnames and routes: the reverse of the removal order.
        foreach (var worker in removed.OfType<JsonObject>().Where(r => (string?)r["kind"] == ResourceKinds.Worker).Reverse())
        {
            var place = new FeaturePlace(context.Job.PlatformId, (string)worker["stackId"]!, (string)worker["environment"]!);
            await FeatureOps.UploadVersionAsync(context, place, (string)worker["featureId"]!, (string)worker["version"]!, cancellationToken);
        }

        var hostnames = new JsonArray([.. removed.OfType<JsonObject>().Where(r => (string?)r["kind"] != ResourceKinds.Worker).Select(r => r.DeepClone())]);
        context.Output["removed"] = hostnames;
        var outcome = await HostnameOps.UndoRemoveAsync(context, cancellationToken);
        context.Output["removed"] = removed;
        return outcome == StepOutcome.Skipped && hostnames.Count == removed.Count ? StepOutcome.Skipped : StepOutcome.Done;
    }

    public async Task OnCompletedAsync(JobCompletionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (pid, sid, env) = (context.Job.PlatformId, context.Job.StackId!, context.Job.Environment);
        await context.Db.FeatureUsages.Where(u => u.PlatformId == pid && u.StackId == sid && (env == null || u.Environment == env)).ExecuteDeleteAsync(cancellationToken);
    }

    private static async Task<StepOutcome> RemoveFeaturesAsync(StepContext context, string pid, string sid, string? env, CancellationToken ct)
    {
        var workers = await context.Db.Resources.AsNoTracking()
            .Where(r => r.PlatformId == pid && r.StackId == sid && r.FeatureId != null && r.Status == CfResourceStatuses.Active && r.CustomDomainId == null
                        && (env == null || r.Environment == env))
            .ToListAsync(ct);
        if (workers.Count == 0)
        {
            return StepOutcome.Skipped;
        }

        var names = context.Services.GetRequiredService<CloudflareNames>();
        foreach (var group in workers.GroupBy(r => r.Environment ?? "prod").OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var place = new FeaturePlace(pid, sid, group.Key);
            var current = await StackDefinitions.CurrentAsync(context.Db, pid, sid, group.Key, context.Job.Id, ct);
            var order = current?.Features.Select(f => f.Id).ToList() ?? [];
            // Reverse dependency order; features the snapshot does not know go first.
            var features = group.Select(r => r.FeatureId!).Distinct()
                .OrderByDescending(f => order.IndexOf(f) < 0 ? int.MaxValue : order.IndexOf(f)).ToList();
            foreach (var fid in features)
            {
                var hostname = names.FeatureHostname(fid, sid, pid, place.PlatformEnvironment);
                await HostnameOps.RemoveAsync(context, ResourceKinds.WorkerRoute, CloudflareNames.RoutePattern(hostname), ct);
                await HostnameOps.RemoveAsync(context, ResourceKinds.CustomHostname, hostname, ct);
                var worker = await context.FindLedgerAsync(ResourceKinds.Worker, place.Worker(fid), ct);
                if (worker is not null)
                {
                    var removed = context.Output["removed"] as JsonArray ?? [];
                    removed.Add(new JsonObject
                    {
                        ["kind"] = ResourceKinds.Worker, ["name"] = worker.Name, ["featureId"] = fid, ["stackId"] = sid, ["environment"] = group.Key,
                        ["version"] = FeatureOps.VersionOf(worker),
                    });
                    context.Output["removed"] = removed;
                    context.Output[StepOutputs.UndoNeeded] = true;
                    await context.SaveAsync(ct);
                    await context.Services.GetRequiredService<CloudflareClient>().DeleteWorkerAsync(worker.Name, ct);
                    await context.MarkDeletedAsync(worker, r => [FeatureOps.WorkerReport(context, r, fid, "deleted")], ct);
                }
            }
        }

        return StepOutcome.Done;
    }
}

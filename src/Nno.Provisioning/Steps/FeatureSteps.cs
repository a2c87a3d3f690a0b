using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Nno.Provisioning.Bundles;
using Nno.Provisioning.Data;
using Nno.Provisioning.Jobs;
using Nno.Provisioning.Steps.Common;
using Nno.Provisioning.Steps.Features;

namespace Nno.Provisioning.Steps;

/// <summary>
/// ACTIVATE_FEATURE (§4.2): bundle snapshot, the shared stack resources the manifest needs, migrations, Worker, hostname.
/// The feature's usage is written in the transaction that completes the job. (The shell rebuild step belongs to the CLI
/// service's issue, decision 0431.)
/// </summary>
internal sealed class ActivateFeatureSteps : IJobSteps
{
    public const string ResolveStep = "resolve_feature_bundle";

    public string JobType => JobTypes.ActivateFeature;

    public IReadOnlyList<PlannedStep> Plan(JobPlanInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (pid, env) = (input.PlatformId, input.Environment!);
        var sid = StepNames.String(input.Payload, "stackId")!;
        var fid = StepNames.String(input.Payload, "featureId")!;
        return
        [
            new(ResolveStep),
            .. StackResourceKind.All.Select(k => new PlannedStep(k.EnsureStep, k.Kind, k.Name(pid, sid, env))),
            new("run_feature_migrations"),
            new("deploy_feature_worker", ResourceKinds.Worker, StepNames.FeatureWorker(pid, sid, fid, env)),
            new("register_feature_hostname", ResourceKinds.CustomHostname, null),
        ];
    }

    public bool UndoesUncreated(ProvisionStepRecord step) => StepOutputs.Flag(step?.OutputJson ?? "{}", StepOutputs.UndoNeeded);

    public async Task<StepOutcome> RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var place = FeaturePlace.Of(context.Job);
        if (context.BaseName == ResolveStep)
        {
            var manifest = context.Services.GetRequiredService<BundleCatalogue>().GetManifest(context.Job.FeatureId!, context.Job.FeatureVersion!);
            StepOutputs.Write(context, "feature", FeatureSpec.Of(manifest));
            return StepOutcome.Done;
        }

        var spec = await SpecAsync(context, cancellationToken);
        if (StackResourceKind.All.FirstOrDefault(k => k.EnsureStep == context.BaseName) is { } kind)
        {
            return Needs(spec.Resources, kind)
                ? await StackResourceOps.EnsureAsync(context, kind, place.StackId, place.Environment, cancellationToken)
                : StepOutcome.Skipped;
        }

        return context.BaseName switch
        {
            "run_feature_migrations" => await FeatureOps.MigrateAsync(context, place, spec, cancellationToken),
            "deploy_feature_worker" => await FeatureOps.DeployWorkerAsync(context, place, spec, cancellationToken),
            "register_feature_hostname" => await FeatureOps.RegisterHostnameAsync(context, place, spec, cancellationToken),
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

        return context.BaseName switch
        {
            "deploy_feature_worker" => await FeatureOps.UndoDeployWorkerAsync(context, place, context.Job.FeatureId!, cancellationToken),
            "register_feature_hostname" => await HostnameOps.UndoRegistrationAsync(context, FeatureOps.Hostname(context, place, context.Job.FeatureId!), cancellationToken),
            // The bundle snapshot has nothing to undo; migrations are forward-only (their tables are prefixed, §4.2).
            _ => StepOutcome.Skipped,
        };
    }

    public async Task OnCompletedAsync(JobCompletionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var job = context.Job;
        await FeatureOps.UpsertUsageAsync(context.Db, FeaturePlace.Of(job), job.FeatureId!, job.FeatureVersion!, job.EntityId!, job.Id, context.Now, cancellationToken);
    }

    internal static bool Needs(FeatureResources resources, StackResourceKind kind) => kind.Kind switch
    {
        ResourceKinds.D1 => resources.D1,
        ResourceKinds.R2 => resources.R2,
        ResourceKinds.Kv => resources.Kv,
        _ => resources.Queue,
    };

    private static async Task<FeatureSpec> SpecAsync(StepContext context, CancellationToken ct)
    {
        var output = await context.Db.Steps.AsNoTracking()
            .Where(s => s.JobId == context.Job.Id && s.Name == ResolveStep)
            .Select(s => s.OutputJson)
            .SingleAsync(ct);
        using var doc = JsonDocument.Parse(output);
        return doc.RootElement.TryGetProperty("feature", out var feature)
            ? feature.Deserialize<FeatureSpec>(FeatureOps.Json)!
            : throw new InvalidOperationException($"Job {context.Job.Id} has no bundle snapshot.");
    }
}

/// <summary>
/// DEACTIVATE_FEATURE (§4.2): route, hostname, Worker, then data with <c>deleteData</c> (irreversible from there). With
/// another entity still using the feature in this stack+environment every step is SKIPPED and only the usage goes.
/// </summary>
internal sealed class DeactivateFeatureSteps : IJobSteps
{
    public string JobType => JobTypes.DeactivateFeature;

    public IReadOnlyList<PlannedStep> Plan(JobPlanInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (pid, env) = (input.PlatformId, input.Environment!);
        var sid = StepNames.String(input.Payload, "stackId")!;
        var fid = StepNames.String(input.Payload, "featureId")!;
        var worker = StepNames.FeatureWorker(pid, sid, fid, env);
        return
        [
            new("remove_feature_route", ResourceKinds.WorkerRoute, null),
            new("remove_feature_hostname", ResourceKinds.CustomHostname, null),
            new("delete_feature_worker", ResourceKinds.Worker, worker),
            new("drop_feature_data"),
        ];
    }

    public bool UndoesUncreated(ProvisionStepRecord step) => StepOutputs.Flag(step?.OutputJson ?? "{}", StepOutputs.UndoNeeded);

    public async Task<StepOutcome> RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var place = FeaturePlace.Of(context.Job);
        var fid = context.Job.FeatureId!;
        if (await FeatureOps.UsedByOthersAsync(context.Db, place, fid, context.Job.EntityId, cancellationToken))
        {
            // Another entity still uses the shared Worker and data: only the bookkeeping (this entity's usage) changes.
            return StepOutcome.Skipped;
        }

        return context.BaseName switch
        {
            "remove_feature_route" => await FeatureOps.RemoveRouteAsync(context, place, fid, cancellationToken),
            "remove_feature_hostname" => await FeatureOps.RemoveHostnameAsync(context, place, fid, cancellationToken),
            "delete_feature_worker" => await FeatureOps.DeleteWorkerAsync(context, place, fid, cancellationToken),
            "drop_feature_data" => StepNames.Bool(context.Payload, "deleteData")
                ? await FeatureOps.DropDataAsync(context, place, fid, await VersionAsync(context, place, fid, cancellationToken), cancellationToken)
                : StepOutcome.Skipped,
            _ => throw new InvalidOperationException($"Unknown step {context.Step.Name} of {JobType}."),
        };
    }

    public async Task<StepOutcome> UndoAsync(StepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var place = FeaturePlace.Of(context.Job);
        return context.BaseName switch
        {
            "remove_feature_route" or "remove_feature_hostname" => await HostnameOps.UndoRemoveAsync(context, cancellationToken),
            "delete_feature_worker" => await FeatureOps.UndoDeleteWorkerAsync(context, place, context.Job.FeatureId!, cancellationToken),
            // Dropped data cannot come back: the job is irreversible from that step on, so no rollback reaches it.
            _ => StepOutcome.Skipped,
        };
    }

    public Task OnCompletedAsync(JobCompletionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        return FeatureOps.DeleteUsagesAsync(context.Db, FeaturePlace.Of(context.Job), context.Job.FeatureId!, context.Job.EntityId, cancellationToken);
    }

    /// <summary>The version whose teardown runs: the usage's, else the Worker's last recorded one, else the newest shipped bundle.</summary>
    private static async Task<string> VersionAsync(StepContext context, FeaturePlace place, string fid, CancellationToken ct)
    {
        var usage = await context.Db.FeatureUsages.AsNoTracking()
            .Where(u => u.PlatformId == place.PlatformId && u.Environment == place.Environment && u.StackId == place.StackId && u.FeatureId == fid)
            .Select(u => u.FeatureVersion)
            .FirstOrDefaultAsync(ct);
        if (usage is not null)
        {
            return usage;
        }

        var worker = place.Worker(fid);
        var row = await context.Db.Resources.AsNoTracking()
            .Where(r => r.Kind == ResourceKinds.Worker && r.Name == worker)
            .OrderByDescending(r => r.CreatedAt)
            .FirstOrDefaultAsync(ct);
        if (row is not null && FeatureOps.VersionOf(row) is { } version)
        {
            return version;
        }

        return context.Services.GetRequiredService<BundleCatalogue>().Features
            .Where(f => f.FeatureId == fid)
            .Select(f => f.Version)
            .OrderByDescending(v => Semver.SemVersion.Parse(v, Semver.SemVersionStyles.Strict), Semver.SemVersion.SortOrderComparer)
            .FirstOrDefault()
            ?? throw new FeatureBundleNotFoundException(fid, "any");
    }
}

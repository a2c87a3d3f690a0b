using Nno.Provisioning.Jobs;

namespace Nno.Provisioning.Steps;

/// <summary>ACTIVATE_FEATURE (§4.2): bundle, shared stack resources, migrations, Worker, hostname, shell rebuild.</summary>
internal sealed class ActivateFeatureSteps : IJobSteps
{
    public string JobType => JobTypes.ActivateFeature;

    public IReadOnlyList<PlannedStep> Plan(JobPlanInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (pid, env) = (input.PlatformId, input.Environment!);
        var sid = StepNames.String(input.Payload, "stackId")!;
        var fid = StepNames.String(input.Payload, "featureId")!;
        return
        [
            new("resolve_feature_bundle"),
            new("ensure_stack_d1", ResourceKinds.D1, StepNames.StackResource(pid, sid, "db", env)),
            new("ensure_stack_r2", ResourceKinds.R2, StepNames.StackResource(pid, sid, "storage", env)),
            new("ensure_stack_kv", ResourceKinds.Kv, StepNames.StackResource(pid, sid, "kv", env)),
            new("ensure_stack_queue", ResourceKinds.Queue, StepNames.StackResource(pid, sid, "queue", env)),
            new("run_feature_migrations"),
            new("deploy_feature_worker", ResourceKinds.Worker, StepNames.FeatureWorker(pid, sid, fid, env)),
            new("register_feature_hostname", ResourceKinds.CustomHostname, null),
            new("trigger_shell_rebuild"),
        ];
    }

    public Task<StepOutcome> RunAsync(StepContext context, CancellationToken cancellationToken) => UnavailableStepLogic.RunAsync(context);

    public Task<StepOutcome> UndoAsync(StepContext context, CancellationToken cancellationToken) => UnavailableStepLogic.UndoAsync();
}

/// <summary>DEACTIVATE_FEATURE (§4.2): rebuild, route, hostname, Worker, then data (irreversible from step 5).</summary>
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
            new("trigger_shell_rebuild"),
            new("remove_feature_route", ResourceKinds.WorkerRoute, null),
            new("remove_feature_hostname", ResourceKinds.CustomHostname, null),
            new("delete_feature_worker", ResourceKinds.Worker, worker),
            new("drop_feature_data"),
        ];
    }

    public Task<StepOutcome> RunAsync(StepContext context, CancellationToken cancellationToken) => UnavailableStepLogic.RunAsync(context);

    public Task<StepOutcome> UndoAsync(StepContext context, CancellationToken cancellationToken) => UnavailableStepLogic.UndoAsync();
}

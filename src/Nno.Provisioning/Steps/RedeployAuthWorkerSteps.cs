using Nno.Provisioning.Jobs;

namespace Nno.Provisioning.Steps;

/// <summary>REDEPLOY_AUTH_WORKER (§4.2): new migrations, the current bundle (previous kept for the undo), missing secrets last.</summary>
internal sealed class RedeployAuthWorkerSteps : IJobSteps
{
    public string JobType => JobTypes.RedeployAuthWorker;

    public IReadOnlyList<PlannedStep> Plan(JobPlanInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var worker = StepNames.AuthWorker(input.PlatformId, input.Environment!);
        return [new("migrate_auth_d1"), new("upload_auth_worker", ResourceKinds.Worker, worker), new("ensure_auth_secrets", ResourceKinds.WorkerSecret, worker)];
    }

    public Task<StepOutcome> RunAsync(StepContext context, CancellationToken cancellationToken) => UnavailableStepLogic.RunAsync(context);

    public Task<StepOutcome> UndoAsync(StepContext context, CancellationToken cancellationToken) => UnavailableStepLogic.UndoAsync();
}

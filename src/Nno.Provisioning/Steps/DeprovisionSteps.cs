using Nno.Provisioning.Jobs;

namespace Nno.Provisioning.Steps;

/// <summary>DEPROVISION_PLATFORM (§4.2): irreversible, from the ledger only; steps 5–8 only with <c>purgeData</c>.</summary>
internal sealed class DeprovisionSteps : IJobSteps
{
    public string JobType => JobTypes.DeprovisionPlatform;

    public bool IrreversibleFromStart => true;

    public IReadOnlyList<PlannedStep> Plan(JobPlanInput input) =>
    [
        new("remove_routes"), new("remove_domains"), new("delete_workers"), new("delete_pages_projects"),
        new("delete_queues"), new("empty_and_delete_r2"), new("delete_kv"), new("delete_d1"),
    ];

    public Task<StepOutcome> RunAsync(StepContext context, CancellationToken cancellationToken) => UnavailableStepLogic.RunAsync(context);

    public Task<StepOutcome> UndoAsync(StepContext context, CancellationToken cancellationToken) => UnavailableStepLogic.UndoAsync();
}

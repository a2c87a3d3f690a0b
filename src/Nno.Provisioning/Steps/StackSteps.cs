using Nno.Provisioning.Jobs;

namespace Nno.Provisioning.Steps;

/// <summary>ACTIVATE_STACK (§4.2): per-feature steps are inserted when <c>resolve_stack_definition</c> completes.</summary>
internal sealed class ActivateStackSteps : IJobSteps
{
    public string JobType => JobTypes.ActivateStack;

    public IReadOnlyList<PlannedStep> Plan(JobPlanInput input) =>
        [new("resolve_stack_definition"), new("report_stack_manifest"), new("trigger_shell_rebuild")];

    public Task<StepOutcome> RunAsync(StepContext context, CancellationToken cancellationToken) => UnavailableStepLogic.RunAsync(context);

    public Task<StepOutcome> UndoAsync(StepContext context, CancellationToken cancellationToken) => UnavailableStepLogic.UndoAsync();
}

/// <summary>DEACTIVATE_STACK (§4.2): feature removal in reverse dependency order, then the shared resources with <c>deleteData</c>.</summary>
internal sealed class DeactivateStackSteps : IJobSteps
{
    public string JobType => JobTypes.DeactivateStack;

    public IReadOnlyList<PlannedStep> Plan(JobPlanInput input) =>
        [new("remove_stack_features"), new("empty_and_delete_stack_r2"), new("delete_stack_kv"), new("delete_stack_queue"), new("delete_stack_d1")];

    public Task<StepOutcome> RunAsync(StepContext context, CancellationToken cancellationToken) => UnavailableStepLogic.RunAsync(context);

    public Task<StepOutcome> UndoAsync(StepContext context, CancellationToken cancellationToken) => UnavailableStepLogic.UndoAsync();
}

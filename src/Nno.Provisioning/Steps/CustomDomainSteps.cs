using Nno.Provisioning.Jobs;

namespace Nno.Provisioning.Steps;

/// <summary>ADD_CUSTOM_DOMAIN (§4.2): the custom hostname (TXT validation) and its attachment to the target.</summary>
internal sealed class AddCustomDomainSteps : IJobSteps
{
    public string JobType => JobTypes.AddCustomDomain;

    public IReadOnlyList<PlannedStep> Plan(JobPlanInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return [new("register_domain_hostname", ResourceKinds.CustomHostname, StepNames.String(input.Payload, "domain")), new("attach_domain")];
    }

    public Task<StepOutcome> RunAsync(StepContext context, CancellationToken cancellationToken) => UnavailableStepLogic.RunAsync(context);

    public Task<StepOutcome> UndoAsync(StepContext context, CancellationToken cancellationToken) => UnavailableStepLogic.UndoAsync();
}

/// <summary>REMOVE_CUSTOM_DOMAIN (§4.2): detach, delete the hostname, report it removed.</summary>
internal sealed class RemoveCustomDomainSteps : IJobSteps
{
    public string JobType => JobTypes.RemoveCustomDomain;

    public IReadOnlyList<PlannedStep> Plan(JobPlanInput input) => [new("detach_domain"), new("delete_domain_hostname")];

    public Task<StepOutcome> RunAsync(StepContext context, CancellationToken cancellationToken) => UnavailableStepLogic.RunAsync(context);

    public Task<StepOutcome> UndoAsync(StepContext context, CancellationToken cancellationToken) => UnavailableStepLogic.UndoAsync();
}

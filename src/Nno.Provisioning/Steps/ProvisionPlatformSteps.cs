using Nno.Provisioning.Jobs;

namespace Nno.Provisioning.Steps;

/// <summary>PROVISION_PLATFORM (provisioning.md §4.2): seven steps, reversible.</summary>
internal sealed class ProvisionPlatformSteps : IJobSteps
{
    public string JobType => JobTypes.ProvisionPlatform;

    public IReadOnlyList<PlannedStep> Plan(JobPlanInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (pid, env) = (input.PlatformId, input.Environment!);
        return
        [
            new("create_auth_d1", ResourceKinds.D1, StepNames.AuthDatabase(pid, env)),
            new("migrate_auth_d1"),
            new("upload_auth_worker", ResourceKinds.Worker, StepNames.AuthWorker(pid, env)),
            new("set_auth_secrets", ResourceKinds.WorkerSecret, StepNames.AuthWorker(pid, env)),
            new("register_auth_hostname", ResourceKinds.CustomHostname, null),
            new("create_shell_pages_project", ResourceKinds.PagesProject, StepNames.PagesProject(pid, env)),
            new("register_console_hostname", ResourceKinds.CustomHostname, null),
        ];
    }

    public Task<StepOutcome> RunAsync(StepContext context, CancellationToken cancellationToken) => UnavailableStepLogic.RunAsync(context);

    public Task<StepOutcome> UndoAsync(StepContext context, CancellationToken cancellationToken) => UnavailableStepLogic.UndoAsync();
}

using System.Collections.Concurrent;
using Nno.Provisioning.Jobs;
using Nno.Provisioning.Steps;

namespace Nno.Provisioning.Tests.Support;

/// <summary>
/// Test-only PROVISION_PLATFORM steps: the real plan, with each step's run and undo scripted per test (default: done).
/// Records every call, so tests see the order of runs and undos.
/// </summary>
internal sealed class ScriptedSteps : IJobSteps
{
    private readonly ProvisionPlatformSteps _plan = new();

    public string JobType => JobTypes.ProvisionPlatform;

    /// <summary>Run behaviour by step name; the int is the 1-based call number of that step.</summary>
    public ConcurrentDictionary<string, Func<StepContext, int, CancellationToken, Task<StepOutcome>>> Run { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, Func<StepContext, int, CancellationToken, Task<StepOutcome>>> Undo { get; } = new(StringComparer.Ordinal);

    public ConcurrentQueue<string> Calls { get; } = new();

    private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);

    public IReadOnlyList<PlannedStep> Plan(JobPlanInput input) => _plan.Plan(input);

    public int CountOf(string call) => Calls.Count(c => c == call);

    public Task<StepOutcome> RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        var key = "run:" + context.Step.Name;
        Calls.Enqueue(key);
        var n = _counts.AddOrUpdate(context.Job.Id + key, 1, (_, c) => c + 1);
        return Run.TryGetValue(context.Step.Name, out var f) ? f(context, n, cancellationToken) : Task.FromResult(StepOutcome.Done);
    }

    public Task<StepOutcome> UndoAsync(StepContext context, CancellationToken cancellationToken)
    {
        var key = "undo:" + context.Step.Name;
        Calls.Enqueue(key);
        var n = _counts.AddOrUpdate(context.Job.Id + key, 1, (_, c) => c + 1);
        return Undo.TryGetValue(context.Step.Name, out var f) ? f(context, n, cancellationToken) : Task.FromResult(StepOutcome.Done);
    }
}

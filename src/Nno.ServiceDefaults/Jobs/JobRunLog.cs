namespace Nno.ServiceDefaults.Jobs;

/// <summary>What one pass of a periodic job's runner did.</summary>
public enum JobRunOutcome
{
    /// <summary>This runner held the lease and the job completed.</summary>
    Completed,

    /// <summary>Another replica holds the lease: nothing ran here.</summary>
    Skipped,

    /// <summary>The lease could not be taken or the job threw (logged as an error).</summary>
    Failed,
}

/// <summary>One pass of a runner: its outcome, when it started, how many items the job handled, and its sequence number.</summary>
public sealed record JobRun(string Job, JobRunOutcome Outcome, DateTimeOffset StartedAt, int Items, long Pass);

/// <summary>
/// The passes of this process's periodic job runners: the last one of each job and a way to wait for the next one
/// (diagnostics, and tests that move a fake clock and wait for the job to have acted). A pass is recorded only once
/// the runner has armed its next wait, so a clock moved after the wait returns is seen by the next pass.
/// </summary>
public sealed class JobRunLog
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, JobRun> _last = new(StringComparer.Ordinal);
    private readonly List<(string Job, long Pass, TaskCompletionSource<JobRun> Waiter)> _waiters = [];

    /// <summary>How many passes <paramref name="job"/>'s runner has finished in this process.</summary>
    public long Passes(string job)
    {
        lock (_lock)
        {
            return _last.TryGetValue(job, out var run) ? run.Pass : 0;
        }
    }

    /// <summary>The last pass of <paramref name="job"/>, or null before the first.</summary>
    public JobRun? Last(string job)
    {
        lock (_lock)
        {
            return _last.GetValueOrDefault(job);
        }
    }

    /// <summary>Completes with the first pass of <paramref name="job"/> numbered above <paramref name="afterPass"/>.</summary>
    public Task<JobRun> WaitForPassAsync(string job, long afterPass, CancellationToken cancellationToken = default)
    {
        TaskCompletionSource<JobRun> waiter;
        lock (_lock)
        {
            if (_last.TryGetValue(job, out var run) && run.Pass > afterPass)
            {
                return Task.FromResult(run);
            }

            waiter = new TaskCompletionSource<JobRun>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((job, afterPass, waiter));
        }

        return waiter.Task.WaitAsync(cancellationToken);
    }

    internal JobRun Record(string job, JobRunOutcome outcome, DateTimeOffset startedAt, int items)
    {
        List<TaskCompletionSource<JobRun>> released = [];
        JobRun run;
        lock (_lock)
        {
            var pass = (_last.TryGetValue(job, out var previous) ? previous.Pass : 0) + 1;
            run = new JobRun(job, outcome, startedAt, items, pass);
            _last[job] = run;
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Job == job && _waiters[i].Pass < pass)
                {
                    released.Add(_waiters[i].Waiter);
                    _waiters.RemoveAt(i);
                }
            }
        }

        foreach (var waiter in released)
        {
            waiter.TrySetResult(run);
        }

        return run;
    }
}

using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nno.Provisioning.Data;
using Nno.ServiceDefaults.Jobs;

namespace Nno.Provisioning.Jobs;

/// <summary>
/// The sweeper (provisioning.md §4.5; every 5 s on one replica through the lease row <c>provisioning.sweeper</c>): sends the
/// messages whose send is unconfirmed for over 5 s (new PENDING jobs, rollbacks, retries, deferrals), and re-enqueues
/// RUNNING / ROLLING_BACK / QUEUED jobs whose lease expired and whose <c>next_run_at</c> is over 120 s past, so a
/// restarted process resumes every job. Bounded: at most 100 jobs per kind per pass.
/// </summary>
internal sealed partial class JobSweeper(ProvisioningDbContext db, JobEnqueuer enqueuer, IOptions<ProvisioningOptions> options, TimeProvider time, ILogger<JobSweeper> logger) : IPeriodicJob
{
    public const string Name = "provisioning.sweeper";
    private const int Batch = 100;

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var pendingBefore = now - (long)(settings.PendingGraceSeconds * 1000);
        var unsent = await db.Jobs.AsNoTracking()
            .Where(j => j.EnqueuePending && j.UpdatedAt <= pendingBefore)
            .OrderBy(j => j.UpdatedAt).Select(j => j.Id).Take(Batch).ToListAsync(cancellationToken);

        var staleBefore = now - (long)(settings.StaleRunSeconds * 1000);
        var waiting = new[] { JobStatuses.Running, JobStatuses.RollingBack, JobStatuses.Queued };
        var stale = await db.Jobs
            .Where(j => waiting.Contains(j.Status) && !j.EnqueuePending && j.NextRunAt <= staleBefore && (j.LeaseExpiresAt == null || j.LeaseExpiresAt <= now))
            .OrderBy(j => j.NextRunAt).Take(Batch).ToListAsync(cancellationToken);
        foreach (var job in stale)
        {
            // Marked first: if the send fails, the next pass finds it among the unsent.
            job.EnqueuePending = true;
            job.NextRunAt = now;
            job.LeaseOwner = null;
            job.LeaseExpiresAt = null;
            job.UpdatedAt = now;
            LogResumed(logger, job.Id, job.Status);
        }

        await db.SaveChangesAsync(cancellationToken);
        var count = 0;
        foreach (var id in unsent.Concat(stale.Select(j => j.Id)).Distinct(StringComparer.Ordinal))
        {
            if (await enqueuer.SendPendingAsync(id, cancellationToken))
            {
                count++;
            }
        }

        return count;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} ({Status}) has no live lease and is overdue: re-enqueued")]
    private static partial void LogResumed(ILogger logger, string jobId, string status);
}

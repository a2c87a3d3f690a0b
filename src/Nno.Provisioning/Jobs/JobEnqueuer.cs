using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Nno.Provisioning.Data;
using Nno.Provisioning.Outbox;

namespace Nno.Provisioning.Jobs;

/// <summary>
/// Sends the queue message a job waits for (its row has <c>enqueue_pending = 1</c>): after creation (PENDING → QUEUED), after
/// a retry request, at the start of a rollback, for a deferral, and from the sweeper. A failed send leaves the flag set,
/// so the sweeper sends it later; a duplicate message is harmless (the consumer acks what it cannot use).
/// </summary>
internal sealed partial class JobEnqueuer(ProvisioningDbContext db, JobQueue queue, JobTransitions transitions, OutboxSignal signal, TimeProvider time, ILogger<JobEnqueuer> logger)
{
    /// <summary>Sends the message of <paramref name="jobId"/> if it still needs one; true when sent (or none was needed).</summary>
    public async Task<bool> SendPendingAsync(string jobId, CancellationToken cancellationToken)
    {
        var job = await db.Jobs.FirstOrDefaultAsync(j => j.Id == jobId, cancellationToken);
        if (job is null || !job.EnqueuePending)
        {
            return true;
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var delay = job.NextRunAt > now ? TimeSpan.FromMilliseconds(job.NextRunAt - now) : TimeSpan.Zero;
        try
        {
            await queue.SendAsync(job.Id, job.RunNumber, job.Phase, delay, cancellationToken);
        }
        catch (Exception ex) when (ex is DbException or IOException or InvalidOperationException)
        {
            LogSendFailed(logger, job.Id, ex);
            return false;
        }

        // Conditional updates: the consumer may already have taken the job (PENDING or QUEUED → RUNNING) in between.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var runNumber = job.RunNumber;
        var phase = job.Phase;
        await db.Jobs.Where(j => j.Id == jobId && j.RunNumber == runNumber && j.Phase == phase)
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.EnqueuePending, false), cancellationToken);
        var queued = await db.Jobs.Where(j => j.Id == jobId && j.Status == JobStatuses.Pending)
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.Status, JobStatuses.Queued).SetProperty(j => j.UpdatedAt, now), cancellationToken);
        if (queued == 1)
        {
            await db.Entry(job).ReloadAsync(cancellationToken);
            job.Status = JobStatuses.Pending;
            transitions.Apply(db, job, JobStatuses.Queued, now);
            await db.SaveChangesAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        signal.Notify();
        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The queue message of job {JobId} could not be sent; the sweeper sends it")]
    private static partial void LogSendFailed(ILogger logger, string jobId, Exception exception);
}

using Microsoft.Extensions.Logging;
using Nno.Provisioning.Data;
using Nno.Provisioning.Outbox;

namespace Nno.Provisioning.Jobs;

/// <summary>
/// Every job state change goes through here (provisioning.md §4.1): it logs <c>provisioning.job.transition</c> and, for the
/// first QUEUED and first RUNNING of a run and for COMPLETED, FAILED, ROLLED_BACK and ROLLBACK_FAILED, adds the
/// <c>provision-events</c> outbox row to the same unit of work. The caller saves (one transaction with the change).
/// </summary>
internal sealed partial class JobTransitions(ILogger<JobTransitions> logger)
{
    public void Apply(ProvisioningDbContext db, ProvisionJobRecord job, string to, long now)
    {
        var from = job.Status;
        job.Status = to;
        job.UpdatedAt = now;
        LogTransition(logger, job.Id, job.PlatformId, from, to, job.RunNumber);
        var report = to switch
        {
            JobStatuses.Queued when job.QueuedReportedRun < job.RunNumber => MarkQueued(job),
            JobStatuses.Running when job.RunningReportedRun < job.RunNumber => MarkRunning(job),
            JobStatuses.Completed or JobStatuses.Failed or JobStatuses.RolledBack or JobStatuses.RollbackFailed => true,
            _ => false,
        };
        if (report)
        {
            var row = RegistryReports.ProvisionEvent(job);
            row.CreatedAt = now;
            row.NextAttemptAt = now;
            db.Outbox.Add(row);
        }

        if (to == JobStatuses.RollbackFailed)
        {
            LogRollbackFailed(logger, job.Id, job.PlatformId, job.RunNumber);
        }
    }

    private static bool MarkQueued(ProvisionJobRecord job)
    {
        job.QueuedReportedRun = job.RunNumber;
        return true;
    }

    private static bool MarkRunning(ProvisionJobRecord job)
    {
        job.RunningReportedRun = job.RunNumber;
        return true;
    }

    [LoggerMessage(EventName = "provisioning.job.transition", Level = LogLevel.Information, Message = "provisioning.job.transition {JobId} {PlatformId} {From} -> {To} (run {RunNumber})")]
    private static partial void LogTransition(ILogger logger, string jobId, string platformId, string from, string to, int runNumber);

    [LoggerMessage(EventName = "provisioning.job.rollback_failed", Level = LogLevel.Error, Message = "provisioning.job.rollback_failed {JobId} {PlatformId} (run {RunNumber}): an undo failed; P12 resumes the rollback")]
    private static partial void LogRollbackFailed(ILogger logger, string jobId, string platformId, int runNumber);
}

using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Errors;
using Nno.Provisioning.Data;
using Nno.Provisioning.Outbox;
using Nno.Provisioning.Steps;

namespace Nno.Provisioning.Jobs;

/// <summary>
/// P12 / P14 (provisioning.md §3, §4.1): ROLLED_BACK → a new run from the job's planned steps (reset; rows a step inserted
/// during the earlier run, such as a stack's per-feature steps, are dropped: the step inserts them again); ROLLBACK_FAILED → the
/// same run's undo resumes (UNDO_FAILED steps are undone again); FAILED of an irreversible job → a new run resuming
/// forward at the first step not COMPLETED. Anything else → 409 <c>INVALID_TRANSITION</c>.
/// </summary>
internal sealed class JobRetries(ProvisioningDbContext db, JobStepsCatalog catalog, JobTransitions transitions, JobEnqueuer enqueuer, OutboxSignal signal, TimeProvider time)
{
    public async Task<ProvisionJobRecord> RetryAsync(ProvisionJobRecord job, Func<Task>? sameTransaction, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var jobId = job.Id;
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            var steps = await db.Steps.Where(s => s.JobId == jobId).ToListAsync(cancellationToken);
            switch (job.Status)
            {
                case JobStatuses.RolledBack:
                    var planned = PlannedNames(job);
                    foreach (var step in steps)
                    {
                        if (planned.Contains(step.Name))
                        {
                            Reset(step);
                        }
                        else
                        {
                            // Inserted by a step of the earlier run (resolve_stack_definition): the new run re-resolves
                            // and inserts what it needs, so a stale or UNDONE row is neither run twice nor skipped.
                            db.Steps.Remove(step);
                        }
                    }

                    NewRun(job, JobPhases.Forward);
                    transitions.Apply(db, job, JobStatuses.Queued, now);
                    break;
                case JobStatuses.Failed when job.Irreversible:
                    foreach (var step in steps.Where(s => s.Status is StepStatuses.Failed or StepStatuses.Running))
                    {
                        step.Status = StepStatuses.Pending;
                    }

                    NewRun(job, JobPhases.Forward);
                    transitions.Apply(db, job, JobStatuses.Queued, now);
                    break;
                case JobStatuses.RollbackFailed:
                    foreach (var step in steps.Where(s => s.Status == StepStatuses.UndoFailed))
                    {
                        step.Status = StepStatuses.Undoing;
                    }

                    job.Attempts = 0;
                    job.Deferrals = 0;
                    job.RetryStreak = 0;
                    transitions.Apply(db, job, JobStatuses.RollingBack, now);
                    break;
                default:
                    throw new ApiException(ErrorCodes.InvalidTransition, $"A {job.Status} job cannot be retried.", new { status = job.Status });
            }

            job.CompletedAt = null;
            job.NextRunAt = now;
            job.EnqueuePending = true;
            job.LeaseOwner = null;
            job.LeaseExpiresAt = null;
            job.UpdatedAt = now;
            if (sameTransaction is not null)
            {
                await sameTransaction();
            }

            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        signal.Notify();
        await enqueuer.SendPendingAsync(jobId, cancellationToken);
        return job;
    }

    /// <summary>The names of the steps planned at the job's creation (the plan depends only on the job's own fields).</summary>
    private HashSet<string> PlannedNames(ProvisionJobRecord job)
    {
        using var payload = JsonDocument.Parse(job.PayloadJson);
        var plan = catalog.For(job.Type).Plan(new JobPlanInput(job.Type, job.PlatformId, job.Environment, payload.RootElement));
        return plan.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
    }

    private static void NewRun(ProvisionJobRecord job, string phase)
    {
        job.RunNumber++;
        job.Phase = phase;
        job.Attempts = 0;
        job.Deferrals = 0;
        job.RetryStreak = 0;
        job.ErrorCode = null;
        job.ErrorMessage = null;
        job.ErrorStep = null;
    }

    private static void Reset(ProvisionStepRecord step)
    {
        step.Status = StepStatuses.Pending;
        step.CfId = null;
        step.CreateAttempts = 0;
        step.CreatedByJob = false;
        step.OutputJson = "{}";
        step.Attempts = 0;
        step.ErrorCode = null;
        step.ErrorMessage = null;
        step.StartedAt = null;
        step.CompletedAt = null;
        step.UndoneAt = null;
    }
}

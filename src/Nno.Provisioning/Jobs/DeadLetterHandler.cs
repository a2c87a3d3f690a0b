using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Nno.Core.Ids;
using Nno.Provisioning.Data;
using Nno.Provisioning.Outbox;
using Nno.ServiceDefaults;
using Nno.Storage;

namespace Nno.Provisioning.Jobs;

/// <summary>The counter <c>nno_provisioning_dead_letters_total</c>.</summary>
internal sealed class ProvisioningMetrics
{
    private readonly Counter<long> _deadLetters;

    public ProvisioningMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(NnoServiceDefaults.TelemetryName);
        _deadLetters = meter.CreateCounter<long>("nno_provisioning_dead_letters_total", description: "Job messages whose retries ran out, by phase.");
    }

    public void DeadLettered(string phase) => _deadLetters.Add(1, new KeyValuePair<string, object?>("phase", phase));
}

/// <summary>The consumer of <c>provision-dlq</c>: each message is handled in its own scope.</summary>
internal sealed class DeadLetterBatchHandler(IServiceScopeFactory scopes) : IQueueBatchHandler
{
    public async Task HandleAsync(IQueueBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        foreach (var message in batch.Messages)
        {
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<DeadLetterHandler>().HandleAsync(message, cancellationToken);
        }
    }
}

/// <summary>
/// A dead-lettered job message (provisioning.md §4.4), in one transaction: the <c>dead_letters</c> row (a duplicate is
/// ignored); forward phase → FAILED <c>RETRIES_EXHAUSTED</c> → ROLLING_BACK (FAILED stays for an irreversible job);
/// rollback phase → ROLLBACK_FAILED; the <c>provision-events</c> report. Then the alert
/// <c>provisioning.job.dead_lettered</c> (error log, counter) and the rollback's message.
/// </summary>
internal sealed partial class DeadLetterHandler(
    ProvisioningDbContext db,
    JobExecutor executor,
    JobTransitions transitions,
    JobEnqueuer enqueuer,
    IIdGenerator ids,
    OutboxSignal signal,
    ProvisioningMetrics metrics,
    TimeProvider time,
    ILogger<DeadLetterHandler> logger)
{
    public async Task HandleAsync(QueueMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        JobMessage? body;
        try
        {
            body = message.BodyAsJson<JobMessage>();
        }
        catch (JsonException)
        {
            body = null;
        }

        if (body is null || string.IsNullOrEmpty(body.JobId) || !JobPhases.All.Contains(body.Phase))
        {
            await message.AckAsync(CancellationToken.None);
            return;
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var lastError = message.DeadLetter?.LastError ?? message.LastError ?? "retries exhausted";
        var attempts = message.DeadLetter?.Attempts ?? message.Attempts;
        var alerted = false;
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            var (jobId, run, phase) = (body.JobId, body.RunNumber, body.Phase);
            var job = await db.Jobs.FirstOrDefaultAsync(j => j.Id == jobId, cancellationToken);
            var duplicate = await db.DeadLetters.AnyAsync(d => d.JobId == jobId && d.RunNumber == run && d.Phase == phase, cancellationToken);
            if (job is null || duplicate)
            {
                await message.AckAsync(CancellationToken.None);
                return;
            }

            // The executor dead-letters on the job's own count (retry_streak, decision 0505), which can exceed the message's deliveries.
            if (job.RunNumber == run && job.Phase == phase)
            {
                attempts = Math.Max(attempts, job.RetryStreak);
            }

            db.DeadLetters.Add(new DeadLetterRecord
            {
                Id = ids.NewPrefixedId("dlq"),
                JobId = jobId,
                RunNumber = run,
                Phase = phase,
                MessageJson = JsonSerializer.Serialize(body, Nno.Core.Json.NnoJson.Options),
                LastError = JobExecutor.Truncate(lastError),
                Attempts = attempts,
                DeadLetteredAt = now,
            });

            // Only the run and phase the message was for: a newer run or a finished job keeps its state.
            if (job.RunNumber == run && job.Phase == phase && JobStatuses.Active.Contains(job.Status))
            {
                if (phase == JobPhases.Forward)
                {
                    await ResetRunningStepsAsync(jobId, cancellationToken);
                    executor.FailJob(job, JobErrorCodes.RetriesExhausted, "Retries exhausted: " + lastError, job.ErrorStep ?? await LastErrorStepAsync(jobId, cancellationToken), now);
                }
                else
                {
                    job.ErrorCode ??= JobErrorCodes.RetriesExhausted;
                    job.ErrorMessage ??= JobExecutor.Truncate("Rollback retries exhausted: " + lastError);
                    job.LeaseOwner = null;
                    job.LeaseExpiresAt = null;
                    job.CompletedAt = now;
                    transitions.Apply(db, job, JobStatuses.RollbackFailed, now);
                }
            }

            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            alerted = true;
            LogDeadLettered(logger, jobId, job.PlatformId, run, phase, attempts, lastError);
        }

        if (alerted)
        {
            metrics.DeadLettered(body.Phase);
            signal.Notify();
            await enqueuer.SendPendingAsync(body.JobId, cancellationToken);
        }

        await message.AckAsync(CancellationToken.None);
    }

    private async Task<string?> LastErrorStepAsync(string jobId, CancellationToken cancellationToken) =>
        await db.Steps.Where(s => s.JobId == jobId && s.ErrorCode != null && s.Status == StepStatuses.Pending).OrderBy(s => s.Seq).Select(s => s.Name).FirstOrDefaultAsync(cancellationToken);

    private Task<int> ResetRunningStepsAsync(string jobId, CancellationToken cancellationToken) =>
        db.Steps.Where(s => s.JobId == jobId && s.Status == StepStatuses.Running)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, StepStatuses.Pending), cancellationToken);

    [LoggerMessage(EventName = "provisioning.job.dead_lettered", Level = LogLevel.Error, Message = "provisioning.job.dead_lettered {JobId} {PlatformId} run {RunNumber} phase {Phase} after {Attempts} attempts: {LastError}")]
    private static partial void LogDeadLettered(ILogger logger, string jobId, string platformId, int runNumber, string phase, int attempts, string lastError);
}

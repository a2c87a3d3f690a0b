using System.Data.Common;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nno.Provisioning.Data;
using Nno.Provisioning.Outbox;
using Nno.Provisioning.Steps;
using Nno.Storage;

namespace Nno.Provisioning.Jobs;

/// <summary>This process's name in <c>lease_owner</c>.</summary>
internal sealed class ExecutorIdentity
{
    public string Owner { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";
}

/// <summary>Turns exceptions of a client (Cloudflare, other services) into classified step failures; null = not mine.</summary>
internal interface IStepErrorClassifier
{
    StepFailureException? Classify(Exception exception);
}

/// <summary>
/// The consumer of <c>provision-queue</c> (provisioning.md §4.4): each message of a batch is handled on its own (ack,
/// retry or a fresh deferred message). A batch's messages run side by side; the global limit bounds the work.
/// </summary>
internal sealed class ProvisionQueueHandler(IServiceScopeFactory scopes) : IQueueBatchHandler
{
    public async Task HandleAsync(IQueueBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        await Task.WhenAll(batch.Messages.Select(async message =>
        {
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<JobExecutor>().HandleAsync(message, cancellationToken);
        }));
    }
}

/// <summary>
/// Runs one delivery of a job (§4.1, §4.4, §4.5): stale messages are acked; ordering and the global limit defer; the lease
/// is taken by a conditional UPDATE and renewed while steps run; forward runs start at the first step not COMPLETED or
/// SKIPPED, rollbacks undo in reverse. Transient failures retry the message with backoff, deferrals send a fresh delayed
/// message, permanent failures fail the job and start its rollback in the same transaction.
/// </summary>
internal sealed partial class JobExecutor(
    ProvisioningDbContext db,
    IServiceProvider services,
    JobStepsCatalog catalog,
    JobTransitions transitions,
    JobEnqueuer enqueuer,
    IEnumerable<IStepErrorClassifier> classifiers,
    ExecutorIdentity identity,
    OutboxSignal signal,
    IOptions<ProvisioningOptions> options,
    IOptions<NnoStorageOptions> storage,
    TimeProvider time,
    ILogger<JobExecutor> logger)
{
    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    private ProvisioningOptions Settings => options.Value;

    /// <summary><c>max_retries</c> of <c>provision-queue</c>: transient failures allowed in a row, without a step finishing.</summary>
    private int MaxRetries => storage.Value.ForQueue(QueueNames.Provision).MaxRetries;

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

        if (body is null || string.IsNullOrEmpty(body.JobId))
        {
            LogMalformed(logger, message.Id);
            await message.AckAsync(CancellationToken.None);
            return;
        }

        var job = await db.Jobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == body.JobId, cancellationToken);
        if (job is null || job.RunNumber != body.RunNumber || job.Phase != body.Phase || !JobStatuses.Active.Contains(job.Status))
        {
            // Stale: another run or phase, or nothing left to do.
            await message.AckAsync(CancellationToken.None);
            return;
        }

        var now = Now;
        if (job.LeaseOwner is not null && job.LeaseExpiresAt > now)
        {
            // A live lease elsewhere: that consumer owns the work (a duplicate delivery).
            await message.AckAsync(CancellationToken.None);
            return;
        }

        if (await HasEarlierJobAsync(job, cancellationToken))
        {
            await DeferBeforeLeaseAsync(message, job.Id, "an earlier job of the same platform lane is not finished", null, cancellationToken);
            return;
        }

        var jobId = job.Id;
        var running = await db.Jobs.CountAsync(j => j.LeaseOwner != null && j.LeaseExpiresAt > now && j.Id != jobId, cancellationToken);
        if (running >= Settings.GlobalConcurrency)
        {
            await DeferBeforeLeaseAsync(message, job.Id, "the global concurrency limit is reached", null, cancellationToken);
            return;
        }

        var owner = identity.Owner;
        var until = now + (long)(Settings.LeaseSeconds * 1000);
        var (run, phase) = (body.RunNumber, body.Phase);
        var active = JobStatuses.Active;
        var taken = await db.Jobs
            .Where(j => j.Id == jobId && j.RunNumber == run && j.Phase == phase && active.Contains(j.Status) && (j.LeaseOwner == null || j.LeaseExpiresAt <= now))
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.LeaseOwner, owner).SetProperty(j => j.LeaseExpiresAt, until), cancellationToken);
        if (taken == 0)
        {
            // A live lease elsewhere (or the job moved on): that consumer owns the work.
            await message.AckAsync(CancellationToken.None);
            return;
        }

        using var renewal = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var renewing = RenewLeaseAsync(jobId, renewal.Token);
        try
        {
            var tracked = await db.Jobs.FirstAsync(j => j.Id == jobId, cancellationToken);
            if (tracked.Phase == JobPhases.Forward)
            {
                await RunForwardAsync(message, tracked, cancellationToken);
            }
            else
            {
                await RunRollbackAsync(message, tracked, cancellationToken);
            }
        }
        finally
        {
            await renewal.CancelAsync();
            await renewing;
        }
    }

    private async Task RunForwardAsync(QueueMessage message, ProvisionJobRecord job, CancellationToken cancellationToken)
    {
        var now = Now;
        if (job.Status == JobStatuses.Pending)
        {
            transitions.Apply(db, job, JobStatuses.Queued, now);
        }

        if (job.Status != JobStatuses.Running)
        {
            transitions.Apply(db, job, JobStatuses.Running, now);
        }

        job.StartedAt ??= now;
        job.EnqueuePending = false;
        await db.SaveChangesAsync(cancellationToken);
        signal.Notify();

        var steps = await db.Steps.Where(s => s.JobId == job.Id).OrderBy(s => s.Seq).ToListAsync(cancellationToken);
        var jobSteps = catalog.For(job.Type);
        var stepCount = steps.Count;
        for (var index = 0; index < steps.Count; index++)
        {
            var step = steps[index];
            if (step.Status is StepStatuses.Completed or StepStatuses.Skipped)
            {
                continue;
            }

            step.Status = StepStatuses.Running;
            step.StartedAt ??= Now;
            await db.SaveChangesAsync(cancellationToken);
            var context = new StepContext(job, step, db, services, time);
            StepFailureException? failure;
            StepOutcome outcome = StepOutcome.Done;
            try
            {
                outcome = await jobSteps.RunAsync(context, cancellationToken);
                failure = null;
            }
            catch (Exception ex) when (Classify(ex, cancellationToken) is { } classified)
            {
                failure = classified;
            }

            if (failure is not null)
            {
                await SettleForwardFailureAsync(message, job, step, failure, cancellationToken);
                return;
            }

            await context.SaveAsync(cancellationToken);
            step.Status = outcome == StepOutcome.Skipped ? StepStatuses.Skipped : StepStatuses.Completed;
            step.Attempts++;
            step.CompletedAt = Now;
            job.RetryStreak = 0;
            step.ErrorCode = null;
            step.ErrorMessage = null;
            // Committed before the next step starts (§4.3).
            await db.SaveChangesAsync(cancellationToken);
            if (steps.Any(s => db.Entry(s).State == EntityState.Detached) || await db.Steps.CountAsync(s => s.JobId == job.Id, cancellationToken) != stepCount)
            {
                // The step inserted later steps (resolve_stack_definition adds a stack's per-feature rows), or replaced rows
                // of an earlier resolve that never acted (same count, deleted rows detached): run the rows as they are now.
                steps = await db.Steps.Where(s => s.JobId == job.Id).OrderBy(s => s.Seq).ToListAsync(cancellationToken);
                stepCount = steps.Count;
            }
        }

        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            now = Now;
            job.Attempts++;
            job.CompletedAt = now;
            job.ErrorCode = null;
            job.ErrorMessage = null;
            job.ErrorStep = null;
            ReleaseLease(job);
            transitions.Apply(db, job, JobStatuses.Completed, now);
            await jobSteps.OnCompletedAsync(new JobCompletionContext(job, db, now), cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        signal.Notify();
        await message.AckAsync(CancellationToken.None);
    }

    private async Task SettleForwardFailureAsync(QueueMessage message, ProvisionJobRecord job, ProvisionStepRecord step, StepFailureException failure, CancellationToken cancellationToken)
    {
        var now = Now;
        var kind = failure.Kind;
        if (kind == StepFailureKind.Deferral && job.Deferrals + 1 > Settings.MaxDeferralsPerRun)
        {
            kind = StepFailureKind.Transient;
        }

        switch (kind)
        {
            case StepFailureKind.Deferral:
                step.Status = StepStatuses.Pending;
                job.Deferrals++;
                transitions.Apply(db, job, JobStatuses.Queued, now);
                await DeferAsync(message, job, failure, cancellationToken);
                return;
            case StepFailureKind.Transient:
                step.Status = StepStatuses.Pending;
                step.Attempts++;
                step.ErrorCode = failure.Code;
                step.ErrorMessage = Truncate(failure.Message);
                job.Attempts++;
                job.RetryStreak++;
                transitions.Apply(db, job, JobStatuses.Queued, now);
                await RetryLeasedAsync(message, job, step, failure, cancellationToken);
                return;
            default:
                step.Status = StepStatuses.Failed;
                step.Attempts++;
                step.ErrorCode = failure.Code;
                step.ErrorMessage = Truncate(failure.Message);
                await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
                {
                    job.Attempts++;
                    FailJob(job, failure.Code, failure.Message, step.Name, now);
                    await db.SaveChangesAsync(cancellationToken);
                    await transaction.CommitAsync(cancellationToken);
                }

                LogPermanent(logger, job.Id, job.PlatformId, step.Name, failure.Code, failure.Message);
                signal.Notify();
                await enqueuer.SendPendingAsync(job.Id, cancellationToken);
                await message.AckAsync(CancellationToken.None);
                return;
        }
    }

    /// <summary>
    /// FAILED, then at once ROLLING_BACK unless the job is irreversible (same unit of work; the caller saves). The
    /// rollback's message is marked pending for the caller (or the sweeper) to send.
    /// </summary>
    internal void FailJob(ProvisionJobRecord job, string code, string message, string? stepName, long now)
    {
        job.ErrorCode = code;
        job.ErrorMessage = Truncate(message);
        job.ErrorStep = stepName;
        ReleaseLease(job);
        transitions.Apply(db, job, JobStatuses.Failed, now);
        if (job.Irreversible)
        {
            job.CompletedAt = now;
            return;
        }

        transitions.Apply(db, job, JobStatuses.RollingBack, now);
        job.Phase = JobPhases.Rollback;
        job.Attempts = 0;
        job.Deferrals = 0;
        job.RetryStreak = 0;
        job.NextRunAt = now;
        job.EnqueuePending = true;
    }

    private async Task RunRollbackAsync(QueueMessage message, ProvisionJobRecord job, CancellationToken cancellationToken)
    {
        job.EnqueuePending = false;
        job.StartedAt ??= Now;
        await db.SaveChangesAsync(cancellationToken);
        var steps = await db.Steps.Where(s => s.JobId == job.Id).OrderByDescending(s => s.Seq).ToListAsync(cancellationToken);
        var jobSteps = catalog.For(job.Type);
        foreach (var step in steps.Where(NeedsUndo))
        {
            if (step.ResourceKind is not null && !step.CreatedByJob && (step.CreateAttempts == 0 || step.CfId is not null)
                && !Steps.Common.UndoMarker.IsSet(step.OutputJson) && !jobSteps.UndoesUncreated(step))
            {
                // Adopted or never created: rollback never deletes what this job did not create.
                step.Status = StepStatuses.Skipped;
                step.UndoneAt = Now;
                await db.SaveChangesAsync(cancellationToken);
                continue;
            }

            step.Status = StepStatuses.Undoing;
            await db.SaveChangesAsync(cancellationToken);
            var context = new StepContext(job, step, db, services, time);
            StepFailureException? failure;
            var outcome = StepOutcome.Done;
            try
            {
                outcome = await jobSteps.UndoAsync(context, cancellationToken);
                failure = null;
            }
            catch (Exception ex) when (Classify(ex, cancellationToken) is { } classified)
            {
                failure = classified;
            }

            if (failure is null)
            {
                await context.SaveAsync(cancellationToken);
                step.Status = outcome == StepOutcome.Skipped ? StepStatuses.Skipped : StepStatuses.Undone;
                step.UndoneAt = Now;
                job.RetryStreak = 0;
                step.ErrorCode = null;
                step.ErrorMessage = null;
                await db.SaveChangesAsync(cancellationToken);
                continue;
            }

            var kind = failure.Kind == StepFailureKind.Deferral && job.Deferrals + 1 > Settings.MaxDeferralsPerRun ? StepFailureKind.Transient : failure.Kind;
            if (kind == StepFailureKind.Permanent)
            {
                // The rest still run; the job ends ROLLBACK_FAILED.
                step.Status = StepStatuses.UndoFailed;
                step.ErrorCode = failure.Code;
                step.ErrorMessage = Truncate(failure.Message);
                await db.SaveChangesAsync(cancellationToken);
                LogUndoFailed(logger, job.Id, job.PlatformId, step.Name, failure.Code, failure.Message);
                continue;
            }

            if (kind == StepFailureKind.Deferral)
            {
                job.Deferrals++;
                await DeferAsync(message, job, failure, cancellationToken);
            }
            else
            {
                step.ErrorCode = failure.Code;
                step.ErrorMessage = Truncate(failure.Message);
                job.Attempts++;
                job.RetryStreak++;
                await RetryLeasedAsync(message, job, step, failure, cancellationToken);
            }

            return;
        }

        var anyFailed = steps.Any(s => s.Status == StepStatuses.UndoFailed);
        var now = Now;
        job.Attempts++;
        job.CompletedAt = now;
        ReleaseLease(job);
        transitions.Apply(db, job, anyFailed ? JobStatuses.RollbackFailed : JobStatuses.RolledBack, now);
        await db.SaveChangesAsync(cancellationToken);
        signal.Notify();
        await message.AckAsync(CancellationToken.None);
    }

    /// <summary>Steps a rollback still has to undo (UNDO_FAILED ones wait for P12).</summary>
    private static bool NeedsUndo(ProvisionStepRecord step) =>
        step.Status is StepStatuses.Completed or StepStatuses.Failed or StepStatuses.Undoing or StepStatuses.Running
        || (step.Status == StepStatuses.Pending && step.CreateAttempts > 0);

    /// <summary>
    /// A transient failure, already counted in <c>job.retry_streak</c> (failures since a step last finished). The count
    /// lives on the job, not on the message, because a deferral sends a fresh message whose delivery count starts again:
    /// past <c>max_retries</c> the message is dead-lettered however many messages it took (decision 0505).
    /// </summary>
    private async Task RetryLeasedAsync(QueueMessage message, ProvisionJobRecord job, ProvisionStepRecord step, StepFailureException failure, CancellationToken cancellationToken)
    {
        var delay = Backoff(job.RetryStreak, failure.RetryAfter);
        job.NextRunAt = Now + (long)delay.TotalMilliseconds;
        ReleaseLease(job);
        await RetryOrDeadLetterAsync(message, job, step.Name, failure.Code, failure.Message, delay, cancellationToken);
    }

    /// <summary>
    /// Settles a transient failure on the job's count: dead-letter past <c>max_retries</c>; otherwise retry the message,
    /// or, when the queue would dead-letter it on its own delivery count (steps finished between the failures), send a
    /// fresh delayed message instead. Saves the job.
    /// </summary>
    private async Task RetryOrDeadLetterAsync(QueueMessage message, ProvisionJobRecord job, string step, string code, string error, TimeSpan delay, CancellationToken cancellationToken)
    {
        var reason = $"{code}: {Truncate(error)}";
        if (job.RetryStreak > MaxRetries)
        {
            await db.SaveChangesAsync(cancellationToken);
            signal.Notify();
            LogRetriesExhausted(logger, job.Id, job.PlatformId, step, code, job.RetryStreak, error);
            await message.DeadLetterAsync(reason, CancellationToken.None);
            return;
        }

        LogTransient(logger, job.Id, job.PlatformId, step, code, job.RetryStreak, delay, error);
        if (message.Attempts > MaxRetries)
        {
            job.EnqueuePending = true;
            await db.SaveChangesAsync(cancellationToken);
            signal.Notify();
            await enqueuer.SendPendingAsync(job.Id, cancellationToken);
            await message.AckAsync(CancellationToken.None);
            return;
        }

        await db.SaveChangesAsync(cancellationToken);
        signal.Notify();
        await message.RetryAsync(delay, reason, CancellationToken.None);
    }

    private async Task DeferAsync(QueueMessage message, ProvisionJobRecord job, StepFailureException failure, CancellationToken cancellationToken, bool holdsLease = true)
    {
        var delay = DeferralDelay(failure.RetryAfter);
        job.NextRunAt = Now + (long)delay.TotalMilliseconds;
        job.EnqueuePending = true;
        if (holdsLease)
        {
            ReleaseLease(job);
        }

        await db.SaveChangesAsync(cancellationToken);
        signal.Notify();
        LogDeferred(logger, job.Id, failure.Message, delay);
        await enqueuer.SendPendingAsync(job.Id, cancellationToken);
        await message.AckAsync(CancellationToken.None);
    }

    /// <summary>A deferral before the lease: the job row only records the count and the next due time.</summary>
    private async Task DeferBeforeLeaseAsync(QueueMessage message, string jobId, string reason, TimeSpan? retryAfter, CancellationToken cancellationToken)
    {
        var job = await db.Jobs.FirstAsync(j => j.Id == jobId, cancellationToken);
        if (job.Deferrals + 1 > Settings.MaxDeferralsPerRun)
        {
            // Over 100 deferrals in one run counts as a transient failure, spending one of the run's retries.
            job.Attempts++;
            job.RetryStreak++;
            var delay = Backoff(job.RetryStreak, retryAfter);
            job.NextRunAt = Now + (long)delay.TotalMilliseconds;
            await RetryOrDeadLetterAsync(message, job, "(waiting)", JobErrorCodes.CfApiError, "deferred too often: " + reason, delay, cancellationToken);
            return;
        }

        job.Deferrals++;
        await DeferAsync(message, job, StepFailureException.Deferral(JobErrorCodes.CfApiError, reason, retryAfter), cancellationToken, holdsLease: false);
    }

    private async Task<bool> HasEarlierJobAsync(ProvisionJobRecord job, CancellationToken cancellationToken)
    {
        var (pid, created, id, queueKey) = (job.PlatformId, job.CreatedAt, job.Id, job.QueueKey);
        var all = pid + ":*";
        var coversAll = queueKey == all;
        var active = JobStatuses.Active;
        return await db.Jobs.AnyAsync(
            j => j.PlatformId == pid && active.Contains(j.Status) && j.Id != id
                && (j.CreatedAt < created || (j.CreatedAt == created && string.Compare(j.Id, id) < 0))
                && (coversAll || j.QueueKey == queueKey || j.QueueKey == all),
            cancellationToken);
    }

    private async Task RenewLeaseAsync(string jobId, CancellationToken cancellationToken)
    {
        var owner = identity.Owner;
        try
        {
            while (true)
            {
                await Task.Delay(TimeSpan.FromSeconds(Settings.LeaseRenewSeconds), time, cancellationToken);
                await using var scope = services.CreateAsyncScope();
                var renewDb = scope.ServiceProvider.GetRequiredService<ProvisioningDbContext>();
                var until = Now + (long)(Settings.LeaseSeconds * 1000);
                await renewDb.Jobs.Where(j => j.Id == jobId && j.LeaseOwner == owner)
                    .ExecuteUpdateAsync(s => s.SetProperty(j => j.LeaseExpiresAt, until), cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // The run ended.
        }
        catch (DbException ex)
        {
            // A missed renewal only risks the sweeper re-enqueueing the job, which is harmless.
            LogRenewFailed(logger, jobId, ex);
        }
    }

    /// <summary><c>min(Max, Base·2^(attempt−1)) × U(0.5, 1)</c>, never below <paramref name="retryAfter"/>.</summary>
    internal TimeSpan Backoff(int attempt, TimeSpan? retryAfter)
    {
        var exponent = Math.Clamp(attempt - 1, 0, 30);
        var seconds = Math.Min(Settings.Retry.MaxSeconds, Settings.Retry.BaseSeconds * Math.Pow(2, exponent));
        // RandomNumberGenerator rather than Random only to satisfy the analyzer; the spread needs no secrecy.
        var factor = 0.5 + (RandomNumberGenerator.GetInt32(0, 1_000_001) / 2_000_000.0);
        var delay = TimeSpan.FromSeconds(seconds * factor);
        return retryAfter is { } after && after > delay ? after : delay;
    }

    private TimeSpan DeferralDelay(TimeSpan? retryAfter)
    {
        var delay = TimeSpan.FromSeconds(Settings.DeferralSeconds);
        return retryAfter is { } after && after > delay ? after : delay;
    }

    private StepFailureException? Classify(Exception exception, CancellationToken cancellationToken)
    {
        if (exception is StepFailureException failure)
        {
            return failure;
        }

        if (exception is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            // Stopping: the message is retried by the consumer service; nothing is recorded.
            return null;
        }

        foreach (var classifier in classifiers)
        {
            if (classifier.Classify(exception) is { } classified)
            {
                return classified;
            }
        }

        return exception switch
        {
            HttpRequestException or TimeoutException or OperationCanceledException or IOException =>
                StepFailureException.Transient(JobErrorCodes.CfApiError, "network: " + exception.Message, null, exception),
            DbException or DbUpdateException => null,
            _ => Unexpected(exception),
        };
    }

    private StepFailureException Unexpected(Exception exception)
    {
        // A failure no step anticipated must not lose the job: logged as an error and retried; the DLQ ends it.
        LogUnexpected(logger, exception);
        return StepFailureException.Transient(JobErrorCodes.CfApiError, "unexpected: " + exception.GetType().Name + ": " + exception.Message, null, exception);
    }

    private static void ReleaseLease(ProvisionJobRecord job)
    {
        job.LeaseOwner = null;
        job.LeaseExpiresAt = null;
    }

    internal static string Truncate(string value) => value.Length > 1000 ? value[..1000] : value;

    [LoggerMessage(Level = LogLevel.Warning, Message = "provision-queue message {MessageId} is not a job message; acked")]
    private static partial void LogMalformed(ILogger logger, string messageId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} ({PlatformId}) step {Step} failed transiently ({Code}, retry {Attempt} since the last step finished); retry in {Delay}: {Error}")]
    private static partial void LogTransient(ILogger logger, string jobId, string platformId, string step, string code, int attempt, TimeSpan delay, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} ({PlatformId}) step {Step} failed transiently ({Code}), {Attempt} times since the last step finished: retries exhausted, dead-lettering: {Error}")]
    private static partial void LogRetriesExhausted(ILogger logger, string jobId, string platformId, string step, string code, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} ({PlatformId}) step {Step} failed permanently ({Code}): {Error}")]
    private static partial void LogPermanent(ILogger logger, string jobId, string platformId, string step, string code, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} ({PlatformId}) undo of {Step} failed permanently ({Code}): {Error}")]
    private static partial void LogUndoFailed(ILogger logger, string jobId, string platformId, string step, string code, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Job {JobId} deferred ({Reason}) for {Delay}")]
    private static partial void LogDeferred(ILogger logger, string jobId, string reason, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Renewing the lease of job {JobId} failed")]
    private static partial void LogRenewFailed(ILogger logger, string jobId, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "A step threw an unexpected exception; the job is retried")]
    private static partial void LogUnexpected(ILogger logger, Exception exception);
}

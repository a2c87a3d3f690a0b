using System.Data.Common;
using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Nno.ServiceDefaults.Jobs;

/// <summary>Identifies this process's runners in <c>job_leases.holder</c> (one per application, so two apps of one process are two holders).</summary>
internal sealed class JobRunnerIdentity
{
    public string Holder { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";
}

/// <summary>Counters of the job runners (meter <c>Nno</c>).</summary>
internal sealed class JobMetrics
{
    private readonly Counter<long> _runs;

    public JobMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(NnoServiceDefaults.TelemetryName);
        _runs = meter.CreateCounter<long>("nno.jobs.runs", description: "Passes of periodic jobs by outcome (completed, skipped, failed).");
    }

    public void Record(string job, JobRunOutcome outcome) =>
        _runs.Add(1, new KeyValuePair<string, object?>("job", job), new KeyValuePair<string, object?>("outcome", outcome.ToString().ToLowerInvariant()));
}

/// <summary>
/// Runs <typeparamref name="TJob"/> every <c>period</c> of <see cref="TimeProvider"/> time on whichever replica takes its
/// lease first. The lease row is also the schedule: it ends one period after the last run started, and every replica
/// sleeps until then, so a restarted replica neither runs early nor forgets a run that fell due while it was down.
/// </summary>
internal sealed partial class PeriodicJobRunner<TContext, TJob>(
    string name,
    TimeSpan period,
    JobLeases<TContext> leases,
    JobRunnerIdentity identity,
    JobRunLog log,
    JobMetrics metrics,
    IServiceScopeFactory scopes,
    TimeProvider time,
    ILogger<PeriodicJobRunner<TContext, TJob>> logger) : BackgroundService
    where TContext : DbContext
    where TJob : class, IPeriodicJob
{
    /// <summary>After a database error on the lease, try again this soon (or after a period, if shorter).</summary>
    private static readonly TimeSpan LeaseRetry = TimeSpan.FromMinutes(1);

    private readonly CancellationTokenSource _stopping = new();
    private long _dueAt;
    private Task _wait = Task.CompletedTask;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // The schedule is read and the first wait armed here, not in ExecuteAsync (which .NET runs on the thread pool
        // after StartAsync returns): a clock moved right after start is then seen by the wait.
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        try
        {
            _dueAt = await leases.ScheduleAsync(name, now + (long)period.TotalMilliseconds, cancellationToken);
        }
        catch (DbException ex)
        {
            LogLeaseFailed(logger, name, ex);
            _dueAt = now + (long)Math.Min(period.TotalMilliseconds, LeaseRetry.TotalMilliseconds);
        }

        _wait = WaitUntil(_dueAt);
        await base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                await _wait;
                var startedAt = time.GetUtcNow();
                var (outcome, items) = await PassAsync(startedAt, stoppingToken);
                _wait = WaitUntil(_dueAt);
                metrics.Record(name, outcome);
                log.Record(name, outcome, startedAt, items);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested || _stopping.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task<(JobRunOutcome Outcome, int Items)> PassAsync(DateTimeOffset startedAt, CancellationToken stoppingToken)
    {
        var now = startedAt.ToUnixTimeMilliseconds();
        JobLeaseResult lease;
        try
        {
            lease = await leases.TryAcquireAsync(name, identity.Holder, now, now + (long)period.TotalMilliseconds, stoppingToken);
        }
        catch (DbException ex)
        {
            LogLeaseFailed(logger, name, ex);
            _dueAt = now + (long)Math.Min(period.TotalMilliseconds, LeaseRetry.TotalMilliseconds);
            return (JobRunOutcome.Failed, 0);
        }

        _dueAt = lease.DueAt;
        if (!lease.Acquired)
        {
            return (JobRunOutcome.Skipped, 0);
        }

        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var items = await scope.ServiceProvider.GetRequiredService<TJob>().RunAsync(stoppingToken);
            if (items > 0)
            {
                LogCompleted(logger, name, items);
            }

            return (JobRunOutcome.Completed, items);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            // Logged as an error and counted, not swallowed: one failed run must neither stop the host nor the later
            // runs. The lease stays until the next period, so a failing job does not spin on every replica.
            LogJobFailed(logger, name, ex);
            return (JobRunOutcome.Failed, 0);
        }
    }

    private Task WaitUntil(long dueAt)
    {
        var remaining = dueAt - time.GetUtcNow().ToUnixTimeMilliseconds();
        return remaining <= 0 ? Task.CompletedTask : Task.Delay(TimeSpan.FromMilliseconds(remaining), time, _stopping.Token);
    }

    public override void Dispose()
    {
        _stopping.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Job {Job} handled {Items} item(s)")]
    private static partial void LogCompleted(ILogger logger, string job, int items);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {Job} failed")]
    private static partial void LogJobFailed(ILogger logger, string job, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The lease of job {Job} could not be read or taken")]
    private static partial void LogLeaseFailed(ILogger logger, string job, Exception exception);
}

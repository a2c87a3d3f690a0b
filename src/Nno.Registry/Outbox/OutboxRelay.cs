using System.Data.Common;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nno.Core.Errors;
using Nno.Registry.Data;

namespace Nno.Registry.Outbox;

/// <summary>
/// The outbox relay (registry.md §4.2): woken by <see cref="IOutboxSignal"/> after each commit that wrote outbox rows and
/// every <see cref="OutboxOptions.PollInterval"/>, it claims up to <see cref="OutboxOptions.BatchSize"/> due rows of the
/// kinds that have a sender with one conditional UPDATE (<c>locked_by</c> = this instance, <c>locked_until</c> = now +
/// <see cref="OutboxOptions.LeaseDuration"/>), so replicas never share a row, and sends each through its kind's sender.
/// Rows of one platform go in creation order; platforms are served in parallel. Outcomes: done → completed (with the
/// sender's outcome in the same transaction); transient → exponential backoff with jitter (or <c>Retry-After</c>),
/// forever; permanent → the object is marked failed and the row completes with <c>last_error</c>.
/// </summary>
internal sealed partial class OutboxRelay(
    IServiceScopeFactory scopes,
    OutboxSignal signal,
    OutboxPendingCounts pendingCounts,
    OutboxMetrics metrics,
    TimeProvider time,
    IOptions<OutboxOptions> options,
    ILogger<OutboxRelay> logger) : BackgroundService
{
    private const int MaxErrorLength = 1000;

    private readonly HashSet<string> _loggedUnsentKinds = new(StringComparer.Ordinal);
    private Task? _firstTick;
    private string[] _kinds = [];
    private long _nextUnsentCheckAt;
    private long _passStartedAt = -1;

    /// <summary>This replica's name in <c>locked_by</c>.</summary>
    public string Instance { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";

    /// <summary>True while the loop runs and no pass has hung beyond twice the lease (the readiness check <c>outboxRelay</c>).</summary>
    public bool IsAlive
    {
        get
        {
            if (ExecuteTask is not { IsCompleted: false })
            {
                return false;
            }

            var started = Interlocked.Read(ref _passStartedAt);
            return started < 0 || time.GetUtcNow().ToUnixTimeMilliseconds() - started < 2 * (long)options.Value.LeaseDuration.TotalMilliseconds;
        }
    }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // The kinds with a sender are fixed for the process (registration happens at build time).
        using (var scope = scopes.CreateScope())
        {
            _kinds = [.. scope.ServiceProvider.GetServices<IOutboxSender>().Select(s => s.Kind).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        }

        // Armed here rather than in ExecuteAsync (run on the thread pool later), so a fake clock moved right after start
        // is seen; one-shot delays, not a PeriodicTimer, so a clock moved by days fires once, not once per period.
        _firstTick = Task.Delay(options.Value.PollInterval, time, CancellationToken.None);
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Task? tick = _firstTick ?? throw new InvalidOperationException("StartAsync creates the first delay.");
        Task? wake = null;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    // Keep going while full batches come back: more rows may be due.
                    while (await PassAsync(stoppingToken) >= options.Value.BatchSize)
                    {
                    }

                    await LogUnsentKindsAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is DbException or DbUpdateException)
                {
                    // A busy or unavailable database: the next tick tries again.
                    LogPassFailed(logger, ex);
                }

                tick ??= Task.Delay(options.Value.PollInterval, time, stoppingToken);
                wake ??= signal.WaitAsync(stoppingToken);
                var fired = await Task.WhenAny(tick, wake);
                if (fired == tick)
                {
                    await tick;
                    tick = null;
                }
                else
                {
                    await wake;
                    wake = null;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>One pass: claims due rows and sends them; returns how many rows were claimed.</summary>
    internal async Task<int> PassAsync(CancellationToken cancellationToken)
    {
        if (_kinds.Length == 0)
        {
            return 0;
        }

        Interlocked.Exchange(ref _passStartedAt, Now());
        try
        {
            var settings = options.Value;
            List<OutboxRecord> rows;
            long lockedUntil;
            await using (var scope = scopes.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<RegistryDbContext>();
                var now = Now();
                lockedUntil = now + (long)settings.LeaseDuration.TotalMilliseconds;
                var kinds = _kinds;
                var instance = Instance;

                // One conditional UPDATE claims the batch: a row another replica claimed (or completed) in between no
                // longer matches, so no row is ever held by two relays.
                var claimed = await db.Outbox
                    .Where(o => o.CompletedAt == null && o.NextAttemptAt <= now && (o.LockedUntil == null || o.LockedUntil <= now) && kinds.Contains(o.Kind))
                    .OrderBy(o => o.NextAttemptAt).ThenBy(o => o.Id)
                    .Take(settings.BatchSize)
                    .ExecuteUpdateAsync(s => s.SetProperty(o => o.LockedBy, instance).SetProperty(o => o.LockedUntil, lockedUntil), cancellationToken);
                if (claimed == 0)
                {
                    return 0;
                }

                rows = await db.Outbox.AsNoTracking()
                    .Where(o => o.LockedBy == instance && o.LockedUntil == lockedUntil && o.CompletedAt == null)
                    .OrderBy(o => o.CreatedAt).ThenBy(o => o.Id)
                    .ToListAsync(cancellationToken);
            }

            var platforms = rows.GroupBy(r => r.PlatformId, StringComparer.Ordinal).Select(g => g.ToList()).ToList();
            await Parallel.ForEachAsync(
                platforms,
                new ParallelOptions { MaxDegreeOfParallelism = settings.Parallelism, CancellationToken = cancellationToken },
                async (platformRows, token) =>
                {
                    foreach (var row in platformRows)
                    {
                        await ProcessAsync(row, lockedUntil, token);
                    }
                });
            return rows.Count;
        }
        finally
        {
            Interlocked.Exchange(ref _passStartedAt, -1);
        }
    }

    private async Task ProcessAsync(OutboxRecord row, long lockedUntil, CancellationToken stoppingToken)
    {
        var settings = options.Value;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RegistryDbContext>();
        if (Now() >= lockedUntil)
        {
            // The claim ran out before this row's turn: another replica may hold it now; it is theirs or the next pass's.
            return;
        }

        var sender = scope.ServiceProvider.GetServices<IOutboxSender>().First(s => s.Kind == row.Kind);
        OutboxSendResult result;
        // A network timeout is wall-clock time on purpose: a fake clock advanced by a test (or a paused one) must not
        // cut off a call that is still running, which turned slow sends under load into "timeout" failures.
        using (var timeout = new CancellationTokenSource(settings.SendTimeout))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stoppingToken))
        {
            try
            {
                result = await sender.SendAsync(row, linked.Token);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // Stopping mid-send: hand the row back at once rather than leaving it to the lease.
                await Mine(db, row.Id, lockedUntil).ExecuteUpdateAsync(s => s.SetProperty(o => o.LockedUntil, (long?)null), CancellationToken.None);
                throw;
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                result = OutboxSendResult.Retry($"timeout after {settings.SendTimeout.TotalSeconds:0.###} s");
            }
            catch (HttpRequestException ex)
            {
                result = OutboxSendResult.Retry("network: " + ex.Message);
            }
            catch (ApiException ex) when (ex.Code == ErrorCodes.ServiceUnavailable)
            {
                // No service token yet (IAM unreachable or key material not loaded).
                result = OutboxSendResult.Retry("service token unavailable: " + ex.Message);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A failure no sender anticipated must not stop the relay or lose the row: logged as an error, kept on
                // the row and retried with backoff like any transient failure.
                LogSenderCrashed(logger, row.Id, row.Kind, ex);
                result = OutboxSendResult.Retry("unexpected: " + ex.GetType().Name + ": " + ex.Message);
            }
        }

        await SettleAsync(db, row, lockedUntil, result);
    }

    private async Task SettleAsync(RegistryDbContext db, OutboxRecord row, long lockedUntil, OutboxSendResult result)
    {
        // Settling is not cancelled by stopping: the effect happened and its record must not be lost.
        var cancellationToken = CancellationToken.None;
        var now = Now();
        var attempts = row.Attempts + 1;
        var error = result.Error is { Length: > MaxErrorLength } tooLong ? tooLong[..MaxErrorLength] : result.Error;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        int settled;
        switch (result.Outcome)
        {
            case OutboxSendOutcome.Done or OutboxSendOutcome.Failed:
                if (result.Apply is { } apply)
                {
                    await apply(db, cancellationToken);
                    await db.SaveChangesAsync(cancellationToken);
                }

                settled = await Mine(db, row.Id, lockedUntil).ExecuteUpdateAsync(
                    s => s.SetProperty(o => o.Attempts, attempts)
                        .SetProperty(o => o.CompletedAt, now)
                        .SetProperty(o => o.LockedUntil, (long?)null)
                        .SetProperty(o => o.LastError, error),
                    cancellationToken);
                break;
            default:
                var delay = Delay(options.Value, row.Attempts, result.RetryAfter);
                settled = await Mine(db, row.Id, lockedUntil).ExecuteUpdateAsync(
                    s => s.SetProperty(o => o.Attempts, attempts)
                        .SetProperty(o => o.NextAttemptAt, now + (long)delay.TotalMilliseconds)
                        .SetProperty(o => o.LockedUntil, (long?)null)
                        .SetProperty(o => o.LastError, error),
                    cancellationToken);
                if (settled == 1)
                {
                    LogRetry(logger, row.Id, row.Kind, attempts, delay, error);
                }

                break;
        }

        if (settled == 0)
        {
            // The lease ran out and another replica took the row: it sends again with the same Idempotency-Key.
            await transaction.RollbackAsync(cancellationToken);
            LogLeaseLost(logger, row.Id, row.Kind);
            return;
        }

        await transaction.CommitAsync(cancellationToken);
        metrics.Attempted(row.Kind, result.Outcome);
        if (result.Outcome == OutboxSendOutcome.Failed)
        {
            LogFailed(logger, row.Id, row.Kind, attempts, error);
        }
        else if (result.Outcome == OutboxSendOutcome.Done)
        {
            LogDone(logger, row.Id, row.Kind, attempts);
        }
    }

    /// <summary>The row while this relay's claim still holds it.</summary>
    private IQueryable<OutboxRecord> Mine(RegistryDbContext db, string id, long lockedUntil)
    {
        var instance = Instance;
        return db.Outbox.Where(o => o.Id == id && o.LockedBy == instance && o.LockedUntil == lockedUntil && o.CompletedAt == null);
    }

    /// <summary>
    /// The wait before the next attempt: <c>Retry-After</c> when the target sent one (at most
    /// <see cref="OutboxOptions.RetryAfterCap"/>), else <see cref="OutboxOptions.RetryBase"/> × 2^<paramref name="previousAttempts"/>
    /// capped at <see cref="OutboxOptions.RetryCap"/>, with ±<see cref="OutboxOptions.RetryJitter"/> jitter.
    /// </summary>
    internal static TimeSpan Delay(OutboxOptions settings, int previousAttempts, TimeSpan? retryAfter)
    {
        if (retryAfter is { } after)
        {
            return after < TimeSpan.Zero ? TimeSpan.Zero : after > settings.RetryAfterCap ? settings.RetryAfterCap : after;
        }

        var ticks = Math.Min(settings.RetryBase.Ticks * Math.Pow(2, Math.Min(previousAttempts, 40)), settings.RetryCap.Ticks);
        // RandomNumberGenerator rather than Random only to satisfy the analyzer; the spread needs no secrecy.
        var jitter = 1 + (settings.RetryJitter * ((RandomNumberGenerator.GetInt32(0, 1_000_001) / 500_000.0) - 1));
        return TimeSpan.FromTicks((long)(ticks * jitter));
    }

    private async Task LogUnsentKindsAsync(CancellationToken cancellationToken)
    {
        var now = Now();
        if (now < _nextUnsentCheckAt)
        {
            return;
        }

        _nextUnsentCheckAt = now + (long)options.Value.UnsentKindCheckInterval.TotalMilliseconds;
        foreach (var (kind, count) in await pendingCounts.CountAsync(cancellationToken))
        {
            // Once per kind and process: the metric carries the numbers, the log says why they do not move.
            if (count > 0 && !_kinds.Contains(kind, StringComparer.Ordinal) && _loggedUnsentKinds.Add(kind))
            {
                LogNoSender(logger, kind, count);
            }
        }
    }

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();

    [LoggerMessage(Level = LogLevel.Debug, Message = "Outbox row {Id} ({Kind}) done on attempt {Attempts}")]
    private static partial void LogDone(ILogger logger, string id, string kind, int attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox row {Id} ({Kind}) attempt {Attempts} failed, retrying in {Delay}: {Error}")]
    private static partial void LogRetry(ILogger logger, string id, string kind, int attempts, TimeSpan delay, string? error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Outbox row {Id} ({Kind}) failed permanently on attempt {Attempts}: {Error}")]
    private static partial void LogFailed(ILogger logger, string id, string kind, int attempts, string? error);

    [LoggerMessage(Level = LogLevel.Error, Message = "The sender of outbox row {Id} ({Kind}) threw; the row is retried")]
    private static partial void LogSenderCrashed(ILogger logger, string id, string kind, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox row {Id} ({Kind}) was taken by another relay after this one's claim ran out")]
    private static partial void LogLeaseLost(ILogger logger, string id, string kind);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} outbox row(s) of kind {Kind} wait for a sender that this version does not have; they stay pending")]
    private static partial void LogNoSender(ILogger logger, string kind, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "An outbox relay pass failed; the next tick tries again")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}

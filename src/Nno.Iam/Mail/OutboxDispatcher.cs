using System.Data.Common;
using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nno.Iam.Data;
using Nno.ServiceDefaults;

namespace Nno.Iam.Mail;

/// <summary>Counters of email delivery (meter <c>Nno</c>).</summary>
internal sealed class EmailMetrics
{
    private readonly Counter<long> _sent;
    private readonly Counter<long> _retried;
    private readonly Counter<long> _failed;

    public EmailMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(NnoServiceDefaults.TelemetryName);
        _sent = meter.CreateCounter<long>("nno.iam.email.sent", description: "Emails the provider accepted.");
        _retried = meter.CreateCounter<long>("nno.iam.email.retried", description: "Delivery attempts that failed and will be retried.");
        _failed = meter.CreateCounter<long>("nno.iam.email.failed", description: "Emails given up on (permanent failure or attempts exhausted).");
    }

    public void Sent(string template) => _sent.Add(1, new KeyValuePair<string, object?>("template", template));

    public void Retried(string template) => _retried.Add(1, new KeyValuePair<string, object?>("template", template));

    public void Failed(string template) => _failed.Add(1, new KeyValuePair<string, object?>("template", template));
}

/// <summary>
/// Delivers <c>email_outbox</c> rows (iam.md §4.10): woken by <see cref="OutboxSignal"/> after email is committed and
/// every <see cref="EmailOptions.PollInterval"/>, it takes up to <see cref="EmailOptions.BatchSize"/> due rows, claiming
/// each with a conditional update just before sending it (so two replicas never send one row, and a claim never outlives
/// the send it guards), and records the outcome: sent (content cleared), a retry with exponential backoff, or failed.
/// It also purges sent rows after <see cref="EmailOptions.SentRetention"/>.
/// </summary>
internal sealed partial class OutboxDispatcher(
    IServiceScopeFactory scopes,
    OutboxSignal signal,
    TimeProvider time,
    IOptions<EmailOptions> options,
    EmailMetrics metrics,
    ILogger<OutboxDispatcher> logger) : BackgroundService
{
    private const int PurgeBatch = 1000;
    private const int MaxErrorLength = 500;

    private Task? _firstTick;
    private long _nextPurgeAt;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Created here, not in ExecuteAsync (run on the thread pool after StartAsync returns): the polling period starts
        // when IAM has started, so a clock moved right after start is seen by the delay. One-shot delays, not a
        // PeriodicTimer: a fake clock moved by 30 days would otherwise fire the 5 s timer half a million times.
        _firstTick = Task.Delay(options.Value.PollInterval, time, CancellationToken.None);
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Task? tick = _firstTick ?? throw new InvalidOperationException("StartAsync creates the first delay.");
        Task<bool>? wake = null;
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
                }
                catch (Exception ex) when (ex is DbException or DbUpdateException)
                {
                    // A busy or unavailable database: the next tick tries again.
                    LogPassFailed(logger, ex);
                }

                // Only one wait of each kind is ever outstanding: the one that did not fire is kept for the next round.
                tick ??= Task.Delay(options.Value.PollInterval, time, stoppingToken);
                wake ??= signal.WaitAsync(Timeout.InfiniteTimeSpan, stoppingToken);
                var fired = await Task.WhenAny(tick, wake);
                if (fired == tick)
                {
                    await tick;
                    tick = null;
                }
                else
                {
                    if (!await wake)
                    {
                        return;
                    }

                    wake = null;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>One pass: purge when due, then deliver up to a batch of due rows; returns how many rows were claimed.</summary>
    internal async Task<int> PassAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IamDbContext>();
        var now = Now();
        if (now >= _nextPurgeAt)
        {
            await PurgeSentAsync(db, now - (long)settings.SentRetention.TotalMilliseconds, cancellationToken);
            _nextPurgeAt = now + (long)settings.PurgeInterval.TotalMilliseconds;
        }

        var due = await db.EmailOutbox.AsNoTracking()
            .Where(e => (e.Status == OutboxStatuses.Pending && e.NextAttemptAt <= now)
                || (e.Status == OutboxStatuses.Sending && e.ClaimedUntil <= now))
            .OrderBy(e => e.NextAttemptAt).ThenBy(e => e.Id)
            .Take(settings.BatchSize)
            .ToListAsync(cancellationToken);
        if (due.Count == 0)
        {
            return 0;
        }

        var sender = scope.ServiceProvider.GetRequiredService<IEmailSender>();
        var claimed = 0;
        foreach (var row in due)
        {
            now = Now();
            var claimedUntil = now + (long)settings.ClaimDuration.TotalMilliseconds;
            var claim = await db.EmailOutbox
                .Where(e => e.Id == row.Id
                    && ((e.Status == OutboxStatuses.Pending && e.NextAttemptAt <= now) || (e.Status == OutboxStatuses.Sending && e.ClaimedUntil <= now)))
                .ExecuteUpdateAsync(s => s.SetProperty(e => e.Status, OutboxStatuses.Sending).SetProperty(e => e.ClaimedUntil, claimedUntil), cancellationToken);
            if (claim == 0)
            {
                continue; // Another replica took it (or sent it) since the read.
            }

            claimed++;
            await DeliverAsync(db, sender, row, claimedUntil, cancellationToken);
        }

        return claimed;
    }

    private async Task DeliverAsync(IamDbContext db, IEmailSender sender, EmailOutboxRecord row, long claimedUntil, CancellationToken cancellationToken)
    {
        EmailSendResult result;
        if (row.Subject is null || row.TextBody is null || row.HtmlBody is null)
        {
            result = EmailSendResult.Failed("the row has no content to send");
        }
        else
        {
            try
            {
                result = await sender.SendAsync(new OutgoingEmail(row.Id, row.ToAddress, row.Subject, row.TextBody, row.HtmlBody), cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Stopping mid-send: hand the row back at once rather than leaving it to a stale claim.
                await ClaimedRow(db, row.Id, claimedUntil)
                    .ExecuteUpdateAsync(s => s.SetProperty(e => e.Status, OutboxStatuses.Pending).SetProperty(e => e.ClaimedUntil, (long?)null), CancellationToken.None);
                throw;
            }
        }

        var settings = options.Value;
        var now = Now();
        var attempts = row.Attempts + 1;
        var error = result.Error is { Length: > MaxErrorLength } text ? text[..MaxErrorLength] : result.Error;
        switch (result.Status)
        {
            case EmailSendStatus.Sent:
                await ClaimedRow(db, row.Id, claimedUntil).ExecuteUpdateAsync(
                    s => s.SetProperty(e => e.Status, OutboxStatuses.Sent)
                        .SetProperty(e => e.Attempts, attempts)
                        .SetProperty(e => e.SentAt, now)
                        .SetProperty(e => e.ClaimedUntil, (long?)null)
                        .SetProperty(e => e.LastError, (string?)null)
                        .SetProperty(e => e.Subject, (string?)null)
                        .SetProperty(e => e.TextBody, (string?)null)
                        .SetProperty(e => e.HtmlBody, (string?)null),
                    CancellationToken.None);
                metrics.Sent(row.Template);
                LogSent(logger, row.Id, row.Template, attempts);
                break;
            case EmailSendStatus.Retry when attempts < settings.MaxAttempts:
                var delay = result.RetryAfter is { } retryAfter
                    ? TimeSpan.FromTicks(Math.Clamp(retryAfter.Ticks, TimeSpan.TicksPerSecond, settings.RetryCap.Ticks))
                    : Backoff(settings, row.Attempts);
                var next = now + (long)delay.TotalMilliseconds;
                await ClaimedRow(db, row.Id, claimedUntil).ExecuteUpdateAsync(
                    s => s.SetProperty(e => e.Status, OutboxStatuses.Pending)
                        .SetProperty(e => e.Attempts, attempts)
                        .SetProperty(e => e.NextAttemptAt, next)
                        .SetProperty(e => e.ClaimedUntil, (long?)null)
                        .SetProperty(e => e.LastError, error),
                    CancellationToken.None);
                metrics.Retried(row.Template);
                LogRetry(logger, row.Id, row.Template, attempts, delay, error);
                break;
            default:
                // Failed for good, or out of attempts. The bodies go too: their links are secrets and nothing resends.
                await ClaimedRow(db, row.Id, claimedUntil).ExecuteUpdateAsync(
                    s => s.SetProperty(e => e.Status, OutboxStatuses.Failed)
                        .SetProperty(e => e.Attempts, attempts)
                        .SetProperty(e => e.ClaimedUntil, (long?)null)
                        .SetProperty(e => e.LastError, error)
                        .SetProperty(e => e.TextBody, (string?)null)
                        .SetProperty(e => e.HtmlBody, (string?)null),
                    CancellationToken.None);
                metrics.Failed(row.Template);
                LogFailed(logger, row.Id, row.Template, attempts, error);
                break;
        }
    }

    /// <summary>The row while this dispatcher's claim still holds it (a claim that went stale and was retaken is not ours to settle).</summary>
    private static IQueryable<EmailOutboxRecord> ClaimedRow(IamDbContext db, string id, long claimedUntil) =>
        db.EmailOutbox.Where(e => e.Id == id && e.Status == OutboxStatuses.Sending && e.ClaimedUntil == claimedUntil);

    /// <summary><see cref="EmailOptions.RetryBase"/> × 2^<paramref name="previousAttempts"/>, at most <see cref="EmailOptions.RetryCap"/>.</summary>
    internal static TimeSpan Backoff(EmailOptions settings, int previousAttempts)
    {
        var factor = Math.Pow(2, Math.Min(previousAttempts, 30));
        var ticks = settings.RetryBase.Ticks * factor;
        return ticks >= settings.RetryCap.Ticks ? settings.RetryCap : TimeSpan.FromTicks((long)ticks);
    }

    private async Task PurgeSentAsync(IamDbContext db, long sentBefore, CancellationToken cancellationToken)
    {
        int deleted;
        var total = 0;
        do
        {
            var ids = await db.EmailOutbox.AsNoTracking()
                .Where(e => e.Status == OutboxStatuses.Sent && e.SentAt < sentBefore)
                .OrderBy(e => e.Id).Select(e => e.Id).Take(PurgeBatch)
                .ToListAsync(cancellationToken);
            deleted = ids.Count == 0 ? 0 : await db.EmailOutbox.Where(e => ids.Contains(e.Id) && e.Status == OutboxStatuses.Sent).ExecuteDeleteAsync(cancellationToken);
            total += deleted;
        }
        while (deleted == PurgeBatch);

        if (total > 0)
        {
            LogPurged(logger, total);
        }
    }

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();

    [LoggerMessage(Level = LogLevel.Debug, Message = "Email {Id} ({Template}) sent on attempt {Attempts}")]
    private static partial void LogSent(ILogger logger, string id, string template, int attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Email {Id} ({Template}) attempt {Attempts} failed, retrying in {Delay}: {Error}")]
    private static partial void LogRetry(ILogger logger, string id, string template, int attempts, TimeSpan delay, string? error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Email {Id} ({Template}) failed after {Attempts} attempt(s): {Error}")]
    private static partial void LogFailed(ILogger logger, string id, string template, int attempts, string? error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Purged {Count} sent email row(s)")]
    private static partial void LogPurged(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "An email outbox pass failed; the next tick tries again")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}

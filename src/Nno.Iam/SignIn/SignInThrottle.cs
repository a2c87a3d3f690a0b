using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Nno.Core.Errors;
using Nno.Iam.Audit;
using Nno.Iam.Data;
using Nno.Iam.Mail;
using Nno.Iam.Users;

namespace Nno.Iam.SignIn;

/// <summary>Sign-in throttling and lockout settings (<c>Iam:Lockout</c>, iam.md §4.5).</summary>
internal sealed class LockoutOptions
{
    public const string Section = "Iam:Lockout";

    /// <summary>Failures are counted in a window of this length.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>The failure that locks (the 5th by default).</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 1000)]
    public int MaxFailures { get; set; } = 5;

    /// <summary>The first lockout's length; each further one doubles it.</summary>
    public TimeSpan BaseLockout { get; set; } = TimeSpan.FromMinutes(15);

    public TimeSpan MaxLockout { get; set; } = TimeSpan.FromHours(24);

    /// <summary>After this long without a lockout the doubling starts over (and another notice email may be sent).</summary>
    public TimeSpan LockoutCountReset { get; set; } = TimeSpan.FromHours(24);
}

/// <summary>
/// Failed sign-ins and lockouts per <c>email_normalized</c>, whether or not an account exists (iam.md §4.5). Every
/// counter change is one conditional SQL update, so concurrent failures are all counted and exactly one of them locks.
/// </summary>
internal sealed class SignInThrottle(IamDbContext db, TimeProvider time, IOptions<LockoutOptions> options, AuditLog audit, EmailOutbox outbox, IOptions<IamOptions> iam)
{
    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>429 <c>RATE_LIMITED</c> with <c>Retry-After</c> while <paramref name="emailNormalized"/> is locked.</summary>
    public async Task ThrowIfLockedAsync(string emailNormalized, CancellationToken cancellationToken)
    {
        var now = Now;
        var lockedUntil = await db.SignInThrottle.AsNoTracking()
            .Where(t => t.EmailNormalized == emailNormalized && t.LockedUntil > now)
            .Select(t => t.LockedUntil)
            .FirstOrDefaultAsync(cancellationToken);
        if (lockedUntil is { } until)
        {
            throw Locked(until - now);
        }
    }

    /// <summary>
    /// Counts one failure. The failure that reaches <see cref="LockoutOptions.MaxFailures"/> locks the email; for an
    /// existing account that lockout is audited and, at most once per reset period, a notice email is queued.
    /// Writes immediately (a failure is not part of another change).
    /// </summary>
    public async Task RecordFailureAsync(string emailNormalized, UserRecord? user, AuditEntry actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var settings = options.Value;
        var now = Now;
        var windowStart = now - (long)settings.Window.TotalMilliseconds;

        await db.Database.ExecuteSqlAsync(
            $"INSERT INTO sign_in_throttle (email_normalized, failed_count, window_started_at, lockout_count, updated_at) VALUES ({emailNormalized}, 0, {now}, 0, {now}) ON CONFLICT (email_normalized) DO NOTHING",
            cancellationToken);

        // A failure older than the window starts a new count.
        await db.SignInThrottle.Where(t => t.EmailNormalized == emailNormalized)
            .ExecuteUpdateAsync(
                u => u
                    .SetProperty(t => t.FailedCount, t => t.WindowStartedAt <= windowStart ? 1 : t.FailedCount + 1)
                    .SetProperty(t => t.WindowStartedAt, t => t.WindowStartedAt <= windowStart ? now : t.WindowStartedAt)
                    .SetProperty(t => t.UpdatedAt, now),
                cancellationToken);

        var row = await db.SignInThrottle.AsNoTracking().FirstAsync(t => t.EmailNormalized == emailNormalized, cancellationToken);
        if (row.FailedCount < settings.MaxFailures || row.LockedUntil > now)
        {
            return;
        }

        var countReset = (long)settings.LockoutCountReset.TotalMilliseconds;
        var lockouts = row.LastLockoutAt is { } last && now - last >= countReset ? 0 : row.LockoutCount;
        var duration = Math.Min(settings.BaseLockout.TotalMilliseconds * Math.Pow(2, Math.Min(lockouts, 30)), settings.MaxLockout.TotalMilliseconds);
        var lockedUntil = now + (long)duration;
        var locked = await db.SignInThrottle
            .Where(t => t.EmailNormalized == emailNormalized && t.FailedCount >= settings.MaxFailures && (t.LockedUntil == null || t.LockedUntil <= now))
            .ExecuteUpdateAsync(
                u => u
                    .SetProperty(t => t.LockedUntil, lockedUntil)
                    .SetProperty(t => t.LockoutCount, lockouts + 1)
                    .SetProperty(t => t.LastLockoutAt, now)
                    .SetProperty(t => t.FailedCount, 0)
                    .SetProperty(t => t.WindowStartedAt, now)
                    .SetProperty(t => t.UpdatedAt, now),
                cancellationToken);
        if (locked == 0 || user is null)
        {
            // Another request locked first, or nobody owns the address: nothing to tell anyone.
            return;
        }

        audit.Add(actor with
        {
            Type = AuditEventTypes.AuthSignInLocked,
            Outcome = "failure",
            SubjectUserId = user.Id,
            Metadata = new Dictionary<string, object?> { ["lockedUntil"] = lockedUntil, ["lockoutCount"] = lockouts + 1 },
        });
        var noticeSentRecently = row.LastLockoutAt is { } previous && now - previous < countReset;
        if (!noticeSentRecently)
        {
            outbox.Add(user.Email, EmailTemplates.LockoutNotice(DateTimeOffset.FromUnixTimeMilliseconds(lockedUntil), iam.Value.ConsoleBaseUrl));
        }

        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>A successful sign-in: the failure count starts over (a lock stays until it expires).</summary>
    public Task ResetFailuresAsync(string emailNormalized, CancellationToken cancellationToken) =>
        db.SignInThrottle.Where(t => t.EmailNormalized == emailNormalized && t.FailedCount > 0)
            .ExecuteUpdateAsync(u => u.SetProperty(t => t.FailedCount, 0).SetProperty(t => t.UpdatedAt, Now), cancellationToken);

    /// <summary>A successful email-link sign-in proves control of the mailbox: the count and the lock are cleared.</summary>
    public Task ClearAsync(string emailNormalized, CancellationToken cancellationToken) =>
        db.SignInThrottle.Where(t => t.EmailNormalized == emailNormalized && (t.FailedCount > 0 || t.LockedUntil != null))
            .ExecuteUpdateAsync(u => u.SetProperty(t => t.FailedCount, 0).SetProperty(t => t.LockedUntil, (long?)null).SetProperty(t => t.UpdatedAt, Now), cancellationToken);

    private static ApiException Locked(long remainingMs)
    {
        var seconds = Math.Max(1, (long)Math.Ceiling(remainingMs / 1000.0));
        var ex = new ApiException(ErrorCodes.RateLimited, "Too many failed sign-in attempts. Try again later or sign in with an email link.", new { retryAfterSeconds = seconds });
        ex.Headers["Retry-After"] = seconds.ToString(CultureInfo.InvariantCulture);
        return ex;
    }
}

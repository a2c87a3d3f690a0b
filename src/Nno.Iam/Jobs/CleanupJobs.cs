using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Nno.Iam.Data;
using Nno.ServiceDefaults.Jobs;

namespace Nno.Iam.Jobs;

/// <summary>The names of IAM's periodic jobs (their <c>job_leases</c> rows).</summary>
internal static class IamJobNames
{
    public const string SessionCleanup = "iam.session-cleanup";
    public const string VerificationCleanup = "iam.verification-cleanup";
    public const string AuditRetention = "iam.audit-retention";
    public const string DevMailboxCleanup = "iam.dev-mailbox-cleanup";
}

/// <summary>Deletes in batches: pick up to a batch of ids, delete them, repeat until a short batch.</summary>
internal static class Batches
{
    public static async Task<int> DeleteAsync<T>(IQueryable<T> matching, Func<IQueryable<T>, IQueryable<string>> ids, Func<List<string>, IQueryable<T>> byIds, int batchSize, CancellationToken cancellationToken)
    {
        var total = 0;
        while (true)
        {
            var batch = await ids(matching).Take(batchSize).ToListAsync(cancellationToken);
            if (batch.Count == 0)
            {
                return total;
            }

            total += await byIds(batch).ExecuteDeleteAsync(cancellationToken);
            if (batch.Count < batchSize)
            {
                return total;
            }
        }
    }
}

/// <summary>Every hour: deletes sessions that expired, or were revoked, more than 30 days ago (iam.md §4.14).</summary>
internal sealed class SessionCleanupJob(IamDbContext db, TimeProvider time, IOptions<IamJobOptions> options) : IPeriodicJob
{
    public Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var cutoff = time.GetUtcNow().ToUnixTimeMilliseconds() - (long)settings.SessionRetention.TotalMilliseconds;
        return Batches.DeleteAsync(
            db.Sessions.Where(s => s.ExpiresAt < cutoff || s.AbsoluteExpiresAt < cutoff || s.RevokedAt < cutoff),
            q => q.Select(s => s.Id),
            ids => db.Sessions.Where(s => ids.Contains(s.Id)),
            settings.BatchSize,
            cancellationToken);
    }
}

/// <summary>
/// Every 15 minutes: deletes verification rows and device codes more than 24 hours past expiry, and marks pending
/// invitations past their expiry <c>expired</c> (iam.md §4.11, §4.14).
/// </summary>
internal sealed class VerificationCleanupJob(IamDbContext db, TimeProvider time, IOptions<IamJobOptions> options) : IPeriodicJob
{
    private const string Pending = "pending";
    private const string Expired = "expired";

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var cutoff = now - (long)settings.VerificationRetention.TotalMilliseconds;
        var verifications = await Batches.DeleteAsync(
            db.Verifications.Where(v => v.ExpiresAt < cutoff),
            q => q.Select(v => v.Id),
            ids => db.Verifications.Where(v => ids.Contains(v.Id)),
            settings.BatchSize,
            cancellationToken);
        var devices = await Batches.DeleteAsync(
            db.DeviceCodes.Where(d => d.ExpiresAt < cutoff),
            q => q.Select(d => d.Id),
            ids => db.DeviceCodes.Where(d => ids.Contains(d.Id)),
            settings.BatchSize,
            cancellationToken);

        var invitations = 0;
        while (true)
        {
            var batch = await db.Invitations.Where(i => i.Status == Pending && i.ExpiresAt <= now).Select(i => i.Id).Take(settings.BatchSize).ToListAsync(cancellationToken);
            if (batch.Count == 0)
            {
                break;
            }

            // Still conditional on pending: an invitation accepted between the read and the update stays accepted.
            invitations += await db.Invitations.Where(i => batch.Contains(i.Id) && i.Status == Pending)
                .ExecuteUpdateAsync(s => s.SetProperty(i => i.Status, Expired), cancellationToken);
            if (batch.Count < settings.BatchSize)
            {
                break;
            }
        }

        return verifications + devices + invitations;
    }
}

/// <summary>Daily: deletes audit events older than <c>Iam:Audit:RetentionDays</c> (400) (iam.md §4.14).</summary>
internal sealed class AuditRetentionJob(IamDbContext db, TimeProvider time, IOptions<AuditRetentionOptions> audit, IOptions<IamJobOptions> options) : IPeriodicJob
{
    public Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow().AddDays(-audit.Value.RetentionDays).ToUnixTimeMilliseconds();
        return Batches.DeleteAsync(
            db.AuditEvents.Where(e => e.OccurredAt < cutoff),
            q => q.OrderBy(e => e.OccurredAt).Select(e => e.Id),
            ids => db.AuditEvents.Where(e => ids.Contains(e.Id)),
            options.Value.BatchSize,
            cancellationToken);
    }
}

/// <summary>Every hour: deletes dev mailbox messages older than 24 hours (iam.md §4.14).</summary>
internal sealed class DevMailboxCleanupJob(IamDbContext db, TimeProvider time, IOptions<IamJobOptions> options) : IPeriodicJob
{
    public Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var cutoff = time.GetUtcNow().ToUnixTimeMilliseconds() - (long)settings.DevMailboxRetention.TotalMilliseconds;
        return Batches.DeleteAsync(
            db.DevMailbox.Where(m => m.CreatedAt < cutoff),
            q => q.OrderBy(m => m.CreatedAt).Select(m => m.Id),
            ids => db.DevMailbox.Where(m => ids.Contains(m.Id)),
            settings.BatchSize,
            cancellationToken);
    }
}

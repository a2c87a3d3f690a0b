using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Nno.ServiceDefaults.Jobs;

/// <summary>The outcome of asking for a job's lease: whether this runner may run now, and when the job is due next.</summary>
/// <param name="Acquired">True: this runner holds the lease until <paramref name="DueAt"/> and runs the job now.</param>
/// <param name="DueAt">Unix ms of the next time any replica may run the job.</param>
public readonly record struct JobLeaseResult(bool Acquired, long DueAt);

/// <summary>
/// Lease rows of <c>job_leases</c> in <typeparamref name="TContext"/>'s database. Every change is one conditional
/// statement, so two replicas asking at the same time never both get the lease (SQLite serialises writers; on PostgreSQL
/// the upsert's row lock does the same).
/// </summary>
/// <typeparam name="TContext">The service's own database (its model calls <see cref="JobLeaseModel.AddNnoJobLeases"/>).</typeparam>
public sealed class JobLeases<TContext>(IServiceScopeFactory scopes)
    where TContext : DbContext
{
    /// <summary>
    /// When the job has no row yet, schedules its first run at <paramref name="firstDueAt"/> (nobody holds it); returns
    /// the job's due time either way.
    /// </summary>
    public async Task<long> ScheduleAsync(string name, long firstDueAt, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        await db.Database.ExecuteSqlAsync(
            $"""
            INSERT INTO "job_leases" ("name", "holder", "leased_until", "last_run_at") VALUES ({name}, '', {firstDueAt}, NULL)
            ON CONFLICT ("name") DO NOTHING
            """,
            cancellationToken);
        return await DueAtAsync(db, name, cancellationToken) ?? firstDueAt;
    }

    /// <summary>
    /// Takes the lease of <paramref name="name"/> for <paramref name="holder"/> until <paramref name="until"/> when it is
    /// free at <paramref name="now"/> (never taken, or its previous lease ended).
    /// </summary>
    public async Task<JobLeaseResult> TryAcquireAsync(string name, string holder, long now, long until, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        var taken = await db.Database.ExecuteSqlAsync(
            $"""
            INSERT INTO "job_leases" ("name", "holder", "leased_until", "last_run_at") VALUES ({name}, {holder}, {until}, {now})
            ON CONFLICT ("name") DO UPDATE SET "holder" = excluded."holder", "leased_until" = excluded."leased_until", "last_run_at" = excluded."last_run_at"
            WHERE "job_leases"."leased_until" <= {now}
            """,
            cancellationToken);
        if (taken == 1)
        {
            return new JobLeaseResult(true, until);
        }

        // Someone else holds it: the job is due again when their lease ends.
        return new JobLeaseResult(false, await DueAtAsync(db, name, cancellationToken) ?? now);
    }

    /// <summary>The lease row of <paramref name="name"/>, or null.</summary>
    public async Task<JobLeaseRecord?> FindAsync(string name, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        return await db.Set<JobLeaseRecord>().AsNoTracking().SingleOrDefaultAsync(r => r.Name == name, cancellationToken);
    }

    private static async Task<long?> DueAtAsync(TContext db, string name, CancellationToken cancellationToken) =>
        await db.Set<JobLeaseRecord>().AsNoTracking().Where(r => r.Name == name).Select(r => (long?)r.LeasedUntil).SingleOrDefaultAsync(cancellationToken);
}

using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Nno.Registry.Data;
using Nno.ServiceDefaults.Jobs;

namespace Nno.Registry.Outbox;

/// <summary>Deletes outbox rows completed more than <see cref="OutboxOptions.RetentionDays"/> ago, in batches of 1,000 (registry.md §2).</summary>
internal sealed class OutboxPurgeJob(RegistryDbContext db, TimeProvider time, IOptions<OutboxOptions> options) : IPeriodicJob
{
    public const string Name = "registry.outbox-purge";
    private const int Batch = 1000;

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var before = time.GetUtcNow().AddDays(-options.Value.RetentionDays).ToUnixTimeMilliseconds();
        var total = 0;
        int deleted;
        do
        {
            // A range of the partial index on completed_at; pending rows are never touched.
            deleted = await db.Outbox
                .Where(o => o.CompletedAt != null && o.CompletedAt < before)
                .OrderBy(o => o.CompletedAt)
                .Take(Batch)
                .ExecuteDeleteAsync(cancellationToken);
            total += deleted;
        }
        while (deleted == Batch);

        return total;
    }
}

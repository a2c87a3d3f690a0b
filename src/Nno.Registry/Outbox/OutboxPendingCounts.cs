using System.Data.Common;
using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nno.Registry.Data;
using Nno.ServiceDefaults;

namespace Nno.Registry.Outbox;

/// <summary>
/// Pending outbox rows per kind: one grouped query over the partial index of uncompleted rows, reused for
/// <see cref="OutboxOptions.PendingCountCache"/> so frequent scrapes cost one query per few seconds.
/// </summary>
internal sealed partial class OutboxPendingCounts(IServiceScopeFactory scopes, TimeProvider time, IOptions<OutboxOptions> options, ILogger<OutboxPendingCounts> logger)
{
    private readonly Lock _lock = new();
    private Dictionary<string, int> _counts = new(StringComparer.Ordinal);
    private long _countedAt = long.MinValue;

    /// <summary>The counts, from the cache when it is fresh enough (the metric's synchronous callback uses this).</summary>
    public IReadOnlyDictionary<string, int> Get()
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        lock (_lock)
        {
            if (now - _countedAt < (long)options.Value.PendingCountCache.TotalMilliseconds)
            {
                return _counts;
            }
        }

        try
        {
            using var scope = scopes.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<RegistryDbContext>();
            return Store(Count(db.Outbox.AsNoTracking().Where(o => o.CompletedAt == null).GroupBy(o => o.Kind)
                .Select(g => new KindCount(g.Key, g.Count())).ToList()), now);
        }
        catch (DbException ex)
        {
            // A scrape during a database outage reports the last counts rather than failing the whole export.
            LogCountFailed(logger, ex);
            lock (_lock)
            {
                return _counts;
            }
        }
    }

    /// <summary>Counts now (bypassing the cache) and refreshes the cache.</summary>
    public async Task<IReadOnlyDictionary<string, int>> CountAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RegistryDbContext>();
        var rows = await db.Outbox.AsNoTracking().Where(o => o.CompletedAt == null).GroupBy(o => o.Kind)
            .Select(g => new KindCount(g.Key, g.Count())).ToListAsync(cancellationToken);
        return Store(Count(rows), now);
    }

    private Dictionary<string, int> Store(Dictionary<string, int> counts, long now)
    {
        lock (_lock)
        {
            _counts = counts;
            _countedAt = now;
            return counts;
        }
    }

    private static Dictionary<string, int> Count(List<KindCount> rows)
    {
        // Every kind is reported, 0 included, so a dashboard sees the series before the first row of a kind exists.
        var counts = OutboxKinds.All.ToDictionary(k => k, _ => 0, StringComparer.Ordinal);
        foreach (var row in rows)
        {
            counts[row.Kind] = row.Count;
        }

        return counts;
    }

    private sealed record KindCount(string Kind, int Count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The pending outbox rows could not be counted")]
    private static partial void LogCountFailed(ILogger logger, Exception exception);
}

/// <summary>The relay's metrics (meter <c>Nno</c>): <c>nno_registry_outbox_pending{kind}</c> and counters of sent rows.</summary>
internal sealed class OutboxMetrics
{
    public const string PendingGauge = "nno_registry_outbox_pending";

    private readonly Counter<long> _sent;

    public OutboxMetrics(IMeterFactory meters, OutboxPendingCounts counts)
    {
        var meter = meters.Create(NnoServiceDefaults.TelemetryName);
        meter.CreateObservableGauge(
            PendingGauge,
            () => counts.Get().Select(c => new Measurement<int>(c.Value, new KeyValuePair<string, object?>("kind", c.Key))),
            description: "Outbox rows not completed yet, by kind (rows of a kind without a sender stay here).");
        _sent = meter.CreateCounter<long>("nno_registry_outbox_attempts_total", description: "Relayed outbox attempts, by kind and outcome (done, retry, failed).");
    }

    public void Attempted(string kind, OutboxSendOutcome outcome) =>
        _sent.Add(1, new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("outcome", outcome.ToString().ToLowerInvariant()));
}

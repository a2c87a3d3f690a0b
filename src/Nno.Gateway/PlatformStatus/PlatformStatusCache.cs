using System.Collections.Concurrent;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nno.Core.Platforms;
using Nno.Storage;

namespace Nno.Gateway.PlatformStatus;

/// <summary>Where a <see cref="PlatformStatusLookup"/> came from.</summary>
internal enum PlatformStatusSource
{
    /// <summary>Read from the KV within the freshness window (the value may still be "unknown": missing or unreadable key).</summary>
    Fresh,

    /// <summary>The KV failed; this is the last value read, younger than the stale limit.</summary>
    Stale,

    /// <summary>The KV failed and no value young enough is cached: status unknown.</summary>
    Unavailable,
}

/// <summary>
/// A platform's status (one of <see cref="PlatformStatuses"/>, or <see cref="PlatformStatuses.Unknown"/>) and tier
/// (one of <see cref="PlatformTiers"/>; <c>starter</c> when unknown), with where the answer came from.
/// </summary>
internal readonly record struct PlatformStatusLookup(string Status, string Tier, PlatformStatusSource Source)
{
    /// <summary>True when <see cref="Status"/> is a lifecycle status (a check can be applied).</summary>
    public bool IsKnown => PlatformStatuses.IsKnown(Status);
}

/// <summary>
/// The platform status cache of gateway.md §2 and §4.6 in front of the <c>PLATFORM_STATUS</c> KV (read only; the
/// Registry writes it). Values are used for <see cref="PlatformStatusOptions.Fresh"/> (10 s) after they were read;
/// when a read fails or times out (<see cref="PlatformStatusOptions.KvTimeout"/>, 200 ms) the last value stands in
/// while it is younger than <see cref="PlatformStatusOptions.Stale"/> (5 min), else the status is unknown; a failure
/// is not retried for <see cref="PlatformStatusOptions.ErrorBackoff"/>. Each entry keeps its own timestamps, checked
/// against <see cref="TimeProvider"/>. Bounded by <see cref="PlatformStatusOptions.SizeLimit"/> with LRU compaction;
/// concurrent misses of one platform share one KV read; a hit does no I/O and allocates nothing.
/// </summary>
internal sealed partial class PlatformStatusCache : IDisposable
{
    private static readonly PlatformStatusLookup Unavailable = new(PlatformStatuses.Unknown, PlatformTiers.Default, PlatformStatusSource.Unavailable);

    private readonly IKeyValueStore _store;
    private readonly TimeProvider _time;
    private readonly PlatformStatusOptions _options;
    private readonly PlatformStatusWarnings _warnings;
    private readonly ILogger<PlatformStatusCache> _logger;
    private readonly MemoryCache _entries;
    private readonly ConcurrentDictionary<string, Task<PlatformStatusLookup>> _inFlight = new(StringComparer.Ordinal);

    public PlatformStatusCache(
        IKeyValueStore store,
        TimeProvider time,
        IOptions<PlatformStatusOptions> options,
        PlatformStatusWarnings warnings,
        ILogger<PlatformStatusCache> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _time = time;
        _options = options.Value;
        _warnings = warnings;
        _logger = logger;
        _entries = new MemoryCache(new MemoryCacheOptions { SizeLimit = _options.SizeLimit, Clock = new TimeProviderClock(time) });
    }

    /// <summary>
    /// The status and tier of <paramref name="platformId"/>: from the cache, or from the KV (one read per platform at a
    /// time). Never throws for KV failures: they answer the stale value or an unknown status.
    /// </summary>
    public ValueTask<PlatformStatusLookup> GetAsync(string platformId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(platformId);
        if (_entries.TryGetValue(platformId, out Entry? entry) && entry is not null)
        {
            var now = _time.GetUtcNow();
            if (now < entry.UsableUntil)
            {
                return ValueTask.FromResult(entry.Failed ? Fallback(entry, now) : entry.Lookup);
            }
        }

        return new ValueTask<PlatformStatusLookup>(LoadAsync(platformId, entry, cancellationToken));
    }

    public void Dispose() => _entries.Dispose();

    private async Task<PlatformStatusLookup> LoadAsync(string platformId, Entry? previous, CancellationToken cancellationToken)
    {
        if (!_inFlight.TryGetValue(platformId, out var shared))
        {
            var created = new TaskCompletionSource<PlatformStatusLookup>(TaskCreationOptions.RunContinuationsAsynchronously);
            shared = _inFlight.GetOrAdd(platformId, created.Task);
            if (ReferenceEquals(shared, created.Task))
            {
                _ = FillAsync(platformId, previous, created);
            }
        }

        return await shared.WaitAsync(cancellationToken);
    }

    /// <summary>Reads the KV once for every waiter; never faults (a failure becomes the fallback answer).</summary>
    private async Task FillAsync(string platformId, Entry? previous, TaskCompletionSource<PlatformStatusLookup> completion)
    {
        PlatformStatusLookup result;
        try
        {
            // Not tied to any one request: the read serves every waiter, and the timeout bounds it.
            var value = await _store.GetNamespace(KvNamespaces.PlatformStatus)
                .GetAsync(PlatformStatusKv.KeyFor(platformId), CancellationToken.None)
                .WaitAsync(_options.KvTimeout, _time);
            var reading = value is null ? PlatformStatusReading.Unknown : PlatformStatusKv.Parse(value.Value.Span);
            var now = _time.GetUtcNow();
            var entry = new Entry(new PlatformStatusLookup(reading.Status, reading.Tier, PlatformStatusSource.Fresh), now, now + _options.Fresh, Failed: false);
            Store(platformId, entry, now + _options.Stale);
            result = entry.Lookup;
        }
        catch (Exception ex)
        {
            // Any failure of the store (driver, I/O, timeout, a remote store's client) is a "KV error" of
            // gateway.md §4.6: fail open with the stale value or an unknown status, and say so (throttled).
            var now = _time.GetUtcNow();
            var kept = previous is { Failed: false } ? previous : previous?.LastRead;
            var entry = new Entry(Unavailable, now, now + _options.ErrorBackoff, Failed: true)
            {
                LastRead = kept,
            };
            var expiresAt = kept is null ? entry.UsableUntil : Max(entry.UsableUntil, kept.FetchedAt + _options.Stale);
            Store(platformId, entry, expiresAt);
            result = Fallback(entry, now);
            if (_warnings.TryClaim(platformId))
            {
                LogKvFailed(_logger, platformId, result.Source == PlatformStatusSource.Stale ? "the last value read is used" : "no recent value: the request passes (fail open)", ex);
            }
        }

        _inFlight.TryRemove(new KeyValuePair<string, Task<PlatformStatusLookup>>(platformId, completion.Task));
        completion.SetResult(result);
    }

    private PlatformStatusLookup Fallback(Entry failed, DateTimeOffset now) =>
        failed.LastRead is { } read && now - read.FetchedAt < _options.Stale
            ? read.Lookup with { Source = PlatformStatusSource.Stale }
            : Unavailable;

    private void Store(string platformId, Entry entry, DateTimeOffset expiresAt) =>
        _entries.Set(platformId, entry, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpiration = expiresAt });

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    [LoggerMessage(1840, LogLevel.Warning, "The PLATFORM_STATUS KV could not be read for platform {PlatformId}; {Outcome}.")]
    private static partial void LogKvFailed(ILogger logger, string platformId, string outcome, Exception exception);

    /// <summary>
    /// One platform's cache entry, stamped when it was made (<see cref="FetchedAt"/>). A successful read answers
    /// <see cref="Lookup"/> until <see cref="UsableUntil"/> (fetched + fresh). A failed read answers the fallback of
    /// <see cref="LastRead"/> until <see cref="UsableUntil"/> (failed + backoff), then the KV is asked again.
    /// </summary>
    private sealed record Entry(PlatformStatusLookup Lookup, DateTimeOffset FetchedAt, DateTimeOffset UsableUntil, bool Failed)
    {
        /// <summary>On a failed entry: the last successful read (its own fetch time decides whether it is still usable).</summary>
        public Entry? LastRead { get; init; }
    }

    /// <summary>The memory cache's own expiry scans follow the platform clock too (tests move it).</summary>
    private sealed class TimeProviderClock(TimeProvider time) : Microsoft.Extensions.Internal.ISystemClock
    {
        public DateTimeOffset UtcNow => time.GetUtcNow();
    }
}

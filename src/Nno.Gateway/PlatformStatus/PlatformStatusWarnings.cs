using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Nno.Gateway.PlatformStatus;

/// <summary>
/// The warning throttle of gateway.md §2: at most one "status unknown" or "KV failing" warning per platform per
/// <see cref="PlatformStatusOptions.WarningInterval"/>. Claims are atomic per platform, so concurrent requests never
/// log twice. Bounded like the status cache: when full, entries older than the interval are dropped (and, if that is
/// not enough, everything), which can only let a warning through early, never grow memory.
/// </summary>
internal sealed class PlatformStatusWarnings(TimeProvider time, IOptions<PlatformStatusOptions> options)
{
    private readonly ConcurrentDictionary<string, long> _lastWarning = new(StringComparer.Ordinal);
    private readonly long _intervalMs = (long)options.Value.WarningInterval.TotalMilliseconds;
    private readonly long _limit = options.Value.SizeLimit;
    private readonly Lock _pruneLock = new();
    private int _count;

    /// <summary>True when the caller should log a warning about <paramref name="platformId"/> now (and no one else will this interval).</summary>
    public bool TryClaim(string platformId)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        while (true)
        {
            if (_lastWarning.TryGetValue(platformId, out var last))
            {
                if (now - last < _intervalMs)
                {
                    return false;
                }

                if (_lastWarning.TryUpdate(platformId, now, last))
                {
                    return true;
                }

                continue;
            }

            if (Volatile.Read(ref _count) >= _limit)
            {
                Prune(now);
            }

            if (_lastWarning.TryAdd(platformId, now))
            {
                Interlocked.Increment(ref _count);
                return true;
            }
        }
    }

    private void Prune(long now)
    {
        lock (_pruneLock)
        {
            if (Volatile.Read(ref _count) < _limit)
            {
                return;
            }

            foreach (var (platformId, last) in _lastWarning)
            {
                if (now - last >= _intervalMs && _lastWarning.TryRemove(new KeyValuePair<string, long>(platformId, last)))
                {
                    Interlocked.Decrement(ref _count);
                }
            }

            if (Volatile.Read(ref _count) >= _limit)
            {
                _lastWarning.Clear();
                Volatile.Write(ref _count, 0);
            }
        }
    }
}

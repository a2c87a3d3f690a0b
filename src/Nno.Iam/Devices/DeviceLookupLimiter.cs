using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Nno.Iam.Devices;

/// <summary>
/// Limits guessing of user codes (iam.md §3.6, §6): per user, lookups that found no pending code are counted in a
/// sliding window held in memory; past <see cref="DeviceOptions.LookupMissLimit"/> the user gets 429 until the oldest
/// miss leaves the window. Time comes from <see cref="TimeProvider"/>.
/// </summary>
internal sealed class DeviceLookupLimiter(TimeProvider time, IOptions<DeviceOptions> options)
{
    /// <summary>Above this many tracked users, stale entries are swept on the next miss.</summary>
    private const int SweepThreshold = 10_000;

    private readonly ConcurrentDictionary<string, Queue<DateTimeOffset>> _misses = new(StringComparer.Ordinal);

    /// <summary>True when <paramref name="userId"/> has used up its misses; <paramref name="retryAfter"/> says when one frees up.</summary>
    public bool IsBlocked(string userId, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (!_misses.TryGetValue(userId, out var misses))
        {
            return false;
        }

        var settings = options.Value;
        var now = time.GetUtcNow();
        lock (misses)
        {
            Prune(misses, now - settings.LookupMissWindow);
            if (misses.Count < settings.LookupMissLimit)
            {
                return false;
            }

            retryAfter = misses.Peek() + settings.LookupMissWindow - now;
            return true;
        }
    }

    public void RecordMiss(string userId)
    {
        var settings = options.Value;
        var now = time.GetUtcNow();
        if (_misses.Count > SweepThreshold)
        {
            foreach (var (key, queue) in _misses)
            {
                lock (queue)
                {
                    Prune(queue, now - settings.LookupMissWindow);
                    if (queue.Count == 0)
                    {
                        _misses.TryRemove(new KeyValuePair<string, Queue<DateTimeOffset>>(key, queue));
                    }
                }
            }
        }

        var misses = _misses.GetOrAdd(userId, _ => new Queue<DateTimeOffset>());
        lock (misses)
        {
            Prune(misses, now - settings.LookupMissWindow);
            misses.Enqueue(now);
            while (misses.Count > settings.LookupMissLimit)
            {
                misses.Dequeue();
            }
        }
    }

    private static void Prune(Queue<DateTimeOffset> misses, DateTimeOffset cutoff)
    {
        while (misses.Count > 0 && misses.Peek() <= cutoff)
        {
            misses.Dequeue();
        }
    }
}

using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Nno.Iam.ServiceTokens;

/// <summary>
/// Counts failed token requests per client IP in a sliding window held in memory (iam.md §4.8: more than 10 failures
/// per minute → 429). Time comes from <see cref="TimeProvider"/>.
/// </summary>
internal sealed class ServiceTokenFailureLimiter(TimeProvider time, IOptions<ServiceTokenOptions> options)
{
    /// <summary>Above this many tracked IPs, stale entries are swept on the next failure.</summary>
    private const int SweepThreshold = 10_000;

    private readonly ConcurrentDictionary<string, Window> _windows = new(StringComparer.Ordinal);

    /// <summary>True when <paramref name="ip"/> has used up its failures; <paramref name="retryAfter"/> says when the oldest one leaves the window.</summary>
    public bool IsBlocked(string ip, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (!_windows.TryGetValue(ip, out var window))
        {
            return false;
        }

        var settings = options.Value;
        var now = time.GetUtcNow();
        lock (window)
        {
            window.Prune(now - settings.FailureWindow);
            if (window.Failures.Count < settings.FailureLimit)
            {
                return false;
            }

            retryAfter = window.Failures.Peek() + settings.FailureWindow - now;
            return true;
        }
    }

    public void RecordFailure(string ip)
    {
        var settings = options.Value;
        var now = time.GetUtcNow();
        if (_windows.Count > SweepThreshold)
        {
            Sweep(now - settings.FailureWindow);
        }

        var window = _windows.GetOrAdd(ip, _ => new Window());
        lock (window)
        {
            window.Prune(now - settings.FailureWindow);
            window.Failures.Enqueue(now);
            // Only the newest FailureLimit entries matter for the decision.
            while (window.Failures.Count > settings.FailureLimit)
            {
                window.Failures.Dequeue();
            }
        }
    }

    private void Sweep(DateTimeOffset cutoff)
    {
        foreach (var (ip, window) in _windows)
        {
            lock (window)
            {
                window.Prune(cutoff);
                if (window.Failures.Count == 0)
                {
                    _windows.TryRemove(new KeyValuePair<string, Window>(ip, window));
                }
            }
        }
    }

    private sealed class Window
    {
        public Queue<DateTimeOffset> Failures { get; } = new();

        public void Prune(DateTimeOffset cutoff)
        {
            while (Failures.Count > 0 && Failures.Peek() <= cutoff)
            {
                Failures.Dequeue();
            }
        }
    }
}

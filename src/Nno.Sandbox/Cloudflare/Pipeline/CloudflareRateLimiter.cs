using System.Collections.Concurrent;

namespace Nno.Sandbox.Cloudflare.Pipeline;

/// <summary>The outcome of one request against the per-token limit.</summary>
/// <param name="Allowed">False: answer 429 code 971.</param>
/// <param name="Remaining">Requests left in the window (the <c>Ratelimit</c> header's <c>r</c>).</param>
/// <param name="ResetSeconds">Seconds until a slot frees up, or until the block ends (<c>t</c>, and <c>Retry-After</c> when blocked).</param>
public sealed record RateLimitDecision(bool Allowed, int Remaining, int ResetSeconds);

/// <summary>
/// Cloudflare's REST limit per token: a sliding window of <c>limit</c> requests per <c>windowSeconds</c>; the request
/// over it and every request for the next <c>blockSeconds</c> are refused. In memory (a restart forgets it, as a
/// restart of the real edge would not matter to a client either).
/// </summary>
public sealed class CloudflareRateLimiter(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, TokenWindow> _windows = new(StringComparer.Ordinal);

    /// <summary>Counts one request of <paramref name="tokenKey"/> under <paramref name="limit"/>.</summary>
    public RateLimitDecision Acquire(string tokenKey, RateLimitKnob limit)
    {
        ArgumentNullException.ThrowIfNull(limit);
        var window = _windows.GetOrAdd(tokenKey, _ => new TokenWindow());
        var now = time.GetUtcNow();
        var span = TimeSpan.FromSeconds(limit.WindowSeconds);
        lock (window)
        {
            if (window.BlockedUntil is { } until && until > now)
            {
                return new RateLimitDecision(false, 0, CeilingSeconds(until - now));
            }

            while (window.Hits.Count > 0 && window.Hits.Peek() <= now - span)
            {
                window.Hits.Dequeue();
            }

            if (window.Hits.Count >= limit.Limit)
            {
                window.BlockedUntil = now + TimeSpan.FromSeconds(limit.BlockSeconds);
                var wait = limit.BlockSeconds > 0 ? limit.BlockSeconds : CeilingSeconds(window.Hits.Peek() + span - now);
                return new RateLimitDecision(false, 0, Math.Max(1, wait));
            }

            window.Hits.Enqueue(now);
            var reset = CeilingSeconds(window.Hits.Peek() + span - now);
            return new RateLimitDecision(true, limit.Limit - window.Hits.Count, reset);
        }
    }

    /// <summary>Forgets every window (admin reset).</summary>
    public void Clear() => _windows.Clear();

    private static int CeilingSeconds(TimeSpan span) => Math.Max(0, (int)Math.Ceiling(span.TotalSeconds));

    private sealed class TokenWindow
    {
        public Queue<DateTimeOffset> Hits { get; } = new();

        public DateTimeOffset? BlockedUntil { get; set; }
    }
}

using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;

namespace Nno.Gateway.RateLimiting;

/// <summary>
/// Token buckets in process memory (gateway.md §4.7, all-in-one mode). Continuous refill computed on access from the
/// bucket's last update (no timers), time from <see cref="TimeProvider"/>. A request's buckets are updated under their
/// striped locks, taken in stripe order so two requests never deadlock, which makes all-or-nothing consumption atomic.
/// A bucket is dropped from memory once it has been full again for a second (the same expiry a shared store gives its
/// keys), by a sweep that runs at most every <see cref="RateLimitOptions.SweepInterval"/>, so memory tracks active
/// callers only.
/// </summary>
internal sealed class InProcessRateLimitStore : IRateLimitStore
{
    private const int StripeCount = 64;
    private const double ExpiryGraceMs = 1_000;

    // Refill is floating point: a client that waited exactly Retry-After must find its token, not 0.9999999999.
    private const double OneToken = 1 - 1e-9;

    private readonly ConcurrentDictionary<BucketKey, BucketState> _buckets = new();
    private readonly Lock[] _stripes = CreateStripes();
    private readonly TimeProvider _time;
    private readonly double _sweepIntervalMs;
    private double _nextSweepMs;
    private int _sweeping;

    public InProcessRateLimitStore(TimeProvider time, IOptions<RateLimitOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _time = time;
        _sweepIntervalMs = options.Value.SweepInterval.TotalMilliseconds;
        _nextSweepMs = NowMs() + _sweepIntervalMs;
    }

    /// <summary>Process memory is always available.</summary>
    public string? DegradedReason => null;

    /// <summary>Buckets held in memory (diagnostics and tests).</summary>
    public int Count => _buckets.Count;

    public ValueTask<RateLimitResult> AcquireAsync(BucketSet buckets, CancellationToken cancellationToken) => new(Acquire(ref buckets));

    public ValueTask<RateLimitResult> PeekAsync(BucketUse bucket, CancellationToken cancellationToken)
    {
        var now = NowMs();
        var key = new BucketKey(bucket.Policy.Slot, bucket.Id);
        if (!_buckets.TryGetValue(key, out var state))
        {
            return new(Full(bucket.Policy));
        }

        lock (_stripes[Stripe(key)])
        {
            var tokens = state.Removed ? bucket.Policy.Capacity : state.TokensAt(now, bucket.Policy);
            return new(tokens >= OneToken ? Report(bucket.Policy, tokens) : Rejection(bucket.Policy, tokens, RetryMs(bucket.Policy, tokens)));
        }
    }

    public ValueTask SpendAsync(BucketUse bucket, CancellationToken cancellationToken)
    {
        var set = default(BucketSet);
        set.Add(bucket.Policy, bucket.Id);
        Acquire(ref set);
        return ValueTask.CompletedTask;
    }

    private RateLimitResult Acquire(ref BucketSet buckets)
    {
        var now = NowMs();
        MaybeSweep(now);
        var count = buckets.Count;
        Span<int> stripes = stackalloc int[BucketSet.MaxBuckets];
        var states = default(States);
        while (true)
        {
            for (var i = 0; i < count; i++)
            {
                var use = buckets[i];
                var key = new BucketKey(use.Policy.Slot, use.Id);
                states[i] = _buckets.GetOrAdd(key, static (_, arg) => new BucketState(arg.Policy.Capacity, arg.Now), (use.Policy, Now: now));
                stripes[i] = Stripe(key);
            }

            var order = LockOrder(stripes[..count]);
            var locked = 0;
            try
            {
                for (; locked < order.Length; locked++)
                {
                    _stripes[order[locked]].Enter();
                }

                if (AnyRemoved(states, count))
                {
                    // A sweep dropped one of them between the lookup and the lock; take the live state instead.
                    continue;
                }

                return Decide(ref buckets, states, now);
            }
            finally
            {
                for (var i = locked - 1; i >= 0; i--)
                {
                    _stripes[order[i]].Exit();
                }
            }
        }
    }

    private static RateLimitResult Decide(ref BucketSet buckets, States states, double now)
    {
        var count = buckets.Count;
        Span<double> tokens = stackalloc double[BucketSet.MaxBuckets];
        var rejected = -1;
        var retryMs = 0.0;
        for (var i = 0; i < count; i++)
        {
            var policy = buckets[i].Policy;
            tokens[i] = states[i].TokensAt(now, policy);
            if (tokens[i] < OneToken)
            {
                var wait = RetryMs(policy, tokens[i]);
                if (rejected < 0 || wait > retryMs)
                {
                    rejected = i;
                    retryMs = wait;
                }
            }
        }

        if (rejected >= 0)
        {
            return Rejection(buckets[rejected].Policy, tokens[rejected], retryMs);
        }

        var reported = 0;
        for (var i = 0; i < count; i++)
        {
            var policy = buckets[i].Policy;
            var left = Math.Max(0, tokens[i] - 1);
            states[i].Set(left, now, now + policy.MsUntilFull(left) + ExpiryGraceMs);
            tokens[i] = left;
            if (left / policy.Capacity < tokens[reported] / buckets[reported].Policy.Capacity)
            {
                reported = i;
            }
        }

        return Report(buckets[reported].Policy, tokens[reported]);
    }

    private static RateLimitResult Full(BucketPolicy policy) => Report(policy, policy.Capacity);

    private static RateLimitResult Report(BucketPolicy policy, double tokens) =>
        new(true, policy, (int)Math.Floor(tokens), Seconds(policy.MsUntilFull(tokens)), 0);

    private static RateLimitResult Rejection(BucketPolicy policy, double tokens, double retryMs) =>
        new(false, policy, (int)Math.Floor(Math.Max(tokens, 0)), Seconds(policy.MsUntilFull(tokens)), Math.Max(1, Seconds(retryMs)));

    private static double RetryMs(BucketPolicy policy, double tokens) => (1 - tokens) / policy.RefillPerMs;

    private static int Seconds(double ms) => (int)Math.Min(int.MaxValue, Math.Ceiling(ms / 1_000 - 1e-9));

    private static bool AnyRemoved(States states, int count)
    {
        for (var i = 0; i < count; i++)
        {
            if (states[i].Removed)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The distinct stripes of <paramref name="stripes"/> in ascending order (the lock order).</summary>
    private static ReadOnlySpan<int> LockOrder(Span<int> stripes)
    {
        // Insertion sort of at most five values, then drop duplicates in place.
        for (var i = 1; i < stripes.Length; i++)
        {
            var value = stripes[i];
            var j = i - 1;
            while (j >= 0 && stripes[j] > value)
            {
                stripes[j + 1] = stripes[j];
                j--;
            }

            stripes[j + 1] = value;
        }

        var distinct = stripes.Length == 0 ? 0 : 1;
        for (var i = 1; i < stripes.Length; i++)
        {
            if (stripes[i] != stripes[distinct - 1])
            {
                stripes[distinct++] = stripes[i];
            }
        }

        return stripes[..distinct];
    }

    private void MaybeSweep(double now)
    {
        if (now < Volatile.Read(ref _nextSweepMs) || Interlocked.CompareExchange(ref _sweeping, 1, 0) != 0)
        {
            return;
        }

        Volatile.Write(ref _nextSweepMs, now + _sweepIntervalMs);
        ThreadPool.UnsafeQueueUserWorkItem(static s => s.Sweep(), this, preferLocal: false);
    }

    /// <summary>Drops every bucket that has been full for its grace second; returns how many (tests call it directly).</summary>
    public int Sweep()
    {
        try
        {
            var now = NowMs();
            var removed = 0;
            foreach (var (key, state) in _buckets)
            {
                if (now < state.ExpiresAtMs)
                {
                    continue;
                }

                lock (_stripes[Stripe(key)])
                {
                    if (now >= state.ExpiresAtMs && _buckets.TryRemove(new KeyValuePair<BucketKey, BucketState>(key, state)))
                    {
                        state.Removed = true;
                        removed++;
                    }
                }
            }

            return removed;
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }

    private double NowMs() => _time.GetUtcNow().UtcTicks / (double)TimeSpan.TicksPerMillisecond;

    private static int Stripe(BucketKey key) => (int)((uint)key.GetHashCode() % StripeCount);

    private static Lock[] CreateStripes()
    {
        var stripes = new Lock[StripeCount];
        for (var i = 0; i < stripes.Length; i++)
        {
            stripes[i] = new Lock();
        }

        return stripes;
    }

    private readonly record struct BucketKey(int Slot, string Id);

    /// <summary>A bucket's tokens at its last update; read and written under its stripe's lock.</summary>
    private sealed class BucketState(double tokens, double updatedMs)
    {
        private double _tokens = tokens;
        private double _updatedMs = updatedMs;

        /// <summary>When the bucket is full again plus the grace second; the sweep drops it from then on.</summary>
        public double ExpiresAtMs { get; private set; } = updatedMs + ExpiryGraceMs;

        /// <summary>Set by the sweep when the bucket left the dictionary; whoever still holds it looks it up again.</summary>
        public bool Removed { get; set; }

        /// <summary>Tokens at <paramref name="now"/> under <paramref name="policy"/>: refilled since the last update, never above capacity.</summary>
        public double TokensAt(double now, BucketPolicy policy) =>
            Math.Min(policy.Capacity, _tokens + (Math.Max(0, now - _updatedMs) * policy.RefillPerMs));

        public void Set(double tokens, double now, double expiresAtMs)
        {
            _tokens = tokens;
            _updatedMs = now;
            ExpiresAtMs = expiresAtMs;
        }
    }

    [InlineArray(BucketSet.MaxBuckets)]
    private struct States
    {
        private BucketState _first;
    }
}

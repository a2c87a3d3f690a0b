using System.Runtime.CompilerServices;

namespace Nno.Gateway.RateLimiting;

/// <summary>
/// Where the token buckets of gateway.md §4.7 live: process memory in all-in-one mode (<see cref="InProcessRateLimitStore"/>);
/// a shared store (one Redis script per request) in distributed mode. Every call takes the request's own buckets only.
/// </summary>
internal interface IRateLimitStore
{
    /// <summary>Why the store runs degraded (a shared store serving from local buckets), or null when it is fully available.</summary>
    string? DegradedReason { get; }

    /// <summary>
    /// Takes one token from every bucket of <paramref name="buckets"/>, all or nothing: when any holds less than one
    /// token nothing is consumed and the result is a rejection naming that bucket.
    /// </summary>
    ValueTask<RateLimitResult> AcquireAsync(BucketSet buckets, CancellationToken cancellationToken);

    /// <summary>Whether <paramref name="bucket"/> holds a token, consuming nothing (the <c>authfail</c> check before authentication).</summary>
    ValueTask<RateLimitResult> PeekAsync(BucketUse bucket, CancellationToken cancellationToken);

    /// <summary>Takes one token from <paramref name="bucket"/> if it has one (a 401 spends one <c>authfail</c> token).</summary>
    ValueTask SpendAsync(BucketUse bucket, CancellationToken cancellationToken);
}

/// <summary>One bucket a request goes through: its limit and whose bucket it is (client IP, user id, key id, platform id, route).</summary>
internal readonly record struct BucketUse(BucketPolicy Policy, string Id);

/// <summary>The buckets of one request: at most five (gateway.md §8), kept inline so building the set allocates nothing.</summary>
internal struct BucketSet
{
    public const int MaxBuckets = 5;

    private Items _items;

    public int Count { get; private set; }

    public readonly BucketUse this[int index] => index < Count ? _items[index] : throw new ArgumentOutOfRangeException(nameof(index));

    public void Add(BucketPolicy policy, string id)
    {
        if (Count == MaxBuckets)
        {
            throw new InvalidOperationException($"A request goes through at most {MaxBuckets} buckets.");
        }

        _items[Count++] = new BucketUse(policy, id);
    }

    [InlineArray(MaxBuckets)]
    private struct Items
    {
        private BucketUse _first;
    }
}

/// <summary>
/// The outcome for a request: allowed or not, and the bucket its <c>RateLimit-*</c> headers report (on success the
/// one with the lowest remaining/capacity ratio; on rejection the rejecting one that needs longest to hold a token).
/// </summary>
/// <param name="Allowed">Whether the request may proceed (its tokens were taken).</param>
/// <param name="Bucket">The reported bucket.</param>
/// <param name="Remaining">Whole tokens left in it.</param>
/// <param name="ResetSeconds">Whole seconds until it is full again.</param>
/// <param name="RetryAfterSeconds">On rejection: whole seconds (≥ 1) until every rejecting bucket holds a token.</param>
internal readonly record struct RateLimitResult(bool Allowed, BucketPolicy Bucket, int Remaining, int ResetSeconds, int RetryAfterSeconds);

using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Nno.Gateway.RateLimiting;

namespace Nno.Gateway.Tests;

/// <summary>The in-process token buckets (gateway.md §4.7): refill, all-or-nothing, headers' numbers, memory.</summary>
public sealed class RateLimitStoreTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 5, 1, 0, 0, 0, TimeSpan.Zero));

    private InProcessRateLimitStore Store(TimeSpan? sweep = null) =>
        new(_time, Options.Create(new RateLimitOptions { SweepInterval = sweep ?? TimeSpan.FromSeconds(30) }));

    private static BucketPolicy Policy(string name, double capacity, double refillPerMinute, int slot = 0) =>
        new(name, slot, new BucketLimit { Capacity = capacity, RefillPerMinute = refillPerMinute });

    private static async Task<RateLimitResult> AcquireAsync(InProcessRateLimitStore store, params (BucketPolicy Policy, string Id)[] uses)
    {
        var set = default(BucketSet);
        foreach (var (policy, id) in uses)
        {
            set.Add(policy, id);
        }

        return await store.AcquireAsync(set, CancellationToken.None);
    }

    [Fact]
    public async Task ABurstUpToCapacityPasses_TheNextWaitsForOneTokensRefill()
    {
        var store = Store();
        var signin = Policy("signin", 10, 2);
        for (var i = 9; i >= 0; i--)
        {
            var result = await AcquireAsync(store, (signin, "203.0.113.5"));
            Assert.True(result.Allowed);
            Assert.Equal(i, result.Remaining);
            Assert.Equal(10, result.Bucket.Limit);
        }

        var rejected = await AcquireAsync(store, (signin, "203.0.113.5"));
        Assert.False(rejected.Allowed);
        Assert.Equal(0, rejected.Remaining);
        Assert.Equal(30, rejected.RetryAfterSeconds); // 2 a minute: one token in 30 s
        Assert.Equal(300, rejected.ResetSeconds); // empty to full at 2 a minute

        _time.Advance(TimeSpan.FromSeconds(29.9));
        Assert.False((await AcquireAsync(store, (signin, "203.0.113.5"))).Allowed);
        _time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.True((await AcquireAsync(store, (signin, "203.0.113.5"))).Allowed);
        Assert.True((await AcquireAsync(store, (signin, "203.0.113.6"))).Allowed);
    }

    [Fact]
    public async Task FractionalRefill_FiveAnHour_GivesOneTokenEvery12Minutes()
    {
        var store = Store();
        var signup = Policy("signup", 5, 5.0 / 60);
        for (var i = 0; i < 5; i++)
        {
            Assert.True((await AcquireAsync(store, (signup, "ip"))).Allowed);
        }

        var rejected = await AcquireAsync(store, (signup, "ip"));
        Assert.Equal(720, rejected.RetryAfterSeconds);
        _time.Advance(TimeSpan.FromMinutes(12));
        Assert.True((await AcquireAsync(store, (signup, "ip"))).Allowed);
        Assert.False((await AcquireAsync(store, (signup, "ip"))).Allowed);
    }

    [Fact]
    public async Task ARejectionConsumesFromNoBucket_AndNamesTheBucketThatWaitsLongest()
    {
        var store = Store();
        var wide = Policy("anon", 4, 60, slot: 1);
        var narrow = Policy("signin", 1, 1, slot: 2);
        Assert.True((await AcquireAsync(store, (wide, "ip"), (narrow, "ip"))).Allowed);

        for (var i = 0; i < 3; i++)
        {
            var rejected = await AcquireAsync(store, (wide, "ip"), (narrow, "ip"));
            Assert.False(rejected.Allowed);
            Assert.Equal("signin", rejected.Bucket.Name);
            Assert.Equal(60, rejected.RetryAfterSeconds);
        }

        // The three rejections left "anon" at 3 tokens.
        Assert.Equal(2, (await AcquireAsync(store, (wide, "ip"))).Remaining);
    }

    [Fact]
    public async Task OnSuccess_TheReportedBucketIsTheOneWithTheLowestRemainingShare()
    {
        var store = Store();
        var ip = Policy("ip", 1_200, 1_200, slot: 0);
        var user = Policy("user", 10, 10, slot: 1);
        var result = await AcquireAsync(store, (ip, "ip"), (user, "u1"));
        Assert.Equal("user", result.Bucket.Name);
        Assert.Equal(9, result.Remaining);
        Assert.Equal(6, result.ResetSeconds); // one token at 10 a minute
    }

    [Fact]
    public async Task VariantsOfATieredBucketShareItsTokens_AndALowerCapacityClampsThem()
    {
        var store = Store();
        var growth = Policy("user", 600, 600, slot: 12);
        var starter = Policy("user", 300, 300, slot: 12);
        for (var i = 0; i < 10; i++)
        {
            await AcquireAsync(store, (growth, "u1"));
        }

        Assert.Equal(589, (await AcquireAsync(store, (growth, "u1"))).Remaining);
        Assert.Equal(299, (await AcquireAsync(store, (starter, "u1"))).Remaining);
    }

    [Fact]
    public async Task ConcurrentRequests_NeverTakeMoreThanTheCapacity()
    {
        var store = Store();
        var ip = Policy("ip", 1_000_000, 1, slot: 0);
        var user = Policy("user", 100, 0.0001, slot: 1);
        var allowed = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, 1_000), async (_, ct) =>
        {
            if ((await AcquireAsync(store, (ip, "ip"), (user, "u1"))).Allowed)
            {
                Interlocked.Increment(ref allowed);
            }
        });

        Assert.Equal(100, allowed);
        // All or nothing: the ip bucket paid for the 100 admitted requests only.
        Assert.Equal(1_000_000 - 101, (await AcquireAsync(store, (ip, "ip"))).Remaining);
    }

    [Fact]
    public async Task PeekConsumesNothing_SpendTakesOneButNeverGoesBelowZero()
    {
        var store = Store();
        var authfail = Policy("authfail", 2, 30);
        var use = new BucketUse(authfail, "ip");
        Assert.True((await store.PeekAsync(use, CancellationToken.None)).Allowed);
        await store.SpendAsync(use, CancellationToken.None);
        await store.SpendAsync(use, CancellationToken.None);
        await store.SpendAsync(use, CancellationToken.None);
        var peek = await store.PeekAsync(use, CancellationToken.None);
        Assert.False(peek.Allowed);
        Assert.Equal(2, peek.RetryAfterSeconds);

        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.True((await store.PeekAsync(use, CancellationToken.None)).Allowed);
    }

    [Fact]
    public async Task IdleBuckets_LeaveMemoryOnceFullAgainForASecond()
    {
        var store = Store();
        var user = Policy("user", 60, 60);
        await AcquireAsync(store, (user, "u1"));
        await AcquireAsync(store, (user, "u1"));
        await AcquireAsync(store, (user, "u2"));
        Assert.Equal(2, store.Count);

        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, store.Sweep()); // u2 is full since 1 s plus its grace second; u1 needs one more second
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, store.Sweep());
        Assert.Equal(0, store.Count);

        // A swept bucket starts full again.
        Assert.Equal(59, (await AcquireAsync(store, (user, "u1"))).Remaining);
    }

    [Fact]
    public async Task TheSweepRunsByItselfOnTheConfiguredInterval()
    {
        var store = Store(TimeSpan.FromSeconds(10));
        var user = Policy("user", 60, 60);
        await AcquireAsync(store, (user, "u1"));
        _time.Advance(TimeSpan.FromSeconds(11));
        await AcquireAsync(store, (user, "u2"));

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (store.Count != 1 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.Equal(1, store.Count);
    }
}

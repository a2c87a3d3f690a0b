using Microsoft.Extensions.Time.Testing;
using Nno.Provisioning.Cloudflare;

namespace Nno.Provisioning.Tests.Cloudflare;

public sealed class RequestBudgetTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-27T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    private SlidingWindowRequestBudget Budget(int limit = 3, int windowSeconds = 300) => new(new CloudflareOptions
    {
        ApiBaseUrl = "http://x",
        ApiToken = "t",
        AccountId = "a",
        ZoneId = "z",
        R2S3Url = "http://x",
        R2AccessKeyId = "k",
        R2SecretAccessKey = "s",
        RequestBudget = limit,
        RequestBudgetWindow = TimeSpan.FromSeconds(windowSeconds),
    }, _time);

    [Fact]
    public async Task PermitsWithinTheWindow_AreGranted_ThenExhausted()
    {
        var budget = Budget(limit: 3);

        await budget.AcquireAsync();
        _time.Advance(TimeSpan.FromSeconds(100));
        await budget.AcquireAsync();
        await budget.AcquireAsync();
        var error = await Assert.ThrowsAsync<CloudflareBudgetExhaustedException>(() => budget.AcquireAsync().AsTask());

        Assert.False(error.RateLimited);
        // The oldest permit leaves the window 300 s after it was taken, 200 s from now.
        Assert.Equal(TimeSpan.FromSeconds(200), error.RetryAfter);
        Assert.Equal(0, budget.RemainingFraction);
    }

    [Fact]
    public async Task TheWindowSlides_PermitsReturnAsTheyAge()
    {
        var budget = Budget(limit: 2);
        await budget.AcquireAsync();
        _time.Advance(TimeSpan.FromSeconds(150));
        await budget.AcquireAsync();

        _time.Advance(TimeSpan.FromSeconds(150));

        Assert.Equal(0.5, budget.RemainingFraction);
        await budget.AcquireAsync();
        await Assert.ThrowsAsync<CloudflareBudgetExhaustedException>(() => budget.AcquireAsync().AsTask());
    }

    [Fact]
    public async Task APermitFreeWithinTwoSeconds_IsWaitedFor()
    {
        var budget = Budget(limit: 1);
        await budget.AcquireAsync();
        _time.Advance(TimeSpan.FromSeconds(299));

        var waiting = budget.AcquireAsync().AsTask();
        Assert.False(waiting.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(1));
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(waiting.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task APermitFurtherThanTwoSecondsAway_FailsAtOnce()
    {
        var budget = Budget(limit: 1);
        await budget.AcquireAsync();
        _time.Advance(TimeSpan.FromSeconds(297));

        var error = await Assert.ThrowsAsync<CloudflareBudgetExhaustedException>(() => budget.AcquireAsync().AsTask());

        Assert.Equal(TimeSpan.FromSeconds(3), error.RetryAfter);
    }

    [Fact]
    public async Task A429_PausesEveryCall_UntilRetryAfter()
    {
        var budget = Budget(limit: 100);
        budget.ReportRateLimited(TimeSpan.FromSeconds(7));

        var error = await Assert.ThrowsAsync<CloudflareBudgetExhaustedException>(() => budget.AcquireAsync().AsTask());
        Assert.True(error.RateLimited);
        Assert.Equal(TimeSpan.FromSeconds(7), error.RetryAfter);
        Assert.Equal(0, budget.RemainingFraction);

        _time.Advance(TimeSpan.FromSeconds(7));
        await budget.AcquireAsync();
        Assert.Equal(0.99, budget.RemainingFraction, 3);
    }

    [Fact]
    public async Task A429WithoutRetryAfter_PausesForTheDefault300Seconds()
    {
        var budget = Budget(limit: 100);
        budget.ReportRateLimited(null);

        _time.Advance(TimeSpan.FromSeconds(297));
        var error = await Assert.ThrowsAsync<CloudflareBudgetExhaustedException>(() => budget.AcquireAsync().AsTask());
        Assert.Equal(TimeSpan.FromSeconds(3), error.RetryAfter);
        _time.Advance(TimeSpan.FromSeconds(3));
        await budget.AcquireAsync();
    }

    [Fact]
    public async Task AShorterLater429_DoesNotShortenThePause()
    {
        var budget = Budget(limit: 100);
        budget.ReportRateLimited(TimeSpan.FromSeconds(60));
        budget.ReportRateLimited(TimeSpan.FromSeconds(5));

        _time.Advance(TimeSpan.FromSeconds(10));
        var error = await Assert.ThrowsAsync<CloudflareBudgetExhaustedException>(() => budget.AcquireAsync().AsTask());

        Assert.Equal(TimeSpan.FromSeconds(50), error.RetryAfter);
    }
}

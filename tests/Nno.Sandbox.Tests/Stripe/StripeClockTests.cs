using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Time.Testing;
using Nno.Sandbox.Stripe.Common;
using Nno.Testing;

namespace Nno.Sandbox.Tests.StripeEmulation;

/// <summary>The sandbox clock and its hooks (what the billing engine will register).</summary>
public sealed class StripeClockTests
{
    private sealed class ScriptedHook(string name, List<(string Name, DateTimeOffset At)> log, params DateTimeOffset[] due) : IStripeClockHook
    {
        private readonly SortedSet<DateTimeOffset> _due = [.. due];

        public Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken) =>
            Task.FromResult<DateTimeOffset?>(_due.Count == 0 ? null : _due.Min);

        public Task RunDueAsync(DateTimeOffset now, CancellationToken cancellationToken)
        {
            foreach (var at in _due.Where(d => d <= now).ToArray())
            {
                log.Add((name, now));
                _due.Remove(at);
            }

            return Task.CompletedTask;
        }
    }

    private static async Task<StripeStore> StoreAsync(TempDirectory dir)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Nno:DataDir"] = dir.Path }).Build();
        var store = new StripeStore(configuration);
        await store.EnsureSchemaAsync();
        return store;
    }

    [Fact]
    public async Task Advance_RunsDueTransitionsInTimeOrder_WithTheClockAtEachDueTime_AndStopsAtTheTarget()
    {
        using var dir = new TempDirectory("nno-stripe-clock");
        using var store = await StoreAsync(dir);
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero));
        var start = time.GetUtcNow();
        var log = new List<(string Name, DateTimeOffset At)>();
        var renewals = new ScriptedHook("renewal", log, start.AddDays(2), start.AddDays(40));
        var retries = new ScriptedHook("retry", log, start.AddDays(1), start.AddDays(3));
        using var clock = new StripeClock(store, time, [renewals, retries]);
        await clock.LoadAsync();

        var now = await clock.AdvanceAsync((long)TimeSpan.FromDays(5).TotalSeconds);

        Assert.Equal(
            [("retry", start.AddDays(1)), ("renewal", start.AddDays(2)), ("retry", start.AddDays(3))],
            log);
        Assert.Equal(start.AddDays(5), now);
        Assert.Equal(start.AddDays(5), clock.Now);

        // The transition beyond the target waits for a later advance.
        await clock.AdvanceAsync((long)TimeSpan.FromDays(40).TotalSeconds);
        Assert.Equal(("renewal", start.AddDays(40)), log[^1]);
        Assert.Equal(start.AddDays(45), clock.Now);
    }

    [Fact]
    public async Task Offset_IsKeptInTheDatabase_AndTheHostClockKeepsRunningUnderIt()
    {
        using var dir = new TempDirectory("nno-stripe-clock");
        using var store = await StoreAsync(dir);
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero));
        using (var clock = new StripeClock(store, time, []))
        {
            await clock.LoadAsync();
            await clock.AdvanceAsync(600);
        }

        time.Advance(TimeSpan.FromSeconds(30));
        using var reloaded = new StripeClock(store, time, []);
        await reloaded.LoadAsync();
        Assert.Equal(600, reloaded.OffsetSeconds);
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 0, 10, 30, TimeSpan.Zero), reloaded.Now);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => reloaded.AdvanceAsync(-1));
    }
}

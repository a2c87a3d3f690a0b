using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Nno.Registry.Outbox;
using Nno.Registry.Tests.Support;
using Nno.ServiceDefaults.Jobs;

namespace Nno.Registry.Tests.Outbox;

/// <summary>The outbox relay (registry.md §4.2) against the real IAM, with failures injected in front of IAM.</summary>
public sealed class OutboxRelayTests : IAsyncLifetime
{
    private readonly IamFaults _faults = new();
    private RegistryHost _host = null!;

    public async Task InitializeAsync() => _host = await RegistryHost.StartWithAsync(configurePipeline: _faults.Install);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static string NewPlatformId() => Guid.NewGuid().ToString("N")[..10];

    private long Now => _host.Time.GetUtcNow().ToUnixTimeMilliseconds();

    private Task<string> QueueMemberAsync(string pid, string userId, string role = "owner") =>
        _host.InsertOutboxAsync(OutboxKinds.IamPutPlatformMember, pid, userId, $$"""{"platformId":"{{pid}}","userId":"{{userId}}","role":"{{role}}"}""");

    [Fact]
    public async Task Http429_WaitsExactlyRetryAfter_ThenDeliversWithTheSameRow()
    {
        var user = _host.CreateIamUser();
        var pid = NewPlatformId();
        _faults.Fail("PUT", $"/api/nno/platforms/{pid}/members/", 429, retryAfter: "7");
        var id = await QueueMemberAsync(pid, user);
        var queuedAt = Now;
        _host.Wake();

        await OutboxTestKit.EventuallyAsync(async () => (await _host.RowAsync(id)).Attempts == 1, "the first attempt");
        var row = await _host.RowAsync(id);
        Assert.Null(row.CompletedAt);
        Assert.Equal(queuedAt + 7000, row.NextAttemptAt);
        Assert.Contains("429", row.LastError, StringComparison.Ordinal);

        _host.Time.Advance(TimeSpan.FromSeconds(6));
        await Task.Delay(200);
        Assert.Null((await _host.RowAsync(id)).CompletedAt);

        await _host.AdvanceUntilAsync(async () => (await _host.RowAsync(id)).CompletedAt is not null, TimeSpan.FromSeconds(1), "delivery after Retry-After");
        row = await _host.RowAsync(id);
        Assert.Equal(2, row.Attempts);
        Assert.Null(row.LastError);
        Assert.Equal("owner", _host.IamScalar("SELECT role FROM platform_members WHERE platform_id = $p AND user_id = $u", ("$p", pid), ("$u", user)));
    }

    [Fact]
    public async Task Http503_BacksOffExponentiallyWithJitter_UntilIamAnswers()
    {
        var user = _host.CreateIamUser();
        var pid = NewPlatformId();
        _faults.Fail("PUT", $"/api/nno/platforms/{pid}/members/", 503, times: 3);
        var id = await QueueMemberAsync(pid, user, "admin");
        _host.Wake();

        var expected = new[] { 1.0, 2.0, 4.0 };
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var before = Now;
            await _host.AdvanceUntilAsync(async () => (await _host.RowAsync(id)).Attempts == attempt, TimeSpan.FromMilliseconds(250), "attempt " + attempt);
            var row = await _host.RowAsync(id);
            Assert.Null(row.CompletedAt);
            Assert.Contains("503", row.LastError, StringComparison.Ordinal);
            // The attempt happened between `before` and now on the fake clock (how many steps the relay lagged depends on
            // the machine's load), so the backoff it chose lies between these two bounds.
            var observedAt = Now;
            var atMost = (row.NextAttemptAt - before) / 1000.0;
            var atLeast = (row.NextAttemptAt - observedAt) / 1000.0;
            Assert.True(atMost >= expected[attempt - 1] * 0.8 && atLeast <= expected[attempt - 1] * 1.2,
                $"attempt {attempt}: backoff between {atLeast} and {atMost} s, expected {expected[attempt - 1]} s ±20 %");
            Assert.True(observedAt >= before);
        }

        await _host.AdvanceUntilAsync(async () => (await _host.RowAsync(id)).CompletedAt is not null, TimeSpan.FromMilliseconds(250), "delivery");
        Assert.Equal(4, (await _host.RowAsync(id)).Attempts);
        Assert.Equal("admin", _host.IamScalar("SELECT role FROM platform_members WHERE platform_id = $p AND user_id = $u", ("$p", pid), ("$u", user)));
    }

    [Fact]
    public void Backoff_IsCappedAtFiveMinutes_AndJitteredWithinTwentyPercent()
    {
        var settings = new OutboxOptions();
        for (var i = 0; i < 200; i++)
        {
            Assert.InRange(OutboxRelay.Delay(settings, 0, null).TotalSeconds, 0.8, 1.2);
            Assert.InRange(OutboxRelay.Delay(settings, 30, null).TotalMinutes, 4.0, 6.0);
        }

        Assert.Equal(TimeSpan.FromSeconds(42), OutboxRelay.Delay(settings, 9, TimeSpan.FromSeconds(42)));
    }

    [Fact]
    public async Task Http400_IsPermanent_RowCompletesWithTheError()
    {
        var user = _host.CreateIamUser();
        var pid = NewPlatformId();
        var id = await QueueMemberAsync(pid, user, "emperor");
        _host.Wake();

        await OutboxTestKit.EventuallyAsync(async () => (await _host.RowAsync(id)).CompletedAt is not null, "completion");
        var row = await _host.RowAsync(id);
        Assert.Equal(1, row.Attempts);
        Assert.Contains("400", row.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeleteOrg_404NamingTheOrganization_IsDone()
    {
        var pid = NewPlatformId();
        var id = await _host.InsertOutboxAsync(OutboxKinds.IamDeleteOrg, pid, "e000000001", $$"""{"platformId":"{{pid}}","entityId":"e000000001","iamOrgId":"o000000404"}""");
        _host.Wake();

        await OutboxTestKit.EventuallyAsync(async () => (await _host.RowAsync(id)).CompletedAt is not null, "completion");
        Assert.Null((await _host.RowAsync(id)).LastError);
    }

    [Fact]
    public async Task DeleteOrg_404WithoutResource_IsAPermanentError_NeverDone()
    {
        var pid = NewPlatformId();
        _faults.Fail("DELETE", "/api/nno/organizations/", 404);
        var id = await _host.InsertOutboxAsync(OutboxKinds.IamDeleteOrg, pid, "e000000002", $$"""{"platformId":"{{pid}}","entityId":"e000000002","iamOrgId":"o000000405"}""");
        _host.Wake();

        await OutboxTestKit.EventuallyAsync(async () => (await _host.RowAsync(id)).CompletedAt is not null, "completion");
        Assert.Contains("404", (await _host.RowAsync(id)).LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KindsWithoutSender_StayPendingForever_ShowInTheGauge_AndAreLoggedOnce()
    {
        var pid = NewPlatformId();
        var billing = await _host.InsertOutboxAsync(OutboxKinds.BillingCancel, pid, pid, $$"""{"platformId":"{{pid}}","reason":"x","immediately":true}""");
        var cli = await _host.InsertOutboxAsync(OutboxKinds.CliArchiveRepo, pid, pid, $$"""{"platformId":"{{pid}}","repoName":"r"}""");
        _host.Wake();
        for (var i = 0; i < 5; i++)
        {
            _host.Time.Advance(TimeSpan.FromMinutes(1));
            await Task.Delay(50);
        }

        foreach (var id in new[] { billing, cli })
        {
            var row = await _host.RowAsync(id);
            Assert.Null(row.CompletedAt);
            Assert.Equal(0, row.Attempts);
            Assert.Null(row.LockedBy);
        }

        _host.Time.Advance(TimeSpan.FromSeconds(10));
        var gauge = _host.PendingGauge();
        Assert.Equal(1, gauge[OutboxKinds.BillingCancel]);
        Assert.Equal(1, gauge[OutboxKinds.CliArchiveRepo]);
        Assert.Equal(0, gauge[OutboxKinds.ProvisioningDeprovision]);
        await OutboxTestKit.EventuallyAsync(
            () => Task.FromResult(_host.Logs.Lines.Count(l => l.Contains("billing.cancel", StringComparison.Ordinal) && l.Contains("wait for a sender", StringComparison.Ordinal)) == 1),
            "one log line for billing.cancel");
    }

    [Fact]
    public async Task RowClaimedByAnotherReplica_IsLeftAloneUntilItsLeaseEnds()
    {
        var pid = NewPlatformId();
        var id = await _host.InsertOutboxAsync(OutboxKinds.KvPlatformStatus, pid, pid, $$"""{"platformId":"{{pid}}"}""", lockedBy: "other-replica", lockedUntil: Now + 30_000);
        _host.Wake();
        _host.Time.Advance(TimeSpan.FromSeconds(20));
        await Task.Delay(200);
        var row = await _host.RowAsync(id);
        Assert.Equal(0, row.Attempts);
        Assert.Equal("other-replica", row.LockedBy);

        await _host.AdvanceUntilAsync(async () => (await _host.RowAsync(id)).CompletedAt is not null, TimeSpan.FromSeconds(2), "the takeover after the lease");
        Assert.Equal(_host.Services.GetRequiredService<OutboxRelay>().Instance, (await _host.RowAsync(id)).LockedBy);
    }

    [Fact]
    public async Task ConcurrentPasses_ClaimEveryRowExactlyOnce()
    {
        var ids = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            var pid = NewPlatformId();
            ids.Add(await _host.InsertOutboxAsync(OutboxKinds.KvPlatformStatus, pid, pid, $$"""{"platformId":"{{pid}}"}"""));
        }

        var relay = _host.Services.GetRequiredService<OutboxRelay>();
        var claimed = await Task.WhenAll(relay.PassAsync(CancellationToken.None), relay.PassAsync(CancellationToken.None), relay.PassAsync(CancellationToken.None));
        var rows = await _host.WithDbAsync(db => db.Outbox.AsNoTracking().Where(o => ids.Contains(o.Id)).ToListAsync());

        // The background loop may have taken some too; together every row was sent once.
        Assert.All(rows, r => Assert.Equal(1, r.Attempts));
        Assert.All(rows, r => Assert.NotNull(r.CompletedAt));
        Assert.True(claimed.Sum() <= 30);
    }

    [Fact]
    public async Task CompletedRows_ArePurgedAfterSevenDays_PendingAndRecentOnesStay()
    {
        var now = Now;
        var pid = NewPlatformId();
        var old = await _host.InsertOutboxAsync(OutboxKinds.BillingCancel, pid, pid, "{}");
        var recent = await _host.InsertOutboxAsync(OutboxKinds.BillingCancel, pid, pid, "{}");
        var pending = await _host.InsertOutboxAsync(OutboxKinds.BillingCancel, pid, pid, "{}");
        await _host.WithDbAsync(async db =>
        {
            await db.Outbox.Where(o => o.Id == old).ExecuteUpdateAsync(s => s.SetProperty(o => o.CompletedAt, now - TimeSpan.FromDays(8).Ticks / TimeSpan.TicksPerMillisecond));
            return await db.Outbox.Where(o => o.Id == recent).ExecuteUpdateAsync(s => s.SetProperty(o => o.CompletedAt, now - TimeSpan.FromDays(6).Ticks / TimeSpan.TicksPerMillisecond));
        });

        var log = _host.Services.GetRequiredService<JobRunLog>();
        var passes = log.Passes(OutboxPurgeJob.Name);
        _host.Time.Advance(TimeSpan.FromHours(1));
        await log.WaitForPassAsync(OutboxPurgeJob.Name, passes).WaitAsync(TimeSpan.FromSeconds(15));

        var left = await _host.WithDbAsync(db => db.Outbox.AsNoTracking().Where(o => o.PlatformId == pid).Select(o => o.Id).ToListAsync());
        Assert.DoesNotContain(old, left);
        Assert.Contains(recent, left);
        Assert.Contains(pending, left);
    }
}

/// <summary>Wake-up after commit: with a one-hour poll, only the unit of work's signal can deliver in time.</summary>
public sealed class OutboxWakeTests : IAsyncLifetime
{
    private RegistryHost _host = null!;

    public async Task InitializeAsync() =>
        _host = await RegistryHost.StartWithAsync(new Dictionary<string, string?> { ["Registry:Outbox:PollInterval"] = "01:00:00" });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task CommitWithOutboxRows_WakesTheRelay_KvWrittenWithoutWaitingForThePoll()
    {
        var platform = await _host.ImportAsync("wake-me");
        var pid = platform.GetProperty("id").GetString()!;

        await OutboxTestKit.EventuallyAsync(async () => await _host.Kv().GetAsync("platform:" + pid) is not null, "the KV write");
        var entry = (await _host.Kv().GetAsync("platform:" + pid))!;
        var value = System.Text.Json.JsonDocument.Parse(entry.Value).RootElement;
        Assert.Equal(pid, value.GetProperty("platformId").GetString());
        Assert.Equal("active", value.GetProperty("status").GetString());
        Assert.Equal("starter", value.GetProperty("tier").GetString());
        Assert.Equal(platform.GetProperty("version").GetInt64(), value.GetProperty("version").GetInt64());
        Assert.Equal("active", entry.Metadata!.Value.GetProperty("status").GetString());
        Assert.Null(entry.Expiration);
    }
}

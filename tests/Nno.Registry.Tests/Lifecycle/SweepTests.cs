using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Nno.Registry.Audit;
using Nno.Registry.Data;
using Nno.Registry.Lifecycle;
using Nno.Registry.Outbox;
using Nno.Registry.Tests.Support;
using Nno.ServiceDefaults.Jobs;

namespace Nno.Registry.Tests.Lifecycle;

/// <summary>registry.md §7 tests 14, 16, 20 and 45 (the clock parts): the lifecycle sweep and the audit retention job.</summary>
public sealed class SweepTests : IAsyncLifetime
{
    private RegistryHost _host = null!;

    public async Task InitializeAsync() => _host = await RegistryHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static string Url(string pid, string action) => $"{RegistryApi.Platforms}/{pid}/{action}";

    /// <summary>Moves the clock by <paramref name="by"/> and waits for the next pass of <paramref name="job"/> after it.</summary>
    private async Task<JobRun> AdvanceAndWaitForPassAsync(TimeSpan by, string job = LifecycleSweepJob.Name)
    {
        var log = _host.Services.GetRequiredService<JobRunLog>();
        var passes = log.Passes(job);
        _host.Time.Advance(by);
        var run = await log.WaitForPassAsync(job, passes).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(run.Outcome == JobRunOutcome.Completed, $"{job}: {run.Outcome}\n{string.Join("\n", _host.Logs.Lines.TakeLast(5))}");
        return run;
    }

    private Task<string> StatusAsync(string pid) => _host.WithDbAsync(db => db.Platforms.Where(p => p.Id == pid).Select(p => p.Status).SingleAsync());

    private async Task<string?> KvStatusAsync(string pid) =>
        await _host.Kv().GetAsync("platform:" + pid) is { } entry ? JsonDocument.Parse(entry.Value).RootElement.GetProperty("status").GetString() : null;

    [Fact]
    public async Task CancelUnsubscribed_NextSweepCancels_ResumeIs409_30DaysLaterDeletedForRetention()
    {
        var pid = (await _host.ImportAsync("sweep-cancel")).GetProperty("id").GetString()!;
        using var owner = _host.User("usr_owner", (pid, "owner"));
        using var cancel = await owner.PostJsonAsync(Url(pid, "cancel"), new { reason = "moving on" });
        var cancelled = await cancel.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("pending_cancellation", cancelled.GetProperty("status").GetString());
        Assert.Equal(_host.Time.GetUtcNow(), cancelled.GetProperty("cancelEffectiveAt").GetDateTimeOffset());

        await AdvanceAndWaitForPassAsync(TimeSpan.FromSeconds(61));
        Assert.Equal("cancelled", await StatusAsync(pid));
        var periodEnd = Assert.Single(await _host.WithDbAsync(db => db.LifecycleEvents.Where(e => e.PlatformId == pid && e.Event == "period_end").ToListAsync()));
        Assert.Equal(("pending_cancellation", "cancelled", "system", LifecycleSweepJob.Actor), (periodEnd.FromStatus, periodEnd.ToStatus, periodEnd.ActorType, periodEnd.ActorId));
        var audit = Assert.Single(await _host.WithDbAsync(db => db.AuditLog.Where(a => a.PlatformId == pid && a.Action == "platform.cancelled").ToListAsync()));
        Assert.Equal(("system", LifecycleSweepJob.Actor), (audit.ActorType, audit.ActorId));
        var outbox = await _host.OutboxAsync(pid);
        Assert.Contains(outbox, o => o.Kind == OutboxKinds.IamNotify && o.Payload.Contains("\"platform_cancelled\"", StringComparison.Ordinal));
        await _host.AdvanceUntilAsync(async () => await KvStatusAsync(pid) == "cancelled", TimeSpan.FromSeconds(1), "KV cancelled");

        using var resume = await owner.PostJsonAsync(Url(pid, "resume"), new { });
        await resume.ExpectErrorAsync(HttpStatusCode.Conflict, "INVALID_TRANSITION");

        // A later sweep before the retention ends changes nothing.
        await AdvanceAndWaitForPassAsync(TimeSpan.FromDays(29));
        Assert.Equal("cancelled", await StatusAsync(pid));

        await AdvanceAndWaitForPassAsync(TimeSpan.FromDays(1));
        Assert.Equal("deleted", await StatusAsync(pid));
        var delete = Assert.Single(await _host.WithDbAsync(db => db.LifecycleEvents.Where(e => e.PlatformId == pid && e.Event == "delete").ToListAsync()));
        Assert.Equal(("cancelled", "retention_expired", "system"), (delete.FromStatus, delete.Reason, delete.ActorType));
        Assert.NotNull(await _host.WithDbAsync(db => db.Platforms.Where(p => p.Id == pid).Select(p => p.DeletedAt).SingleAsync()));
        Assert.Contains(await _host.OutboxAsync(pid), o => o.Kind == OutboxKinds.IamNotify && o.Payload.Contains("\"platform_deleted\"", StringComparison.Ordinal));
        await _host.AdvanceUntilAsync(async () => await KvStatusAsync(pid) == "deleted", TimeSpan.FromSeconds(1), "KV deleted");
    }

    [Fact]
    public async Task PendingCancellationBeforeItsEffectiveTime_IsLeftAlone()
    {
        var pid = (await _host.ImportAsync("sweep-future")).GetProperty("id").GetString()!;
        await _host.SetStatusAsync(pid, "pending_cancellation", cancelEffectiveAt: _host.Time.GetUtcNow().AddDays(3).ToUnixTimeMilliseconds());
        await AdvanceAndWaitForPassAsync(TimeSpan.FromDays(2));
        Assert.Equal("pending_cancellation", await StatusAsync(pid));
        await AdvanceAndWaitForPassAsync(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        Assert.Equal("cancelled", await StatusAsync(pid));
    }

    [Fact]
    public async Task Purge_30DaysAfterDelete_QueuesDeprovisionAndIamRemoval_WaitsForBoth_ThenDropsChildRowsOnly()
    {
        var pid = (await _host.ImportAsync("sweep-purge")).GetProperty("id").GetString()!;
        var entity = await _host.DefaultEntityAsync(pid);
        var stack = await _host.AddStackAsync(pid, entity);
        await _host.AddActivationAsync(pid, entity, stack, "feat-a");
        await _host.SetStatusAsync(pid, "cancelled", cancelEffectiveAt: _host.Time.GetUtcNow().ToUnixTimeMilliseconds());
        using (var op = _host.Operator())
        {
            using var deleted = await op.PostJsonAsync(Url(pid, "delete"), new { reason = "done" });
            await deleted.ExpectAsync(HttpStatusCode.OK);
        }

        // Before the retention ends nothing is queued.
        await AdvanceAndWaitForPassAsync(TimeSpan.FromDays(29));
        Assert.DoesNotContain(await _host.OutboxAsync(pid), o => o.Kind == OutboxKinds.IamRemovePlatform);

        await AdvanceAndWaitForPassAsync(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        var deprovision = Assert.Single(await _host.OutboxAsync(pid), o => o.Kind == OutboxKinds.ProvisioningDeprovision && IsPurgeData(o));
        var removal = Assert.Single(await _host.OutboxAsync(pid), o => o.Kind == OutboxKinds.IamRemovePlatform);
        Assert.Equal(pid, JsonDocument.Parse(removal.Payload).RootElement.GetProperty("platformId").GetString());

        // Provisioning has no sender in this build: the deprovision stays pending and the purge waits, however many
        // sweeps pass (and queues nothing twice), even once IAM's removal is settled.
        await _host.AdvanceUntilAsync(async () => (await _host.RowAsync(removal.Id)).CompletedAt is not null, TimeSpan.FromSeconds(1), "IAM removal settled");
        await AdvanceAndWaitForPassAsync(TimeSpan.FromMinutes(1));
        await AdvanceAndWaitForPassAsync(TimeSpan.FromMinutes(1));
        Assert.Null((await _host.RowAsync(deprovision.Id)).CompletedAt);
        Assert.Null(await PurgedAtAsync(pid));
        Assert.Equal(1, await _host.WithDbAsync(db => db.Entities.CountAsync(e => e.PlatformId == pid)));
        Assert.Single(await _host.OutboxAsync(pid), o => o.Kind == OutboxKinds.IamRemovePlatform);
        Assert.Single(await _host.OutboxAsync(pid), o => o.Kind == OutboxKinds.ProvisioningDeprovision && IsPurgeData(o));

        // A deprovision that failed for good is not done either.
        var at = _host.Time.GetUtcNow().ToUnixTimeMilliseconds();
        await MarkCompletedAsync(deprovision.Id, at, "provisioning: refused");
        await MarkCompletedAsync(removal.Id, at, null);
        await AdvanceAndWaitForPassAsync(TimeSpan.FromMinutes(1));
        Assert.Null(await PurgedAtAsync(pid));

        var eventsBefore = await _host.WithDbAsync(db => db.LifecycleEvents.CountAsync(e => e.PlatformId == pid));
        var auditBefore = await _host.WithDbAsync(db => db.AuditLog.CountAsync(a => a.PlatformId == pid));
        await MarkCompletedAsync(deprovision.Id, at, null);
        await AdvanceAndWaitForPassAsync(TimeSpan.FromMinutes(1));

        Assert.NotNull(await PurgedAtAsync(pid));
        Assert.Equal("deleted", await StatusAsync(pid));
        var counts = await _host.WithDbAsync(async db => (
            await db.Entities.CountAsync(e => e.PlatformId == pid), await db.Stacks.CountAsync(s => s.PlatformId == pid),
            await db.FeatureActivations.CountAsync(a => a.PlatformId == pid), await db.OnboardingSessions.CountAsync(s => s.PlatformId == pid)));
        Assert.Equal((0, 0, 0, 0), counts);
        var purge = Assert.Single(await _host.WithDbAsync(db => db.LifecycleEvents.Where(e => e.PlatformId == pid && e.Event == "purge").ToListAsync()));
        Assert.Equal(("deleted", "deleted", "system"), (purge.FromStatus, purge.ToStatus, purge.ActorType));
        Assert.Equal(eventsBefore + 1, await _host.WithDbAsync(db => db.LifecycleEvents.CountAsync(e => e.PlatformId == pid)));
        Assert.True(await _host.WithDbAsync(db => db.AuditLog.CountAsync(a => a.PlatformId == pid)) > auditBefore);

        // Operators still read the record, with purgedAt.
        using var reader = _host.Operator();
        using var read = await reader.GetAsync($"{RegistryApi.Platforms}/{pid}");
        Assert.Equal(JsonValueKind.String, (await read.ExpectAsync(HttpStatusCode.OK)).GetProperty("purgedAt").ValueKind);

        // Once purged, later sweeps leave it alone.
        await AdvanceAndWaitForPassAsync(TimeSpan.FromMinutes(1));
        Assert.Single(await _host.WithDbAsync(db => db.LifecycleEvents.Where(e => e.PlatformId == pid && e.Event == "purge").ToListAsync()));
    }

    [Fact]
    public async Task OwnershipTransfer_Past7Days_IsClearedBySweep_ThenAcceptIs404()
    {
        var pid = (await _host.ImportAsync("sweep-transfer", owner: "usr_old")).GetProperty("id").GetString()!;
        _host.AddIamMember("usr_new", pid, "member");
        using var owner = _host.User("usr_old", (pid, "owner"));
        using var started = await owner.PostJsonAsync($"{RegistryApi.Platforms}/{pid}/ownership-transfer", new { toUserId = "usr_new" });
        await started.ExpectAsync(HttpStatusCode.OK);

        await AdvanceAndWaitForPassAsync(TimeSpan.FromDays(6));
        Assert.Equal("usr_new", await _host.WithDbAsync(db => db.Platforms.Where(p => p.Id == pid).Select(p => p.PendingOwnerUserId).SingleAsync()));

        await AdvanceAndWaitForPassAsync(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        var platform = await _host.WithDbAsync(db => db.Platforms.AsNoTracking().SingleAsync(p => p.Id == pid));
        Assert.Equal(("usr_old", null, null), (platform.OwnerUserId, platform.PendingOwnerUserId, platform.TransferExpiresAt));
        var audit = Assert.Single(await _host.WithDbAsync(db => db.AuditLog.Where(a => a.PlatformId == pid && a.Action == "platform.ownership_transfer_expired").ToListAsync()));
        Assert.Equal(("system", LifecycleSweepJob.Actor), (audit.ActorType, audit.ActorId));
        Assert.Contains("usr_new", audit.Details, StringComparison.Ordinal);

        using var newOwner = _host.User("usr_new", (pid, "member"));
        using var accept = await newOwner.PostJsonAsync($"{RegistryApi.Platforms}/{pid}/ownership-transfer/accept", null);
        await accept.ExpectErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
    }

    [Fact]
    public async Task AuditRetention_Deletes401DayOldRows_KeepsYoungerOnes()
    {
        var now = _host.Time.GetUtcNow();
        var old = await AddAuditAsync(now.AddDays(-401));
        var young = await AddAuditAsync(now.AddDays(-398));

        var run = await AdvanceAndWaitForPassAsync(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1), AuditRetentionJob.Name);
        Assert.True(run.Items >= 1);
        var left = await _host.WithDbAsync(db => db.AuditLog.Where(a => a.Id == old || a.Id == young).Select(a => a.Id).ToListAsync());
        Assert.Equal([young], left);
    }

    [Fact]
    public async Task TwoSweepsRacing_TransitionEachPlatformOnce_AndOnlyOneTakesTheLease()
    {
        var due = _host.Time.GetUtcNow().ToUnixTimeMilliseconds();
        var pids = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var pid = (await _host.ImportAsync($"race{i}", owner: $"usr_race{i}")).GetProperty("id").GetString()!;
            await _host.SetStatusAsync(pid, "pending_cancellation", cancelEffectiveAt: due);
            pids.Add(pid);
        }

        // Two job runs at once (as two replicas would without the lease): the conditional UPDATE gives each platform one winner.
        await using var first = _host.Services.CreateAsyncScope();
        await using var second = _host.Services.CreateAsyncScope();
        var runs = await Task.WhenAll(
            Task.Run(() => first.ServiceProvider.GetRequiredService<LifecycleSweepJob>().RunAsync(CancellationToken.None)),
            Task.Run(() => second.ServiceProvider.GetRequiredService<LifecycleSweepJob>().RunAsync(CancellationToken.None)));
        Assert.Equal(pids.Count, runs.Sum());
        foreach (var pid in pids)
        {
            Assert.Equal("cancelled", await StatusAsync(pid));
            Assert.Single(await _host.WithDbAsync(db => db.LifecycleEvents.Where(e => e.PlatformId == pid && e.Event == "period_end").ToListAsync()));
            Assert.Single(await _host.WithDbAsync(db => db.AuditLog.Where(a => a.PlatformId == pid && a.Action == "platform.cancelled").ToListAsync()));
        }

        // Two runners asking for the sweep's lease at the same moment: one gets it.
        var leases = _host.Services.GetRequiredService<JobLeases<RegistryDbContext>>();
        var at = _host.Time.GetUtcNow().AddDays(1).ToUnixTimeMilliseconds();
        var asks = await Task.WhenAll(
            Task.Run(() => leases.TryAcquireAsync(LifecycleSweepJob.Name, "replica-a", at, at + 60_000, CancellationToken.None)),
            Task.Run(() => leases.TryAcquireAsync(LifecycleSweepJob.Name, "replica-b", at, at + 60_000, CancellationToken.None)));
        Assert.Single(asks, a => a.Acquired);
    }

    private static bool IsPurgeData(OutboxRecord row)
    {
        var payload = JsonDocument.Parse(row.Payload).RootElement;
        return payload.GetProperty("purgeData").GetBoolean();
    }

    private Task<long?> PurgedAtAsync(string pid) => _host.WithDbAsync(db => db.Platforms.Where(p => p.Id == pid).Select(p => p.PurgedAt).SingleAsync());

    private Task<int> MarkCompletedAsync(string outboxId, long at, string? error) =>
        _host.WithDbAsync(db => db.Outbox.Where(o => o.Id == outboxId).ExecuteUpdateAsync(s => s
            .SetProperty(o => o.CompletedAt, at).SetProperty(o => o.LastError, error).SetProperty(o => o.LockedUntil, (long?)null)));

    private Task<string> AddAuditAsync(DateTimeOffset at) =>
        _host.WithDbAsync(async db =>
        {
            var id = "aud_" + ObjectSeeds.NewId(20);
            db.AuditLog.Add(new AuditLogRecord
            {
                Id = id, ActorType = "system", ActorId = "test", ActorAuth = "system", Action = "test.seeded", TargetType = "platform", TargetId = "none",
                Details = "{}", CreatedAt = at.ToUnixTimeMilliseconds(),
            });
            await db.SaveChangesAsync();
            return id;
        });
}

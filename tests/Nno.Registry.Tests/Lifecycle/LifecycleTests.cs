using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Nno.Registry.Onboarding;
using Nno.Registry.Outbox;
using Nno.Registry.Resources;
using Nno.Registry.Tests.Support;

namespace Nno.Registry.Tests.Lifecycle;

/// <summary>registry.md §7 tests 11–17 (the Billing-free parts) on the lifecycle routes.</summary>
public sealed class LifecycleTests : IAsyncLifetime
{
    private static readonly string[] Statuses = ["pending", "provisioning", "active", "suspended", "pending_cancellation", "cancelled", "deleted"];
    private static readonly string[] Actions = ["suspend", "restore", "cancel", "resume", "delete"];

    private RegistryHost _host = null!;

    public async Task InitializeAsync() => _host = await RegistryHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static string Url(string pid, string action) => $"{RegistryApi.Platforms}/{pid}/{action}";

    [Fact]
    public async Task Matrix_AllowedCellsSucceed_OthersAre409InvalidTransitionWithCurrentStatus()
    {
        var allowed = new Dictionary<(string, string), string>
        {
            [("active", "suspend")] = "suspended",
            [("suspended", "restore")] = "active",
            [("active", "cancel")] = "pending_cancellation",
            [("suspended", "cancel")] = "cancelled",
            [("pending_cancellation", "resume")] = "active",
            [("pending_cancellation", "delete")] = "deleted",
            [("cancelled", "delete")] = "deleted",
        };
        using var op = _host.Operator();
        var future = _host.Time.GetUtcNow().AddDays(10).ToUnixTimeMilliseconds();
        var n = 0;
        foreach (var status in Statuses)
        {
            foreach (var action in Actions)
            {
                var pid = (await _host.ImportAsync($"m{n++}", owner: $"usr_m{n}")).GetProperty("id").GetString()!;
                await _host.SetStatusAsync(pid, status, cancelEffectiveAt: status == "pending_cancellation" ? future : null);
                using var response = await op.PostJsonAsync(Url(pid, action), new { reason = "matrix" });
                var json = await response.ReadJsonAsync();
                if (allowed.TryGetValue((status, action), out var to))
                {
                    Assert.True(response.StatusCode == HttpStatusCode.OK, $"{status} × {action}: {(int)response.StatusCode} {json}");
                    Assert.Equal(to, json.GetProperty("status").GetString());
                }
                else
                {
                    Assert.True(response.StatusCode == HttpStatusCode.Conflict, $"{status} × {action}: {(int)response.StatusCode} {json}");
                    var error = json.GetProperty("error");
                    Assert.Equal("INVALID_TRANSITION", error.GetProperty("code").GetString());
                    Assert.Equal(status, error.GetProperty("details").GetProperty("currentStatus").GetString());
                    Assert.Equal(action, error.GetProperty("details").GetProperty("requested").GetString());
                    Assert.Equal(JsonValueKind.Array, error.GetProperty("details").GetProperty("allowed").ValueKind);
                }
            }
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(501)]
    public async Task Suspend_WithoutOrOverlongReason_Is400(object? reason)
    {
        var pid = (await _host.ImportAsync("reasonless")).GetProperty("id").GetString()!;
        using var op = _host.Operator();
        object body = reason is int length ? new { reason = new string('r', length) } : reason is string text ? new { reason = text } : new { };
        using var response = await op.PostJsonAsync(Url(pid, "suspend"), body);
        await response.ExpectErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Equal("active", (await op.GetFromJsonAsync<JsonElement>($"{RegistryApi.Platforms}/{pid}")).GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("owner", "suspend")]
    [InlineData("owner", "restore")]
    [InlineData("admin", "cancel")]
    [InlineData("admin", "resume")]
    [InlineData("admin", "delete")]
    [InlineData("member", "cancel")]
    public async Task Transition_ByTooLowRole_Is403(string role, string action)
    {
        var pid = (await _host.ImportAsync("roles")).GetProperty("id").GetString()!;
        using var user = _host.User("usr_someone", (pid, role));
        using var response = await user.PostJsonAsync(Url(pid, action), new { reason = "try" });
        await response.ExpectErrorAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
    }

    [Fact]
    public async Task Suspend_WritesOneEventOneAuditEntryOwnerNotificationAndKvRow()
    {
        var pid = (await _host.ImportAsync("suspendme")).GetProperty("id").GetString()!;
        using var op = _host.Operator();
        using var request = new HttpRequestMessage(HttpMethod.Post, Url(pid, "suspend")) { Content = JsonContent.Create(new { reason = "abuse report 42" }) };
        request.Headers.Add("X-Request-Id", "req-suspend-1");
        using var response = await op.SendAsync(request);
        var platform = await response.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(("suspended", "abuse report 42", RegistryHost.OperatorId), (platform.GetProperty("status").GetString(),
            platform.GetProperty("suspensionReason").GetString(), (await _host.WithDbAsync(db => db.Platforms.SingleAsync(p => p.Id == pid))).SuspendedBy));
        Assert.Equal(2, platform.GetProperty("version").GetInt64());

        var events = await _host.WithDbAsync(db => db.LifecycleEvents.Where(e => e.PlatformId == pid && e.Event == "suspend").ToListAsync());
        var e = Assert.Single(events);
        Assert.Equal(("active", "suspended", "operator", RegistryHost.OperatorId, "abuse report 42", "req-suspend-1"),
            (e.FromStatus, e.ToStatus, e.ActorType, e.ActorId, e.Reason, e.RequestId));
        Assert.Single(await _host.WithDbAsync(db => db.AuditLog.Where(a => a.PlatformId == pid && a.Action == "platform.suspended").ToListAsync()));
        var outbox = await _host.OutboxAsync(pid);
        Assert.Equal(2, outbox.Count(o => o.Kind == OutboxKinds.KvPlatformStatus));
        var notify = JsonDocument.Parse(Assert.Single(outbox, o => o.Kind == OutboxKinds.IamNotify).Payload).RootElement;
        Assert.Equal(("platform_suspended", "owners"), (notify.GetProperty("kind").GetString(), notify.GetProperty("audience").GetString()));
        Assert.Equal("lifecycle:" + e.Id, notify.GetProperty("dedupeKey").GetString());

        // Restore clears the suspension fields.
        using var restored = await op.PostJsonAsync(Url(pid, "restore"), new { });
        var after = await restored.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, after.GetProperty("suspensionReason").ValueKind);
        Assert.Equal(JsonValueKind.Null, after.GetProperty("suspendedAt").ValueKind);
    }

    [Fact]
    public async Task LifecycleEvents_NewestFirst_Paged()
    {
        var pid = (await _host.ImportAsync("history")).GetProperty("id").GetString()!;
        using var op = _host.Operator();
        foreach (var action in new[] { "suspend", "restore", "suspend" })
        {
            _host.Time.Advance(TimeSpan.FromSeconds(1));
            (await op.PostJsonAsync(Url(pid, action), new { reason = "step" })).Dispose();
        }

        using var admin = _host.User("usr_admin", (pid, "admin"));
        var first = await admin.GetFromJsonAsync<JsonElement>($"{RegistryApi.Platforms}/{pid}/lifecycle-events?limit=3&includeTotal=true");
        Assert.Equal(new[] { "suspend", "restore", "suspend" }, first.GetProperty("data").EnumerateArray().Select(e => e.GetProperty("event").GetString()));
        Assert.Equal(4, first.GetProperty("pagination").GetProperty("total").GetInt32());
        var rest = await admin.GetFromJsonAsync<JsonElement>(
            $"{RegistryApi.Platforms}/{pid}/lifecycle-events?limit=3&includeTotal=true&cursor={first.GetProperty("pagination").GetProperty("nextCursor").GetString()}");
        Assert.Equal("created", Assert.Single(rest.GetProperty("data").EnumerateArray()).GetProperty("event").GetString());
    }

    [Fact]
    public async Task Cancel_Unsubscribed_EffectiveNow_NoBillingRow_ResumeAfterwardsIs409()
    {
        var pid = (await _host.ImportAsync("leaving", owner: "usr_o")).GetProperty("id").GetString()!;
        using var owner = _host.User("usr_o", (pid, "owner"));
        using var cancel = await owner.PostJsonAsync(Url(pid, "cancel"), new { reason = "too expensive" });
        var platform = await cancel.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("pending_cancellation", platform.GetProperty("status").GetString());
        Assert.Equal(_host.Time.GetUtcNow(), platform.GetProperty("cancelEffectiveAt").GetDateTimeOffset());
        Assert.DoesNotContain(await _host.OutboxAsync(pid), o => o.Kind == OutboxKinds.BillingCancel);
        Assert.Contains(await _host.OutboxAsync(pid), o => o.Kind == OutboxKinds.IamNotify && o.Payload.Contains("cancellation_scheduled", StringComparison.Ordinal));

        using var resume = await owner.PostJsonAsync(Url(pid, "resume"), new { });
        var error = await resume.ExpectErrorAsync(HttpStatusCode.Conflict, "INVALID_TRANSITION");
        Assert.Equal("pending_cancellation", error.GetProperty("error").GetProperty("details").GetProperty("currentStatus").GetString());
    }

    [Fact]
    public async Task Cancel_Subscribed_QueuesBillingCancelAtPeriodEnd_ResumeIs503WithoutChange()
    {
        var pid = (await _host.ImportAsync("paying", owner: "usr_p")).GetProperty("id").GetString()!;
        await _host.SetStatusAsync(pid, "active", stripeCustomerId: "cus_Pay1");
        using var owner = _host.User("usr_p", (pid, "owner"));
        using var cancel = await owner.PostJsonAsync(Url(pid, "cancel"), new { reason = "pause" });
        var platform = await cancel.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, platform.GetProperty("cancelEffectiveAt").ValueKind);
        var billing = JsonDocument.Parse(Assert.Single(await _host.OutboxAsync(pid), o => o.Kind == OutboxKinds.BillingCancel).Payload).RootElement;
        Assert.False(billing.GetProperty("immediately").GetBoolean());

        using var resume = await owner.PostJsonAsync(Url(pid, "resume"), new { });
        await resume.ExpectErrorAsync(HttpStatusCode.ServiceUnavailable, "SERVICE_UNAVAILABLE");
        Assert.Equal("pending_cancellation", await _host.WithDbAsync(db => db.Platforms.Where(p => p.Id == pid).Select(p => p.Status).SingleAsync()));
    }

    [Fact]
    public async Task Resume_BeforeEffectiveDate_ReturnsToActiveAndClearsCancellation()
    {
        var pid = (await _host.ImportAsync("comeback", owner: "usr_c")).GetProperty("id").GetString()!;
        await _host.SetStatusAsync(pid, "pending_cancellation", cancelEffectiveAt: _host.Time.GetUtcNow().AddDays(3).ToUnixTimeMilliseconds());
        using var owner = _host.User("usr_c", (pid, "owner"));
        using var resume = await owner.PostJsonAsync(Url(pid, "resume"), new { });
        var platform = await resume.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("active", platform.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, platform.GetProperty("cancelEffectiveAt").ValueKind);
    }

    [Fact]
    public async Task Cancel_Suspended_CancelledAtOnce_OneEvent_NeverActive_BillingImmediately()
    {
        var pid = (await _host.ImportAsync("frozen", owner: "usr_f")).GetProperty("id").GetString()!;
        await _host.SetStatusAsync(pid, "suspended", stripeCustomerId: "cus_F1");
        using var op = _host.Operator();
        using var response = await op.PostJsonAsync(Url(pid, "cancel"), new { reason = "fraud" });
        Assert.Equal("cancelled", (await response.ExpectAsync(HttpStatusCode.OK)).GetProperty("status").GetString());
        var events = await _host.WithDbAsync(db => db.LifecycleEvents.Where(e => e.PlatformId == pid && e.Event != "created").ToListAsync());
        var cancel = Assert.Single(events);
        Assert.Equal(("cancel", "suspended", "cancelled"), (cancel.Event, cancel.FromStatus, cancel.ToStatus));
        var billing = JsonDocument.Parse(Assert.Single(await _host.OutboxAsync(pid), o => o.Kind == OutboxKinds.BillingCancel).Payload).RootElement;
        Assert.True(billing.GetProperty("immediately").GetBoolean());
    }

    [Fact]
    public async Task Delete_FromCancelled_QueuesDeprovisionOrgDeletionsDeepestFirstAndRepoArchive_OwnerThen404_OperatorSeesIt()
    {
        var pid = (await _host.ImportAsync("doomed", owner: "usr_d", extra: new { repoName = "nno-platform-doomed" })).GetProperty("id").GetString()!;
        await _host.WithDbAsync(async db =>
        {
            var root = await db.Entities.SingleAsync(e => e.PlatformId == pid);
            root.IamOrgId = "org_root";
            db.Entities.Add(new Registry.Entities.EntityRecord
            {
                Id = "childaaaaa", PlatformId = pid, ParentId = root.Id, Type = "sub_tenant", Depth = 1, Name = "Child", Slug = "child",
                IamOrgId = "org_child", Status = "active", CreatedBy = "usr_d", CreatedAt = 1, UpdatedAt = 1,
            });
            db.Resources.Add(new ResourceRecord
            {
                Id = "res_aaaaaaaaaaaaaaaa", PlatformId = pid, StackId = "default", Type = ResourceTypes.D1, LogicalName = "auth-db",
                CfName = pid + "-default-auth-db", Environment = "prod", Status = ResourceStatuses.Active, CreatedAt = 1, UpdatedAt = 1,
            });
            return await db.SaveChangesAsync();
        });
        await _host.SetStatusAsync(pid, "cancelled");
        using var owner = _host.User("usr_d", (pid, "owner"));
        using var response = await owner.PostJsonAsync(Url(pid, "delete"), new { reason = "done" });
        var platform = await response.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("deleted", platform.GetProperty("status").GetString());
        Assert.NotEqual(JsonValueKind.Null, platform.GetProperty("deletedAt").ValueKind);

        var outbox = await _host.OutboxAsync(pid);
        var deprovision = JsonDocument.Parse(Assert.Single(outbox, o => o.Kind == OutboxKinds.ProvisioningDeprovision).Payload).RootElement;
        Assert.False(deprovision.GetProperty("purgeData").GetBoolean());
        var rootId = (await _host.WithDbAsync(db => db.Entities.SingleAsync(e => e.PlatformId == pid && e.IsDefault))).Id;
        var orgDeletions = outbox.Where(o => o.Kind == OutboxKinds.IamDeleteOrg)
            .ToDictionary(o => o.TargetId!, o => JsonDocument.Parse(o.Payload).RootElement.GetProperty("depth").GetInt32());
        Assert.Equal(new Dictionary<string, int> { ["childaaaaa"] = 1, [rootId] = 0 }, orgDeletions);
        Assert.Contains("nno-platform-doomed", Assert.Single(outbox, o => o.Kind == OutboxKinds.CliArchiveRepo).Payload, StringComparison.Ordinal);
        Assert.Contains(outbox, o => o.Kind == OutboxKinds.IamNotify && o.Payload.Contains("platform_deleted", StringComparison.Ordinal));

        using (var gone = await owner.GetAsync($"{RegistryApi.Platforms}/{pid}"))
        {
            await gone.ExpectErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
        }

        using var op = _host.Operator();
        using var visible = await op.GetAsync($"{RegistryApi.Platforms}/{pid}");
        await visible.ExpectAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Delete_Pending_OnlyAfterFailedOrUnstartedOnboarding_CancelsTheSession()
    {
        var pid = (await _host.ImportAsync("halfway", owner: "usr_h")).GetProperty("id").GetString()!;
        await _host.SetStatusAsync(pid, "provisioning");
        using var op = _host.Operator();
        using (var refused = await op.PostJsonAsync(Url(pid, "delete"), new { reason = "x" }))
        {
            await refused.ExpectErrorAsync(HttpStatusCode.Conflict, "INVALID_TRANSITION");
        }

        await _host.WithDbAsync(async db =>
        {
            db.OnboardingSessions.Add(new OnboardingSessionRecord
            {
                Id = "onb_aaaaaaaaaaaaaaaa", PlatformId = pid, OwnerUserId = "usr_h", CreatedBy = "usr_h", RequestHash = "h", PlatformName = "H",
                Slug = "halfway", Tier = "starter", BillingEmail = "h@example.com", Environment = "prod", Status = OnboardingStatuses.Failed,
                Steps = "[]", CreatedAt = 1, UpdatedAt = 1,
            });
            await db.Platforms.Where(p => p.Id == pid).ExecuteUpdateAsync(s => s.SetProperty(p => p.BootstrapFailedAt, 5L));
            return await db.SaveChangesAsync();
        });
        using var deleted = await op.PostJsonAsync(Url(pid, "delete"), new { reason = "onboarding_abandoned" });
        Assert.Equal("deleted", (await deleted.ExpectAsync(HttpStatusCode.OK)).GetProperty("status").GetString());
        Assert.Equal(OnboardingStatuses.Cancelled, await _host.WithDbAsync(db => db.OnboardingSessions.Where(s => s.PlatformId == pid).Select(s => s.Status).SingleAsync()));
    }

    [Fact]
    public async Task ConcurrentSuspendAndCancel_ExactlyOneWinnerPerStep_EventsMatch()
    {
        var pid = (await _host.ImportAsync("contested")).GetProperty("id").GetString()!;
        using var op = _host.Operator();
        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => op.PostJsonAsync(Url(pid, i % 2 == 0 ? "suspend" : "cancel"), new { reason = "race " + i })));
        var winners = responses.Where(r => r.StatusCode == HttpStatusCode.OK).ToList();
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.OK), r => Assert.Equal(HttpStatusCode.Conflict, r.StatusCode));
        var events = await _host.WithDbAsync(db => db.LifecycleEvents.Where(e => e.PlatformId == pid && e.Event != "created").OrderBy(e => e.CreatedAt).ToListAsync());
        Assert.Equal(winners.Count, events.Count);
        // Legal chains only: suspend then cancel (→ cancelled), or cancel alone (→ pending_cancellation, nothing else legal after).
        var status = await _host.WithDbAsync(db => db.Platforms.Where(p => p.Id == pid).Select(p => p.Status).SingleAsync());
        Assert.True(
            (events.Count == 2 && events.Select(e => e.Event).ToHashSet().SetEquals(["suspend", "cancel"]) && status == "cancelled")
            || (events.Count == 1 && events[0].Event == "cancel" && status == "pending_cancellation"),
            string.Join(",", events.Select(e => e.Event)) + " → " + status);
        foreach (var r in responses)
        {
            r.Dispose();
        }
    }
}

using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Nno.Registry.Outbox;
using Nno.Registry.Tests.Support;

namespace Nno.Registry.Tests.Ownership;

/// <summary>registry.md §7 test 45: ownership transfer to a member, acceptance, expiry and the new owner's platform limit.</summary>
public sealed class OwnershipTransferTests : IAsyncLifetime
{
    private RegistryHost _host = null!;
    private string _pid = null!;

    public async Task InitializeAsync()
    {
        // The lifecycle sweep would clear an expired transfer within a minute (then accept is 404); these tests see the
        // route's own expiry check, so the sweep waits 30 days here (its expiry is tested in Lifecycle/SweepTests).
        _host = await RegistryHost.StartAsync(new Dictionary<string, string?> { ["Registry:Workers:LifecycleSweepSeconds"] = "2592000" });
        _pid = (await _host.ImportAsync("handover", owner: "usr_old")).GetProperty("id").GetString()!;
        _host.AddIamMember("usr_old", _pid, "owner");
        _host.AddIamMember("usr_new", _pid, "member");
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private string Url => $"{RegistryApi.Platforms}/{_pid}/ownership-transfer";

    [Fact]
    public async Task Transfer_ToMember_Accepted_ChangesOwnerAndQueuesOwnerThenAdmin()
    {
        using var oldOwner = _host.User("usr_old", (_pid, "owner"));
        using (var start = await oldOwner.PostJsonAsync(Url, new { toUserId = "usr_new" }))
        {
            var platform = await start.ExpectAsync(HttpStatusCode.OK);
            Assert.Equal("usr_new", platform.GetProperty("pendingOwnerUserId").GetString());
            Assert.Equal(_host.Time.GetUtcNow().AddDays(7), platform.GetProperty("transferExpiresAt").GetDateTimeOffset());
        }

        Assert.Contains(await _host.OutboxAsync(_pid), o => o.Kind == OutboxKinds.IamNotify && o.TargetId == "usr_new");
        using (var again = await oldOwner.PostJsonAsync(Url, new { toUserId = "usr_new" }))
        {
            await again.ExpectErrorAsync(HttpStatusCode.Conflict, "CONFLICT");
        }

        using (var stranger = _host.User("usr_stranger", (_pid, "member")))
        using (var refused = await stranger.PostJsonAsync(Url + "/accept", null))
        {
            await refused.ExpectErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
        }

        using var newOwner = _host.User("usr_new", (_pid, "member"));
        using var accept = await newOwner.PostJsonAsync(Url + "/accept", null);
        var accepted = await accept.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("usr_new", accepted.GetProperty("ownerUserId").GetString());
        Assert.Equal(JsonValueKind.Null, accepted.GetProperty("pendingOwnerUserId").ValueKind);

        var transfer = JsonDocument.Parse(Assert.Single(await _host.OutboxAsync(_pid), o => o.Kind == OutboxKinds.IamTransferOwner).Payload).RootElement;
        Assert.Equal(("usr_new", "usr_old"), (transfer.GetProperty("newOwnerUserId").GetString(), transfer.GetProperty("previousOwnerUserId").GetString()));
        Assert.Contains("owner_changed", await _host.WithDbAsync(db => db.LifecycleEvents.Where(e => e.PlatformId == _pid).Select(e => e.Event).ToListAsync()));
    }

    [Fact]
    public async Task Transfer_ToNonMemberOrSelf_Refused()
    {
        using var owner = _host.User("usr_old", (_pid, "owner"));
        using (var outsider = await owner.PostJsonAsync(Url, new { toUserId = "usr_outsider" }))
        {
            await outsider.ExpectErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
        }

        using var self = await owner.PostJsonAsync(Url, new { toUserId = "usr_old" });
        await self.ExpectErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
    }

    [Fact]
    public async Task Transfer_ByAdmin_Is403()
    {
        using var admin = _host.User("usr_adm", (_pid, "admin"));
        using var response = await admin.PostJsonAsync(Url, new { toUserId = "usr_new" });
        await response.ExpectErrorAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
    }

    [Fact]
    public async Task Transfer_After7Days_CannotBeAccepted()
    {
        using var owner = _host.User("usr_old", (_pid, "owner"));
        (await owner.PostJsonAsync(Url, new { toUserId = "usr_new" })).Dispose();
        _host.Time.Advance(TimeSpan.FromDays(7) + TimeSpan.FromSeconds(1));
        using var newOwner = _host.User("usr_new", (_pid, "member"));
        using var accept = await newOwner.PostJsonAsync(Url + "/accept", null);
        await accept.ExpectErrorAsync(HttpStatusCode.Conflict, "CONFLICT");
        Assert.Equal("usr_old", await _host.WithDbAsync(db => db.Platforms.Where(p => p.Id == _pid).Select(p => p.OwnerUserId).SingleAsync()));
    }

    [Fact]
    public async Task Transfer_ToStarterOwnerAtTheirLimit_AcceptIs403TierLimit()
    {
        await _host.ImportAsync("their-own", owner: "usr_new");
        using var owner = _host.User("usr_old", (_pid, "owner"));
        (await owner.PostJsonAsync(Url, new { toUserId = "usr_new" })).Dispose();
        using var newOwner = _host.User("usr_new", (_pid, "member"));
        using var accept = await newOwner.PostJsonAsync(Url + "/accept", null);
        await accept.ExpectErrorAsync(HttpStatusCode.Forbidden, "TIER_LIMIT_EXCEEDED");
    }

    [Fact]
    public async Task Withdraw_ByOwner_Is204_ThenNothingPendingIs404()
    {
        using var owner = _host.User("usr_old", (_pid, "owner"));
        (await owner.PostJsonAsync(Url, new { toUserId = "usr_new" })).Dispose();
        using (var withdraw = await owner.DeleteAsync(Url))
        {
            Assert.Equal(HttpStatusCode.NoContent, withdraw.StatusCode);
        }

        using var again = await owner.DeleteAsync(Url);
        await again.ExpectErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
    }
}

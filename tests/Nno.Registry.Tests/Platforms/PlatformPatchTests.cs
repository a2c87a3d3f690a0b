using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Nno.Registry.Outbox;
using Nno.Registry.Tests.Support;

namespace Nno.Registry.Tests.Platforms;

/// <summary>registry.md §7 test 10 (without the Billing parts, see decision 0332), ETags and field rights.</summary>
public sealed class PlatformPatchTests : IAsyncLifetime
{
    private RegistryHost _host = null!;
    private string _pid = null!;

    public async Task InitializeAsync()
    {
        _host = await RegistryHost.StartAsync();
        _pid = (await _host.ImportAsync("patchy", owner: "usr_owner")).GetProperty("id").GetString()!;
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private string Url => $"{RegistryApi.Platforms}/{_pid}";

    [Theory]
    [InlineData("{\"status\":\"suspended\"}", "status")]
    [InlineData("{\"slug\":\"other\"}", "slug")]
    [InlineData("{\"id\":\"aaaaaaaaaa\"}", "id")]
    [InlineData("{\"name\":\"x\",\"color\":\"red\"}", "color")]
    [InlineData("{}", "body")]
    [InlineData("{\"name\":\"\"}", "name")]
    [InlineData("{\"tier\":\"Gold\"}", "tier")]
    [InlineData("{\"name\":\"a\\u202Eb\"}", "name")]
    public async Task Patch_ForbiddenOrBadField_Is400AndChangesNothing(string json, string field)
    {
        using var owner = _host.User("usr_owner", (_pid, "owner"));
        using var response = await owner.PatchAsync(Url, new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        var error = await response.ExpectErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Contains(field, error.GetProperty("error").ToString(), StringComparison.Ordinal);
        Assert.Equal(1, await _host.WithDbAsync(db => db.Platforms.Where(p => p.Id == _pid).Select(p => p.Version).SingleAsync()));
    }

    [Fact]
    public async Task Patch_NameByAdmin_BumpsVersionAndETag_AuditsTheDiff()
    {
        using var admin = _host.User("usr_admin", (_pid, "admin"));
        using var response = await admin.PatchJsonAsync(Url, new { name = "  Renamed  " }, ifMatch: "\"1\"");
        var platform = await response.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(("Renamed", 2L), (platform.GetProperty("name").GetString(), platform.GetProperty("version").GetInt64()));
        Assert.Equal("\"2\"", response.Headers.ETag?.Tag);

        var audit = await _host.WithDbAsync(db => db.AuditLog.SingleAsync(a => a.PlatformId == _pid && a.Action == "platform.updated"));
        var changes = JsonDocument.Parse(audit.Details).RootElement.GetProperty("changes").GetProperty("name");
        Assert.Equal(new[] { "Platform patchy", "Renamed" }, changes.EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(("user", "usr_admin", "session"), (audit.ActorType, audit.ActorId, audit.ActorAuth));
    }

    [Fact]
    public async Task Patch_StaleIfMatch_Is409()
    {
        using var owner = _host.User("usr_owner", (_pid, "owner"));
        (await owner.PatchJsonAsync(Url, new { name = "First" })).Dispose();
        using var stale = await owner.PatchJsonAsync(Url, new { name = "Second" }, ifMatch: "\"1\"");
        await stale.ExpectErrorAsync(HttpStatusCode.Conflict, "CONFLICT");
        Assert.Equal("First", (await owner.GetFromJsonAsync<JsonElement>(Url)).GetProperty("name").GetString());
    }

    [Fact]
    public async Task Patch_TierWithoutSubscription_CommitsLocallyAndQueuesKv()
    {
        using var owner = _host.User("usr_owner", (_pid, "owner"));
        using var response = await owner.PatchJsonAsync(Url, new { tier = "growth" });
        Assert.Equal("growth", (await response.ExpectAsync(HttpStatusCode.OK)).GetProperty("tier").GetString());
        var kv = (await _host.OutboxAsync(_pid)).Count(o => o.Kind == OutboxKinds.KvPlatformStatus);
        Assert.Equal(2, kv); // import + tier change
    }

    [Fact]
    public async Task Patch_TierWithSubscription_Is503NamingBilling_TierUnchanged()
    {
        await _host.WithDbAsync(db => db.Platforms.Where(p => p.Id == _pid).ExecuteUpdateAsync(s => s.SetProperty(p => p.StripeCustomerId, "cus_Abc123")));
        using var owner = _host.User("usr_owner", (_pid, "owner"));
        using var response = await owner.PatchJsonAsync(Url, new { tier = "scale", prorationDate = "2026-01-01T00:00:00Z" });
        var error = await response.ExpectErrorAsync(HttpStatusCode.ServiceUnavailable, "SERVICE_UNAVAILABLE");
        Assert.Contains("Billing", error.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("starter", await _host.WithDbAsync(db => db.Platforms.Where(p => p.Id == _pid).Select(p => p.Tier).SingleAsync()));
    }

    [Theory]
    [InlineData("cfAccountId", "0123456789abcdef0123456789abcdef")]
    [InlineData("stripeCustomerId", "cus_X1")]
    [InlineData("ownerUserId", "usr_thief")]
    [InlineData("class", "user_project")]
    public async Task Patch_OperatorFieldByOwner_Is403(string field, string value)
    {
        using var owner = _host.User("usr_owner", (_pid, "owner"));
        using var response = await owner.PatchJsonAsync(Url, new Dictionary<string, string> { [field] = value });
        await response.ExpectErrorAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
    }

    [Fact]
    public async Task Patch_ByMember_Is403()
    {
        using var member = _host.User("usr_m", (_pid, "member"));
        using var response = await member.PatchJsonAsync(Url, new { name = "Nope" });
        await response.ExpectErrorAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
    }

    [Fact]
    public async Task Patch_OwnerUserIdByOperator_QueuesTransferOwnerAndOwnerChangedEvent()
    {
        using var op = _host.Operator();
        using var response = await op.PatchJsonAsync(Url, new { ownerUserId = "usr_new", stripeCustomerId = "cus_Z9" });
        var platform = await response.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(("usr_new", "cus_Z9"), (platform.GetProperty("ownerUserId").GetString(), platform.GetProperty("stripeCustomerId").GetString()));
        var transfer = Assert.Single(await _host.OutboxAsync(_pid), o => o.Kind == OutboxKinds.IamTransferOwner);
        var payload = JsonDocument.Parse(transfer.Payload).RootElement;
        Assert.Equal(("usr_new", "usr_owner"), (payload.GetProperty("newOwnerUserId").GetString(), payload.GetProperty("previousOwnerUserId").GetString()));
        Assert.Contains(await _host.WithDbAsync(db => db.LifecycleEvents.Where(e => e.PlatformId == _pid).Select(e => e.Event).ToListAsync()), e => e == "owner_changed");
    }

    [Fact]
    public async Task Get_ReturnsETagOfVersion()
    {
        using var member = _host.User("usr_m", (_pid, "member"));
        using var response = await member.GetAsync(Url);
        await response.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("\"1\"", response.Headers.ETag?.Tag);
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Nno.Testing;
using Nno.Testing.Sandbox;

namespace Nno.Sandbox.Tests;

public sealed class PipelineTests
{
    [Fact]
    public async Task TokenVerify_WithSandboxToken_AnswersTheEnvelopeWithAnActiveToken()
    {
        await using var sandbox = await Sandbox.StartAsync();
        var response = await sandbox.ApiClient().GetAsync("user/tokens/verify");
        var body = await response.EnvelopeAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(body.GetProperty("success").GetBoolean());
        Assert.Equal(0, body.GetProperty("errors").GetArrayLength());
        Assert.Equal("active", body.GetProperty("result").GetProperty("status").GetString());
        Assert.Matches("^[0-9a-f]{32}$", body.GetProperty("result").GetProperty("id").GetString());

        var account = await (await sandbox.ApiClient().GetAsync($"accounts/{Sandbox.Account}/tokens/verify")).ResultAsync();
        Assert.Equal("active", account.GetProperty("status").GetString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-token")]
    public async Task AnyRoute_WithoutAValidToken_Is403Code10000(string? token)
    {
        await using var sandbox = await Sandbox.StartAsync();
        var message = await (await sandbox.ApiClient(token).GetAsync("zones")).AssertErrorAsync(403, 10000);
        Assert.Equal("Authentication error", message);
    }

    [Fact]
    public async Task ConfiguredTokens_ReplaceTheDefault()
    {
        await using var sandbox = await Sandbox.StartAsync(settings: new Dictionary<string, string?> { ["Sandbox:Cloudflare:Tokens:0"] = "other-token" });
        await (await sandbox.ApiClient().GetAsync("user/tokens/verify")).AssertErrorAsync(403, 10000);
        await (await sandbox.ApiClient("other-token").GetAsync("user/tokens/verify")).ResultAsync();
    }

    [Theory]
    [InlineData("GET", "no/such/route")]
    [InlineData("DELETE", "user/tokens/verify")]
    public async Task UnknownRouteOrMethod_Is404Code7000(string method, string path)
    {
        await using var sandbox = await Sandbox.StartAsync();
        var response = await sandbox.ApiClient().SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        await response.AssertErrorAsync(404, 7000);
    }

    [Fact]
    public async Task AnotherAccountOrZone_Is404Code7003()
    {
        await using var sandbox = await Sandbox.StartAsync();
        await (await sandbox.ApiClient().GetAsync("accounts/ffffffffffffffffffffffffffffffff/d1/database")).AssertErrorAsync(404, 7003);
        await (await sandbox.ApiClient().GetAsync("zones/ffffffffffffffffffffffffffffffff/custom_hostnames")).AssertErrorAsync(404, 7003);
    }

    [Fact]
    public async Task Zones_ByName_ListTheConfiguredZoneWithPageInfo()
    {
        await using var sandbox = await Sandbox.StartAsync();
        var body = await (await sandbox.ApiClient().GetAsync("zones?name=nno.run")).EnvelopeAsync();
        Assert.Equal(Sandbox.Zone, body.GetProperty("result")[0].GetProperty("id").GetString());
        Assert.Equal("active", body.GetProperty("result")[0].GetProperty("status").GetString());
        var info = body.GetProperty("result_info");
        Assert.Equal(1, info.GetProperty("page").GetInt32());
        Assert.Equal(1, info.GetProperty("count").GetInt32());
        Assert.Equal(1, info.GetProperty("total_count").GetInt32());
        Assert.Equal(1, info.GetProperty("total_pages").GetInt32());

        var none = await (await sandbox.ApiClient().GetAsync("zones?name=example.com")).EnvelopeAsync();
        Assert.Equal(0, none.GetProperty("result").GetArrayLength());
        var zone = await (await sandbox.ApiClient().GetAsync($"zones/{Sandbox.Zone}")).ResultAsync();
        Assert.Equal("nno.run", zone.GetProperty("name").GetString());
    }

    [Fact]
    public async Task RateLimit_Request1201InTheWindow_Is429Code971WithRetryAfter_AndTheBlockLasts()
    {
        var time = Sandbox.NewClock();
        await using var sandbox = await Sandbox.StartAsync(time, new Dictionary<string, string?>
        {
            ["Sandbox:Cloudflare:RateLimit:Limit"] = "1200",
            ["Sandbox:Cloudflare:RateLimit:WindowSeconds"] = "300",
            ["Sandbox:Cloudflare:RateLimit:BlockSeconds"] = "300",
        });
        var api = sandbox.ApiClient();
        HttpResponseMessage last = null!;
        for (var i = 1; i <= 1200; i++)
        {
            last = await api.GetAsync("user/tokens/verify");
            Assert.Equal(HttpStatusCode.OK, last.StatusCode);
        }

        Assert.Equal("\"default\";r=0;t=300", last.Headers.GetValues("Ratelimit").Single());
        Assert.Equal("\"default\";q=1200;w=300", last.Headers.GetValues("Ratelimit-Policy").Single());

        var refused = await api.GetAsync("user/tokens/verify");
        var message = await refused.AssertErrorAsync(429, 971);
        Assert.Equal("More than 1200 requests per 300 seconds reached. Please wait and consider throttling your request speed", message);
        Assert.Equal(TimeSpan.FromSeconds(300), refused.Headers.RetryAfter?.Delta);
        Assert.True(refused.Headers.Contains("Ratelimit"));

        // Blocked for blockSeconds even though the window would free up; another token is not affected.
        time.Advance(TimeSpan.FromSeconds(299));
        var stillBlocked = await api.GetAsync("user/tokens/verify");
        await stillBlocked.AssertErrorAsync(429, 971);
        Assert.Equal(TimeSpan.FromSeconds(1), stillBlocked.Headers.RetryAfter?.Delta);
        await (await sandbox.ApiClient("other").GetAsync("user/tokens/verify")).AssertErrorAsync(403, 10000);

        time.Advance(TimeSpan.FromSeconds(1));
        var again = await api.GetAsync("user/tokens/verify");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("\"default\";r=1199;t=300", again.Headers.GetValues("Ratelimit").Single());
    }

    [Fact]
    public async Task RateLimit_SlidingWindow_FreesSlotsAsOldRequestsAge()
    {
        var time = Sandbox.NewClock();
        await using var sandbox = await Sandbox.StartAsync(time, new Dictionary<string, string?>
        {
            ["Sandbox:Cloudflare:RateLimit:Limit"] = "3",
            ["Sandbox:Cloudflare:RateLimit:WindowSeconds"] = "10",
            ["Sandbox:Cloudflare:RateLimit:BlockSeconds"] = "0",
        });
        var api = sandbox.ApiClient();
        await (await api.GetAsync("zones")).ResultAsync();
        time.Advance(TimeSpan.FromSeconds(6));
        await (await api.GetAsync("zones")).ResultAsync();
        var third = await api.GetAsync("zones");
        Assert.Equal("\"default\";r=0;t=4", third.Headers.GetValues("Ratelimit").Single());
        await (await api.GetAsync("zones")).AssertErrorAsync(429, 971);
        time.Advance(TimeSpan.FromSeconds(4));
        await (await api.GetAsync("zones")).ResultAsync();
    }

    [Fact]
    public async Task Admin_WithoutTheHeader_Is401AndChangesNothing()
    {
        await using var sandbox = await Sandbox.StartAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, (await sandbox.AdminClient(null).GetAsync("faults")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await sandbox.AdminClient("wrong").PutFaultsAsync(new { errorRate = 1.0 })).StatusCode);
        await (await sandbox.ApiClient().GetAsync("zones")).ResultAsync();
        Assert.Equal(HttpStatusCode.OK, (await sandbox.AdminClient().GetAsync("faults")).StatusCode);
    }

    [Fact]
    public async Task Admin_RequestLog_ListsRequestsWithTheTokenMasked()
    {
        await using var sandbox = await Sandbox.StartAsync();
        await sandbox.ApiClient().GetAsync("zones?name=nno.run");
        await sandbox.ApiClient(null).GetAsync("zones");
        var entries = await sandbox.AdminClient().GetFromJsonAsync<JsonElement>("requests");
        Assert.Equal(2, entries.GetArrayLength());
        Assert.Equal("GET", entries[0].GetProperty("method").GetString());
        Assert.Equal("/cloudflare/client/v4/zones", entries[0].GetProperty("path").GetString());
        Assert.Equal(200, entries[0].GetProperty("status").GetInt32());
        Assert.Equal("…oken", entries[0].GetProperty("token").GetString());
        Assert.DoesNotContain(TestSandbox.Token, entries.ToString(), StringComparison.Ordinal);
        Assert.Equal(403, entries[1].GetProperty("status").GetInt32());

        var seq = entries[0].GetProperty("seq").GetInt64();
        var after = await sandbox.AdminClient().GetFromJsonAsync<JsonElement>($"requests?since={seq}");
        Assert.Equal(1, after.GetArrayLength());
        var future = await sandbox.AdminClient().GetFromJsonAsync<JsonElement>("requests?since=2030-01-01T00:00:00Z");
        Assert.Equal(0, future.GetArrayLength());
    }

    [Fact]
    public async Task Admin_StateAndReset_CountResourcesThenDeleteEverything()
    {
        await using var sandbox = await Sandbox.StartAsync();
        var api = sandbox.ApiClient();
        await api.CreateD1Async("alpha");
        await api.CreateD1Async("beta");
        var state = await sandbox.AdminClient().GetFromJsonAsync<JsonElement>("state");
        Assert.Equal(2, state.GetProperty("d1").GetProperty("count").GetInt32());
        Assert.Equal(["alpha", "beta"], state.GetProperty("d1").GetProperty("names").EnumerateArray().Select(n => n.GetString()));

        await sandbox.AdminClient().PutFaultsAsync(new { errorRate = 0.5 });
        Assert.Equal(HttpStatusCode.NoContent, (await sandbox.AdminClient().PostAsync("reset", null)).StatusCode);
        var after = await sandbox.AdminClient().GetFromJsonAsync<JsonElement>("state");
        Assert.Equal(0, after.GetProperty("d1").GetProperty("count").GetInt32());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(sandbox.DataDirectory.Path, "sandbox", "cloudflare"), "*.sqlite3", SearchOption.AllDirectories));
        var faults = await sandbox.AdminClient().GetFromJsonAsync<JsonElement>("faults");
        Assert.Equal(0, faults.GetProperty("errorRate").GetDouble());
        Assert.Equal(0, (await (await api.GetAsync($"accounts/{Sandbox.Account}/d1/database")).ResultAsync()).GetArrayLength());
    }

    [Fact]
    public async Task Admin_Usage_AddsToTheCountersAnalyticsReads()
    {
        await using var sandbox = await Sandbox.StartAsync();
        var admin = sandbox.AdminClient();
        var injection = new { date = "2026-01-01", dataset = "r2StorageAdaptiveGroups", dimension = "bucket-a", metric = "payloadSize", value = 1024.0 };
        Assert.Equal(HttpStatusCode.NoContent, (await admin.PostAsJsonAsync("usage", injection)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.PostAsJsonAsync("usage", injection)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsJsonAsync("usage", new { date = "yesterday", dataset = "x", dimension = "y", metric = "z", value = 1 })).StatusCode);

        var usage = new Nno.Sandbox.Cloudflare.Common.CloudflareUsage(
            (Nno.Sandbox.Cloudflare.Common.CloudflareState)sandbox.App.Services.GetService(typeof(Nno.Sandbox.Cloudflare.Common.CloudflareState))!);
        var rows = await usage.ReadAsync("r2StorageAdaptiveGroups", new DateOnly(2026, 1, 1), new DateOnly(2026, 1, 31));
        var row = Assert.Single(rows);
        Assert.Equal(2048, row.Value);
        Assert.Equal("bucket-a", row.Dimension);
    }

    [Fact]
    public async Task State_SurvivesARestartOnTheSameDataDirectory()
    {
        var time = Sandbox.NewClock();
        using var dataDir = new TempDirectory("nno-sandbox-restart");
        string uuid;
        await using (var first = await TestSandbox.StartAsync(time, dataDir: dataDir))
        {
            uuid = await first.ApiClient().CreateD1Async("kept");
            await (await first.ApiClient().QueryAsync(uuid, new { sql = "CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('still here')" })).ResultAsync();
            await (await first.ApiClient().UploadWorkerAsync("kept-worker", new System.Text.Json.Nodes.JsonObject { ["main_module"] = "index.js" })).ResultAsync();
            await first.StopKeepingDataAsync();
        }

        await using var second = await TestSandbox.StartAsync(time, dataDir: dataDir);
        var rows = await (await second.ApiClient().QueryAsync(uuid, new { sql = "SELECT v FROM t" })).ResultAsync();
        Assert.Equal("still here", rows[0].GetProperty("results")[0].GetProperty("v").GetString());
        var scripts = await (await second.ApiClient().GetAsync($"accounts/{Sandbox.Account}/workers/scripts")).ResultAsync();
        Assert.Equal("kept-worker", scripts[0].GetProperty("id").GetString());
    }
}

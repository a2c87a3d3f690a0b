using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Nno.Sandbox.Tests;

public sealed class FaultTests
{
    [Fact]
    public async Task FailNext_AnswersTheScriptedErrorCountTimes_ForMatchingRequestsOnly()
    {
        await using var sandbox = await Sandbox.StartAsync();
        var admin = sandbox.AdminClient();
        Assert.Equal(HttpStatusCode.OK, (await admin.PutFaultsAsync(new
        {
            failNext = new[] { new { method = "POST", pathRegex = "/d1/database$", status = 503, code = 10013, message = "try later", count = 2 } },
        })).StatusCode);
        var api = sandbox.ApiClient();
        await (await api.GetAsync($"accounts/{Sandbox.Account}/d1/database")).ResultAsync();
        Assert.Equal("try later", await (await api.PostAsJsonAsync($"accounts/{Sandbox.Account}/d1/database", new { name = "a" })).AssertErrorAsync(503, 10013));
        var faults = await admin.GetFromJsonAsync<JsonElement>("faults");
        Assert.Equal(1, faults.GetProperty("failNext")[0].GetProperty("count").GetInt32());
        await (await api.PostAsJsonAsync($"accounts/{Sandbox.Account}/d1/database", new { name = "a" })).AssertErrorAsync(503, 10013);
        await (await api.PostAsJsonAsync($"accounts/{Sandbox.Account}/d1/database", new { name = "a" })).ResultAsync();
        // The failed attempts changed nothing.
        Assert.Equal(1, (await (await api.GetAsync($"accounts/{Sandbox.Account}/d1/database")).ResultAsync()).GetArrayLength());
    }

    [Fact]
    public async Task ErrorRate_WithASeed_RepeatsTheSameOutcomes_WithTheConfiguredStatusAndCode10001()
    {
        await using var sandbox = await Sandbox.StartAsync();
        var admin = sandbox.AdminClient();
        var api = sandbox.ApiClient();
        async Task<List<int>> RunAsync()
        {
            await admin.PutFaultsAsync(new { errorRate = 0.5, errorStatus = 502, seed = 42 });
            var statuses = new List<int>();
            for (var i = 0; i < 30; i++)
            {
                var response = await api.GetAsync("zones");
                statuses.Add((int)response.StatusCode);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    await response.AssertErrorAsync(502, 10001);
                }
            }

            return statuses;
        }

        var first = await RunAsync();
        var second = await RunAsync();
        Assert.Equal(first, second);
        Assert.Contains(200, first);
        Assert.Contains(502, first);
    }

    [Fact]
    public async Task PathRegex_ScopesRandomFaults()
    {
        await using var sandbox = await Sandbox.StartAsync();
        await sandbox.AdminClient().PutFaultsAsync(new { errorRate = 1.0, pathRegex = "/d1/" });
        var api = sandbox.ApiClient();
        await (await api.GetAsync("zones")).ResultAsync();
        await (await api.GetAsync($"accounts/{Sandbox.Account}/d1/database")).AssertErrorAsync(500, 10001);
    }

    [Fact]
    public async Task RateLimitRate_AnswersA429Code971WithTheConfiguredRetryAfter()
    {
        await using var sandbox = await Sandbox.StartAsync();
        await sandbox.AdminClient().PutFaultsAsync(new { rateLimitRate = 1.0, retryAfterSeconds = 7 });
        var response = await sandbox.ApiClient().GetAsync("zones");
        await response.AssertErrorAsync(429, 971);
        Assert.Equal(TimeSpan.FromSeconds(7), response.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task Latency_HoldsTheAnswerUntilTheClockPassesIt()
    {
        var time = Sandbox.NewClock();
        await using var sandbox = await Sandbox.StartAsync(time);
        await sandbox.AdminClient().PutFaultsAsync(new { latencyMs = new { min = 5000, max = 5000 } });
        var pending = sandbox.ApiClient().GetAsync("zones");
        var early = await Task.WhenAny(pending, Task.Delay(TimeSpan.FromMilliseconds(300)));
        Assert.NotSame(pending, early);
        time.Advance(TimeSpan.FromMilliseconds(4999));
        Assert.NotSame(pending, await Task.WhenAny(pending, Task.Delay(TimeSpan.FromMilliseconds(100))));
        time.Advance(TimeSpan.FromMilliseconds(1));
        await (await pending.WaitAsync(TimeSpan.FromSeconds(10))).ResultAsync();
    }

    [Fact]
    public async Task DropResponseRate_RunsTheHandlerThenAbortsTheConnection()
    {
        await using var sandbox = await Sandbox.StartAsync();
        var admin = sandbox.AdminClient();
        await admin.PutFaultsAsync(new { dropResponseRate = 1.0 });
        var api = sandbox.ApiClient();
        await Assert.ThrowsAsync<HttpRequestException>(() => api.PostAsJsonAsync($"accounts/{Sandbox.Account}/d1/database", new { name = "dropped" }));
        await admin.PutFaultsAsync(new { });
        var list = await (await api.GetAsync($"accounts/{Sandbox.Account}/d1/database?name=dropped")).ResultAsync();
        Assert.Equal(1, list.GetArrayLength());
    }

    [Fact]
    public async Task RateLimitKnob_ReplacesTheConfiguredLimitFromTheNextRequest()
    {
        await using var sandbox = await Sandbox.StartAsync();
        await sandbox.AdminClient().PutFaultsAsync(new { rateLimit = new { limit = 2, windowSeconds = 60, blockSeconds = 30 } });
        var api = sandbox.ApiClient();
        var first = await api.GetAsync("zones");
        Assert.Equal("\"default\";q=2;w=60", first.Headers.GetValues("Ratelimit-Policy").Single());
        await (await api.GetAsync("zones")).ResultAsync();
        var refused = await api.GetAsync("zones");
        await refused.AssertErrorAsync(429, 971);
        Assert.Equal(TimeSpan.FromSeconds(30), refused.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task Faults_InvalidKnobs_Are400AndChangeNothing()
    {
        await using var sandbox = await Sandbox.StartAsync();
        var admin = sandbox.AdminClient();
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PutFaultsAsync(new { errorRate = 2.0 })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PutFaultsAsync(new { errorStatus = 418 })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PutFaultsAsync(new { pathRegex = "(" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PutFaultsAsync(new { unknownKnob = 1 })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PutFaultsAsync(new { latencyMs = new { min = 10, max = 5 } })).StatusCode);
        var faults = await admin.GetFromJsonAsync<JsonElement>("faults");
        Assert.Equal(0, faults.GetProperty("errorRate").GetDouble());
        Assert.Equal(1, faults.GetProperty("sslActivationDelaySeconds").GetInt32());
        Assert.Equal(5, faults.GetProperty("pagesBuildSeconds").GetInt32());
        await (await sandbox.ApiClient().GetAsync("zones")).ResultAsync();
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Primitives;
using Nno.Core.Errors;
using Nno.ServiceDefaults.Idempotency;
using Nno.ServiceDefaults.Tests.Support;

namespace Nno.ServiceDefaults.Tests.Idempotency;

public sealed class IdempotencyTests
{
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Nno:Idempotency:CleanupInterval"] = "00:01:00",
    };

    private static Task<TestServiceApp> StartAsync() =>
        TestServiceApp.StartAsync(IdempotencyTestEndpoints.Map, Settings, IdempotencyTestEndpoints.AddServices);

    private static HttpRequestMessage Post(string path, string? key, string principal = "session:usr_alice", string body = """{"name":"one"}""")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add(TestServiceApp.PrincipalHeader, principal);
        if (key is not null)
        {
            request.Headers.TryAddWithoutValidation(IdempotencyMiddleware.HeaderName, key);
        }

        return request;
    }

    private static bool IsReplay(HttpResponseMessage response) =>
        response.Headers.TryGetValues(IdempotencyMiddleware.ReplayedHeaderName, out var values) && values.Single() == "true";

    [Fact]
    public async Task Repeat_SameKeySameBody_ReplaysFirstResponseByteForByte()
    {
        await using var app = await StartAsync();

        using var first = await app.Client.SendAsync(Post("/things", "k-1"));
        using var second = await app.Client.SendAsync(Post("/things", "k-1"));

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.False(IsReplay(first));
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.True(IsReplay(second));
        Assert.Equal(await first.Content.ReadAsByteArrayAsync(), await second.Content.ReadAsByteArrayAsync());
        Assert.Equal(first.Content.Headers.ContentType, second.Content.Headers.ContentType);
        Assert.Equal("/things/thing-1", second.Headers.Location?.OriginalString);
        Assert.Equal(1, app.Service<RunCounter>().Runs("things"));
    }

    [Fact]
    public async Task Repeat_SameKeyDifferentBody_Is409ConflictAndDoesNotRun()
    {
        await using var app = await StartAsync();

        using var first = await app.Client.SendAsync(Post("/things", "k-1", body: """{"name":"one"}"""));
        using var second = await app.Client.SendAsync(Post("/things", "k-1", body: """{"name":"two"}"""));

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var error = await Envelope.AssertAsync(second, HttpStatusCode.Conflict, "CONFLICT");
        Assert.Equal("idempotency_key_reused", error.GetProperty("details").GetProperty("reason").GetString());
        Assert.Equal(1, app.Service<RunCounter>().Runs("things"));
    }

    [Fact]
    public async Task Repeat_SameKeyOtherRoute_Is409Conflict()
    {
        await using var app = await StartAsync();

        using var first = await app.Client.SendAsync(Post("/things", "k-1"));
        using var second = await app.Client.SendAsync(Post("/slow", "k-1"));

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        await Envelope.AssertAsync(second, HttpStatusCode.Conflict, "CONFLICT");
        Assert.Equal(0, app.Service<RunCounter>().Runs("slow"));
    }

    [Fact]
    public async Task SameKey_DifferentPrincipals_AreIndependent()
    {
        await using var app = await StartAsync();

        using var alice = await app.Client.SendAsync(Post("/things", "shared", "session:usr_alice"));
        using var bob = await app.Client.SendAsync(Post("/things", "shared", "session:usr_bob", """{"name":"bob's"}"""));
        using var aliceKey = await app.Client.SendAsync(Post("/things", "shared", "apikey:key_alice"));
        using var registry = await app.Client.SendAsync(Post("/things", "shared", "service:registry"));
        using var aliceAgain = await app.Client.SendAsync(Post("/things", "shared", "session:usr_alice"));

        Assert.All([alice, bob, aliceKey, registry], r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        Assert.All([alice, bob, aliceKey, registry], r => Assert.False(IsReplay(r)));
        Assert.Equal(4, app.Service<RunCounter>().Runs("things"));
        Assert.True(IsReplay(aliceAgain));
        Assert.Equal(await alice.Content.ReadAsStringAsync(), await aliceAgain.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task SecretBearing_RepeatAnswers409WithCreatedIdAndStoresNoBody()
    {
        await using var app = await StartAsync();

        using var first = await app.Client.SendAsync(Post("/keys", "k-key"));
        using var second = await app.Client.SendAsync(Post("/keys", "k-key"));

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var created = await first.Content.ReadFromJsonAsync<JsonElement>();
        Assert.StartsWith("nno_secret_", created.GetProperty("key").GetString(), StringComparison.Ordinal);
        var error = await Envelope.AssertAsync(second, HttpStatusCode.Conflict, "CONFLICT");
        Assert.Equal("key-1", error.GetProperty("details").GetProperty("id").GetString());
        Assert.DoesNotContain("nno_secret_", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, app.Service<RunCounter>().Runs("keys"));

        await using var scope = app.Scope(out var db);
        var row = await db.Set<IdempotencyRecord>().SingleAsync();
        Assert.Equal(IdempotencyState.SecretBearing, row.State);
        Assert.Null(row.ResponseBody);
        Assert.Null(row.ResponseHeaders);
        Assert.Equal("key-1", row.ResourceId);
    }

    [Fact]
    public async Task SecretBearing_IdDeclaredByEndpoint_IsReturnedOnRepeat()
    {
        await using var app = await StartAsync();

        using var first = await app.Client.SendAsync(Post("/keys-declared", "k-2", body: ""));
        using var second = await app.Client.SendAsync(Post("/keys-declared", "k-2", body: ""));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var error = await Envelope.AssertAsync(second, HttpStatusCode.Conflict, "CONFLICT");
        Assert.Equal("declared-1", error.GetProperty("details").GetProperty("id").GetString());
    }

    [Theory]
    [InlineData("throw", HttpStatusCode.InternalServerError, "INTERNAL_ERROR")]
    [InlineData("503", HttpStatusCode.ServiceUnavailable, "SERVICE_UNAVAILABLE")]
    [InlineData("429", HttpStatusCode.TooManyRequests, "RATE_LIMITED")]
    [InlineData("409-retry-after", HttpStatusCode.Conflict, "CONFLICT")]
    [InlineData("409-marked", HttpStatusCode.Conflict, null)]
    public async Task ResponseAskingForRetry_IsNotStored_SoTheRetryRunsAgain(string mode, HttpStatusCode failure, string? code)
    {
        await using var app = await StartAsync();

        using var first = await app.Client.SendAsync(Post($"/fail-once/{mode}", "k-retry"));
        using var retry = await app.Client.SendAsync(Post($"/fail-once/{mode}", "k-retry"));
        using var repeat = await app.Client.SendAsync(Post($"/fail-once/{mode}", "k-retry"));

        if (code is null)
        {
            Assert.Equal(failure, first.StatusCode);
        }
        else
        {
            await Envelope.AssertAsync(first, failure, code);
        }

        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.False(IsReplay(retry));
        Assert.Equal($"{mode}-2", (await retry.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString());
        Assert.True(IsReplay(repeat));
        Assert.Equal(2, app.Service<RunCounter>().Runs("fail-once-" + mode));
    }

    [Fact]
    public async Task ClientError_IsStoredAndReplayedWithTheFirstEnvelope()
    {
        await using var app = await StartAsync();

        using var first = await app.Client.SendAsync(Post("/missing", "k-404"));
        using var second = await app.Client.SendAsync(Post("/missing", "k-404"));

        var error = await Envelope.AssertAsync(first, HttpStatusCode.NotFound, "NOT_FOUND");
        Assert.Equal("thing", error.GetProperty("details").GetProperty("resource").GetString());
        Assert.Equal(HttpStatusCode.NotFound, second.StatusCode);
        Assert.True(IsReplay(second));
        Assert.Equal(await first.Content.ReadAsByteArrayAsync(), await second.Content.ReadAsByteArrayAsync());
        Assert.Equal(1, app.Service<RunCounter>().Runs("missing"));
    }

    [Fact]
    public async Task ConcurrentRepeat_WhileFirstRuns_Is409RetryAndNotStored()
    {
        await using var app = await StartAsync();
        var gate = app.Service<Gate>();

        var firstTask = app.Client.SendAsync(Post("/slow", "k-slow"));
        await gate.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        using var concurrent = await app.Client.SendAsync(Post("/slow", "k-slow"));
        gate.Release.SetResult();
        using var first = await firstTask;
        using var later = await app.Client.SendAsync(Post("/slow", "k-slow"));

        var error = await Envelope.AssertAsync(concurrent, HttpStatusCode.Conflict, "CONFLICT");
        Assert.Equal("request_in_progress", error.GetProperty("details").GetProperty("reason").GetString());
        Assert.Equal("1", concurrent.Headers.GetValues("Retry-After").Single());
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.True(IsReplay(later));
        Assert.Equal(await first.Content.ReadAsByteArrayAsync(), await later.Content.ReadAsByteArrayAsync());
        Assert.Equal(1, app.Service<RunCounter>().Runs("slow"));
    }

    [Fact]
    public async Task ParallelFirstRequests_RunTheWorkOnce()
    {
        await using var app = await StartAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => app.Client.SendAsync(Post("/things", "k-race"))));

        Assert.Equal(1, app.Service<RunCounter>().Runs("things"));
        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created && !IsReplay(r));
        Assert.All(responses, r => Assert.True(
            (r.StatusCode == HttpStatusCode.Created) || (r.StatusCode == HttpStatusCode.Conflict && r.Headers.Contains("Retry-After")),
            $"Unexpected {(int)r.StatusCode}"));
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task StoredResponse_ExpiresAfter24Hours_ThenTheKeyIsNew()
    {
        await using var app = await StartAsync();

        using var first = await app.Client.SendAsync(Post("/things", "k-exp", body: """{"name":"one"}"""));
        app.Time.Advance(TimeSpan.FromHours(24) - TimeSpan.FromSeconds(1));
        using var beforeExpiry = await app.Client.SendAsync(Post("/things", "k-exp", body: """{"name":"one"}"""));
        app.Time.Advance(TimeSpan.FromSeconds(1));
        using var afterExpiry = await app.Client.SendAsync(Post("/things", "k-exp", body: """{"name":"two"}"""));

        Assert.True(IsReplay(beforeExpiry));
        Assert.Equal(HttpStatusCode.Created, afterExpiry.StatusCode);
        Assert.False(IsReplay(afterExpiry));
        Assert.Equal("two", (await afterExpiry.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("name").GetString());
        Assert.Equal(2, app.Service<RunCounter>().Runs("things"));
    }

    [Fact]
    public async Task Cleanup_PurgesExpiredRowsOnTheServiceClock()
    {
        await using var app = await StartAsync();
        using var old = await app.Client.SendAsync(Post("/things", "k-old"));
        app.Time.Advance(TimeSpan.FromHours(12));
        using var recent = await app.Client.SendAsync(Post("/things", "k-recent"));
        Assert.Equal(2, await CountRowsAsync(app));

        // 24 h after the first row; the cleanup ticks every minute of the fake clock.
        app.Time.Advance(TimeSpan.FromHours(12) + TimeSpan.FromMinutes(1));

        await WaitUntilAsync(async () => await CountRowsAsync(app) == 1);
        await using var scope = app.Scope(out var db);
        Assert.Equal("k-recent", (await db.Set<IdempotencyRecord>().SingleAsync()).Key);
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("ключ")]
    [InlineData("tab\tinside")]
    public async Task InvalidKey_Is400NamingTheHeader(string key)
    {
        await using var app = await StartAsync();

        using var response = await app.Client.SendAsync(Post("/things", key));

        await Envelope.AssertValidationAsync(response, "Idempotency-Key");
        Assert.Equal(0, app.Service<RunCounter>().Runs("things"));
    }

    [Fact]
    public void ParseKey_EmptyOrMissingValue_IsValidationErrorNamingTheHeader()
    {
        // An empty header cannot be sent through HttpClient; Kestrel passes it on as one empty value.
        foreach (var values in new[] { new StringValues(string.Empty), StringValues.Empty, new StringValues(["a", "b"]) })
        {
            var error = Assert.Throws<ApiException>(() => IdempotencyMiddleware.ParseKey(values));
            Assert.Equal("VALIDATION_ERROR", error.Code);
            Assert.Contains("Idempotency-Key", JsonSerializer.Serialize(error.Details), StringComparison.Ordinal);
        }

        Assert.Equal("onboarding:k3m9p2xw7q:billing", IdempotencyMiddleware.ParseKey(new StringValues("onboarding:k3m9p2xw7q:billing")));
    }

    [Fact]
    public async Task KeyLength_255Accepted_256Rejected()
    {
        await using var app = await StartAsync();

        using var longest = await app.Client.SendAsync(Post("/things", new string('k', 255)));
        using var tooLong = await app.Client.SendAsync(Post("/things", new string('k', 256)));

        Assert.Equal(HttpStatusCode.Created, longest.StatusCode);
        await Envelope.AssertValidationAsync(tooLong, "Idempotency-Key");
    }

    [Fact]
    public async Task TwoKeyHeaders_Are400()
    {
        await using var app = await StartAsync();
        var request = Post("/things", "a");
        request.Headers.TryAddWithoutValidation(IdempotencyMiddleware.HeaderName, "b");

        using var response = await app.Client.SendAsync(request);

        await Envelope.AssertValidationAsync(response, "Idempotency-Key");
    }

    [Fact]
    public async Task AnonymousCaller_HeaderIsIgnored()
    {
        await using var app = await StartAsync();

        using var first = await app.Client.SendAsync(Post("/things", "k-anon", "anonymous"));
        using var second = await app.Client.SendAsync(Post("/things", "k-anon", "anonymous"));
        using var invalid = await app.Client.SendAsync(Post("/things", "not valid", "anonymous"));

        Assert.All([first, second, invalid], r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        Assert.False(IsReplay(second));
        Assert.Equal(3, app.Service<RunCounter>().Runs("things"));
        Assert.Equal(0, await CountRowsAsync(app));
    }

    [Fact]
    public async Task EndpointWithoutIdempotency_HeaderIsIgnored()
    {
        await using var app = await StartAsync();

        using var first = await app.Client.SendAsync(Post("/plain", "k-plain"));
        using var second = await app.Client.SendAsync(Post("/plain", "k-plain"));

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.False(IsReplay(second));
        Assert.Equal(2, app.Service<RunCounter>().Runs("plain"));
    }

    [Fact]
    public async Task NoKey_RunsEveryTime()
    {
        await using var app = await StartAsync();

        using var first = await app.Client.SendAsync(Post("/things", null));
        using var second = await app.Client.SendAsync(Post("/things", null));

        Assert.False(IsReplay(second));
        Assert.Equal(2, app.Service<RunCounter>().Runs("things"));
        Assert.Equal(0, await CountRowsAsync(app));
    }

    private static async Task<int> CountRowsAsync(TestServiceApp app)
    {
        await using var scope = app.Scope(out var db);
        return await db.Set<IdempotencyRecord>().CountAsync();
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        // The cleanup runs on a background loop woken by the fake clock; give it real time to finish its statement.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "Condition not reached in time.");
            await Task.Delay(20);
        }
    }
}

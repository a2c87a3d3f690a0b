using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Nno.Sandbox.Stripe.Pipeline;

namespace Nno.Sandbox.Tests.StripeEmulation;

/// <summary>The emulator's pipeline over raw HTTP: keys, form parsing, headers, errors, idempotency, faults.</summary>
public sealed class StripePipelineTests
{
    [Fact]
    public async Task MissingOrWrongKey_Is401InStripesErrorShape_WithoutEchoingTheKey()
    {
        await using var sandbox = await StripeSandbox.StartAsync();
        var none = await sandbox.StripeHttp(key: null).GetAsync("customers/cus_x");
        Assert.Contains("API key", await none.AssertStripeErrorAsync(401, "invalid_request_error"), StringComparison.Ordinal);

        var wrong = await sandbox.StripeHttp(key: "sk_test_somebodyelses1234").GetAsync("customers/cus_x");
        var message = await wrong.AssertStripeErrorAsync(401, "invalid_request_error");
        Assert.DoesNotContain("somebodyelses", message, StringComparison.Ordinal);
        Assert.Contains("1234", message, StringComparison.Ordinal);

        // The Cloudflare token is not a Stripe key.
        await (await sandbox.StripeHttp(key: "sandbox-cf-token").GetAsync("customers/cus_x")).AssertStripeErrorAsync(401, "invalid_request_error");
    }

    [Fact]
    public async Task ConfiguredSecretKey_IsTheOnlyOneAccepted()
    {
        await using var sandbox = await StripeSandbox.StartAsync(settings: new Dictionary<string, string?> { ["Sandbox:Stripe:SecretKey"] = "sk_test_custom" });
        await (await sandbox.StripeHttp().GetAsync("events")).AssertStripeErrorAsync(401, "invalid_request_error");
        await (await sandbox.StripeHttp(key: "sk_test_custom").GetAsync("events")).OkAsync();
    }

    [Fact]
    public async Task Answers_CarryRequestIdAndStripeVersion_EchoingTheRequestsVersionOrTheDefault()
    {
        await using var sandbox = await StripeSandbox.StartAsync();
        var http = sandbox.StripeHttp();
        var plain = await http.GetAsync("events");
        await plain.OkAsync();
        Assert.Matches("^req_[A-Za-z0-9]{14}$", plain.Headers.GetValues("Request-Id").Single());
        Assert.Equal("2026-10-28.endive", plain.Headers.GetValues("Stripe-Version").Single());

        using var request = new HttpRequestMessage(HttpMethod.Get, "events");
        request.Headers.Add("Stripe-Version", "2025-01-01.acacia");
        var versioned = await http.SendAsync(request);
        Assert.Equal("2025-01-01.acacia", versioned.Headers.GetValues("Stripe-Version").Single());
        var log = await sandbox.StripeAdmin().GetFromJsonAsync<JsonElement>("requests");
        Assert.Equal("2025-01-01.acacia", log.EnumerateArray().Last().GetProperty("stripeVersion").GetString());
    }

    [Fact]
    public async Task FormBodies_NestBrackets_InAnyOrder()
    {
        await using var sandbox = await StripeSandbox.StartAsync();
        var http = sandbox.StripeHttp();
        var customer = await (await http.PostFormAsync("customers", null,
            ("metadata[tier]", "pro"), ("name", "Acme"), ("expand[0]", "email"), ("metadata[platformId]", "abcdefghij"), ("email", "a@example.com")))
            .AssertStripeErrorAsync(400, "invalid_request_error", null, "expand[0]");
        Assert.Contains("email", customer, StringComparison.Ordinal);

        var body = await (await http.PostFormAsync("customers", null,
            ("metadata[tier]", "pro"), ("name", "Acme"), ("metadata[platformId]", "abcdefghij"), ("email", "a@example.com"))).OkAsync();
        Assert.Equal("Acme", body.GetProperty("name").GetString());
        Assert.Equal("pro", body.GetProperty("metadata").GetProperty("tier").GetString());
        Assert.Equal("abcdefghij", body.GetProperty("metadata").GetProperty("platformId").GetString());
        Assert.Equal("customer", body.GetProperty("object").GetString());
        Assert.False(body.GetProperty("livemode").GetBoolean());
        Assert.Equal(StripeSandbox.Start.ToUnixTimeSeconds(), body.GetProperty("created").GetInt64());

        var product = (await (await http.PostFormAsync("products", null, ("name", "P"))).OkAsync()).GetProperty("id").GetString()!;
        foreach (var key in new[] { "b", "a" })
        {
            await (await http.PostFormAsync("prices", null, ("recurring[interval]", "month"), ("lookup_key", key), ("unit_amount", "100"),
                ("product", product), ("currency", "USD"))).OkAsync();
        }

        // Query arrays in any index order; the answer keeps Stripe's order (newest first).
        var list = await (await http.GetAsync("prices?lookup_keys[1]=b&limit=5&lookup_keys[0]=a")).OkAsync();
        Assert.Equal(["a", "b"], list.GetProperty("data").EnumerateArray().Select(p => p.GetProperty("lookup_key").GetString()));
        Assert.Equal("usd", list.GetProperty("data")[0].GetProperty("currency").GetString());
        var appended = await (await http.GetAsync("prices?lookup_keys[]=b")).OkAsync();
        Assert.Single(appended.GetProperty("data").EnumerateArray());
    }

    [Fact]
    public async Task BadParameters_Are400WithTheParameterNamed_AndChangeNothing()
    {
        await using var sandbox = await StripeSandbox.StartAsync();
        var http = sandbox.StripeHttp();
        await (await http.PostFormAsync("customers", null, ("nickname", "x"))).AssertStripeErrorAsync(400, "invalid_request_error", "parameter_unknown", "nickname");
        await (await http.PostFormAsync("customers", null, ("metadata", "x"), ("metadata[a]", "y"))).AssertStripeErrorAsync(400, "invalid_request_error", null, "metadata[a]");
        await (await http.PostFormAsync("customers", null, ("balance", "ten"))).AssertStripeErrorAsync(400, "invalid_request_error", "parameter_invalid_integer", "balance");
        await (await http.PostFormAsync("customers", null, ("email", "not an email"))).AssertStripeErrorAsync(400, "invalid_request_error", "email_invalid", "email");
        await (await http.GetAsync("prices?limit=abc")).AssertStripeErrorAsync(400, "invalid_request_error", "parameter_invalid_integer", "limit");
        await (await http.GetAsync("prices?limit=101")).AssertStripeErrorAsync(400, "invalid_request_error", "parameter_invalid_integer", "limit");
        await (await http.GetAsync("prices?limit=0")).AssertStripeErrorAsync(400, "invalid_request_error", "parameter_invalid_integer", "limit");
        await (await http.GetAsync("prices?starting_after=price_nope")).AssertStripeErrorAsync(404, "invalid_request_error", "resource_missing", "starting_after");
        await (await http.GetAsync("events?created[since]=1")).AssertStripeErrorAsync(400, "invalid_request_error", "parameter_unknown", "created[since]");
        await (await http.GetAsync("events?created[gte]=yesterday")).AssertStripeErrorAsync(400, "invalid_request_error", "parameter_invalid_integer", "created[gte]");
        var json = await http.PostAsync("customers", new StringContent("""{"name":"x"}""", System.Text.Encoding.UTF8, "application/json"));
        await json.AssertStripeErrorAsync(400, "invalid_request_error");
        Assert.Empty((await (await http.GetAsync("events")).OkAsync()).GetProperty("data").EnumerateArray());
    }

    [Fact]
    public async Task UnknownRoute_Is404InvalidRequestError()
    {
        await using var sandbox = await StripeSandbox.StartAsync();
        var message = await (await sandbox.StripeHttp().GetAsync("widgets")).AssertStripeErrorAsync(404, "invalid_request_error");
        Assert.Contains("Unrecognized request URL (GET: /v1/widgets)", message, StringComparison.Ordinal);
        await (await sandbox.StripeHttp().DeleteAsync("customers/cus_x")).AssertStripeErrorAsync(404, "invalid_request_error");
    }

    [Fact]
    public async Task Idempotency_ReplaysStatusAndBody_ButNotValidationFailures()
    {
        await using var sandbox = await StripeSandbox.StartAsync();
        var http = sandbox.StripeHttp();
        await (await http.PostFormAsync("customers", "key-1", ("balance", "x"))).AssertStripeErrorAsync(400, "invalid_request_error", "parameter_invalid_integer", "balance");
        // The refused request was not stored: the key still works, with other parameters.
        var first = await http.PostFormAsync("customers", "key-1", ("name", "A"), ("metadata[x]", "1"));
        var firstBody = await first.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        // The same parameters in another order are the same request.
        var replay = await http.PostFormAsync("customers", "key-1", ("metadata[x]", "1"), ("name", "A"));
        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        Assert.Equal(firstBody, await replay.Content.ReadAsStringAsync());
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(first.Headers.GetValues("Request-Id").Single(), replay.Headers.GetValues("Request-Id").Single());

        await (await http.PostFormAsync("customers", "key-1", ("name", "B"))).AssertStripeErrorAsync(400, "idempotency_error");
        var id = JsonDocument.Parse(firstBody).RootElement.GetProperty("id").GetString();
        await (await http.PostFormAsync($"customers/{id}", "key-1", ("name", "A"), ("metadata[x]", "1"))).AssertStripeErrorAsync(400, "idempotency_error");
    }

    [Fact]
    public async Task Idempotency_ExpiresAfter24Hours()
    {
        var time = StripeSandbox.NewClock();
        await using var sandbox = await StripeSandbox.StartAsync(time);
        var http = sandbox.StripeHttp();
        var first = await (await http.PostFormAsync("customers", "key-exp", ("name", "A"))).OkAsync();
        time.Advance(TimeSpan.FromHours(24) + TimeSpan.FromSeconds(1));
        var again = await http.PostFormAsync("customers", "key-exp", ("name", "A"));
        Assert.False(again.Headers.Contains("Idempotent-Replayed"));
        Assert.NotEqual(first.GetProperty("id").GetString(), (await again.OkAsync()).GetProperty("id").GetString());
    }

    [Fact]
    public async Task Idempotency_SameKeyWhileTheFirstRuns_Is409WithShouldRetry()
    {
        await using var sandbox = await StripeSandbox.StartAsync();
        var idempotency = (StripeIdempotency)sandbox.App.Services.GetService(typeof(StripeIdempotency))!;
        // Hold the key as a running first request would.
        var decision = await idempotency.BeginAsync(StripeSandbox.Key, "busy", "POST", "/stripe/v1/customers", "x", CancellationToken.None);
        var lease = Assert.IsType<IdempotencyDecision.Proceed>(decision).Lease;
        var response = await sandbox.StripeHttp().PostFormAsync("customers", "busy", ("name", "A"));
        await response.AssertStripeErrorAsync(409, "idempotency_error", "idempotency_key_in_use");
        Assert.Equal("true", response.Headers.GetValues("Stripe-Should-Retry").Single());

        lease.Dispose();
        await (await sandbox.StripeHttp().PostFormAsync("customers", "busy", ("name", "A"))).OkAsync();
    }

    [Fact]
    public async Task DropResponse_RunsAndStoresTheAnswer_SoTheRetryIsAReplay()
    {
        await using var sandbox = await StripeSandbox.StartAsync();
        var admin = sandbox.StripeAdmin();
        (await admin.PutJsonAsync("faults", """{"dropResponseRate":1}""")).EnsureSuccessStatusCode();
        var http = sandbox.StripeHttp();
        await Assert.ThrowsAsync<HttpRequestException>(() => http.PostFormAsync("customers", "drop-1", ("name", "A")));

        (await admin.PutJsonAsync("faults", "{}")).EnsureSuccessStatusCode();
        var retry = await http.PostFormAsync("customers", "drop-1", ("name", "A"));
        Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal("A", (await retry.OkAsync()).GetProperty("name").GetString());
        Assert.Single((await (await http.GetAsync("events")).OkAsync()).GetProperty("data").EnumerateArray());
    }

    [Fact]
    public async Task RandomFaults_Answer429RateLimitAnd5xxApiError_WithTheirHeaders_InsideThePathScope()
    {
        await using var sandbox = await StripeSandbox.StartAsync();
        var admin = sandbox.StripeAdmin();
        var http = sandbox.StripeHttp();
        (await admin.PutJsonAsync("faults", """{"rateLimitRate":1,"retryAfterSeconds":7}""")).EnsureSuccessStatusCode();
        var limited = await http.GetAsync("events");
        await limited.AssertStripeErrorAsync(429, "invalid_request_error", "rate_limit");
        Assert.Equal(TimeSpan.FromSeconds(7), limited.Headers.RetryAfter?.Delta);
        Assert.False(limited.Headers.Contains("Stripe-Should-Retry"));

        (await admin.PutJsonAsync("faults", """{"errorRate":1,"errorStatus":503,"pathRegex":"/v1/events"}""")).EnsureSuccessStatusCode();
        var failed = await http.GetAsync("events");
        await failed.AssertStripeErrorAsync(503, "api_error");
        Assert.Equal("true", failed.Headers.GetValues("Stripe-Should-Retry").Single());
        await (await http.GetAsync("prices")).OkAsync();
    }

    [Fact]
    public async Task ErrorRate_WithASeed_RepeatsTheSameOutcomes()
    {
        await using var sandbox = await StripeSandbox.StartAsync();
        var admin = sandbox.StripeAdmin();
        var http = sandbox.StripeHttp();
        async Task<List<int>> RunAsync()
        {
            (await admin.PutJsonAsync("faults", """{"errorRate":0.5,"seed":7}""")).EnsureSuccessStatusCode();
            var statuses = new List<int>();
            for (var i = 0; i < 20; i++)
            {
                statuses.Add((int)(await http.GetAsync("events")).StatusCode);
            }

            return statuses;
        }

        var first = await RunAsync();
        Assert.Equal(first, await RunAsync());
        Assert.Contains(200, first);
        Assert.Contains(500, first);
    }

    [Fact]
    public async Task Latency_HoldsTheAnswerUntilTheClockPassesIt()
    {
        var time = StripeSandbox.NewClock();
        await using var sandbox = await StripeSandbox.StartAsync(time);
        (await sandbox.StripeAdmin().PutJsonAsync("faults", """{"latencyMs":{"min":5000,"max":5000}}""")).EnsureSuccessStatusCode();
        var pending = sandbox.StripeHttp().GetAsync("events");
        await Task.Delay(200);
        Assert.False(pending.IsCompleted);
        for (var i = 0; i < 50 && !pending.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(20);
        }

        await (await pending).OkAsync();
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Nno.Sandbox.Stripe.Customers;
using Nno.Testing.Sandbox;

namespace Nno.Sandbox.Tests.StripeEmulation;

/// <summary>The admin API under <c>/stripe/_admin</c>.</summary>
public sealed class StripeAdminTests
{
    [Fact]
    public async Task Admin_NeedsTheAdminHeader()
    {
        await using var sandbox = await StripeSandbox.StartAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, (await sandbox.StripeAdmin(adminToken: null).GetAsync("faults")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await sandbox.StripeAdmin(adminToken: "nope").PostAsync("reset", null)).StatusCode);
        // The Stripe key is not the admin token either.
        Assert.Equal(HttpStatusCode.Unauthorized, (await sandbox.StripeAdmin(adminToken: StripeSandbox.Key).GetAsync("faults")).StatusCode);
    }

    [Fact]
    public async Task Faults_PutReplacesEveryKnob_GetShowsDefaultsAndRemainingCounts_AndBadValuesAre400()
    {
        await using var sandbox = await StripeSandbox.StartAsync();
        var admin = sandbox.StripeAdmin();
        var defaults = await admin.GetFromJsonAsync<JsonElement>("faults");
        Assert.Equal(3600, defaults.GetProperty("invoiceFinalizeDelaySeconds").GetInt32());
        Assert.Equal([3, 5, 7], defaults.GetProperty("dunning").GetProperty("retryDays").EnumerateArray().Select(d => d.GetInt32()));
        Assert.Equal("unpaid", defaults.GetProperty("dunning").GetProperty("finalAction").GetString());
        Assert.False(defaults.GetProperty("declineAll").GetBoolean());

        var put = await admin.PutJsonAsync("faults", """
            {"errorRate":0.1,"errorStatus":503,"rateLimitRate":0.2,"retryAfterSeconds":3,"latencyMs":{"min":1,"max":2},
             "pathRegex":"/v1/","dropResponseRate":0.05,"failNext":[{"method":"GET","status":402,"type":"card_error","code":"card_declined","count":2}],
             "webhook":{"dropRate":0.5,"duplicateRate":0.25,"delayMs":10,"reorder":true},"declineAll":true,
             "invoiceFinalizeDelaySeconds":60,"dunning":{"retryDays":[1,2],"finalAction":"cancel"},"seed":9}
            """);
        var body = await put.OkAsync();
        Assert.Equal(503, body.GetProperty("errorStatus").GetInt32());
        Assert.True(body.GetProperty("webhook").GetProperty("reorder").GetBoolean());
        Assert.Equal("cancel", body.GetProperty("dunning").GetProperty("finalAction").GetString());

        (await admin.PutJsonAsync("faults", """{"failNext":[{"pathRegex":"/v1/events","status":402,"code":"card_declined","count":2}]}""")).EnsureSuccessStatusCode();
        var declined = await sandbox.StripeHttp().GetAsync("events");
        await declined.AssertStripeErrorAsync(402, "card_error", "card_declined");
        var after = await admin.GetFromJsonAsync<JsonElement>("faults");
        Assert.Equal(1, after.GetProperty("failNext")[0].GetProperty("count").GetInt32());
        Assert.False(after.GetProperty("declineAll").GetBoolean());

        foreach (var bad in new[]
        {
            """{"errorRate":2}""", """{"errorStatus":502}""", """{"pathRegex":"("}""", """{"unknownKnob":1}""",
            """{"failNext":[{"status":200}]}""", """{"dunning":{"retryDays":[3],"finalAction":"explode"}}""", "[]", "not json",
        })
        {
            var response = await admin.PutJsonAsync("faults", bad);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.True((await response.JsonAsync()).TryGetProperty("error", out _), bad);
        }

        Assert.Equal(1, (await admin.GetFromJsonAsync<JsonElement>("faults")).GetProperty("failNext")[0].GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task Advance_MovesTheSandboxClock_WhichTimestampsNewObjects_AndSurvivesARestart()
    {
        var time = StripeSandbox.NewClock();
        using var dataDir = new Nno.Testing.TempDirectory("nno-stripe");
        var sandbox = await TestSandbox.StartAsync(time, dataDir: dataDir);
        try
        {
            var admin = sandbox.StripeAdmin();
            var clock = await (await admin.PostJsonAsync("advance", """{"seconds":86400}""")).OkAsync();
            Assert.Equal(86400, clock.GetProperty("offsetSeconds").GetInt64());
            Assert.Equal(StripeSandbox.Start.AddDays(1).ToUnixTimeSeconds(), clock.GetProperty("unix").GetInt64());
            var customer = await (await sandbox.StripeHttp().PostFormAsync("customers", null, ("name", "A"))).OkAsync();
            Assert.Equal(StripeSandbox.Start.AddDays(1).ToUnixTimeSeconds(), customer.GetProperty("created").GetInt64());

            Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostJsonAsync("advance", """{"seconds":-1}""")).StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostJsonAsync("advance", """{"minutes":1}""")).StatusCode);
        }
        finally
        {
            await sandbox.DisposeAsync();
        }

        time.Advance(TimeSpan.FromHours(1));
        await using var restarted = await TestSandbox.StartAsync(time, dataDir: dataDir);
        var after = await restarted.StripeAdmin().GetFromJsonAsync<JsonElement>("clock");
        Assert.Equal(86400, after.GetProperty("offsetSeconds").GetInt64());
        Assert.Equal(StripeSandbox.Start.AddDays(1).AddHours(1).ToUnixTimeSeconds(), after.GetProperty("unix").GetInt64());
    }

    [Fact]
    public async Task Reset_ForgetsObjectsEventsIdempotencyFaultsRequestsAndTheClockOffset()
    {
        await using var sandbox = await StripeSandbox.StartAsync();
        var admin = sandbox.StripeAdmin();
        var http = sandbox.StripeHttp();
        var customer = (await (await http.PostFormAsync("customers", "k", ("name", "A"))).OkAsync()).GetProperty("id").GetString();
        (await admin.PostJsonAsync("advance", """{"seconds":3600}""")).EnsureSuccessStatusCode();
        (await admin.PutJsonAsync("faults", """{"declineAll":true}""")).EnsureSuccessStatusCode();

        Assert.Equal(HttpStatusCode.NoContent, (await admin.PostAsync("reset", null)).StatusCode);

        Assert.Equal(0, (await admin.GetFromJsonAsync<JsonElement>("clock")).GetProperty("offsetSeconds").GetInt64());
        Assert.False((await admin.GetFromJsonAsync<JsonElement>("faults")).GetProperty("declineAll").GetBoolean());
        Assert.Empty((await admin.GetFromJsonAsync<JsonElement>("requests")).EnumerateArray());
        await (await http.GetAsync($"customers/{customer}")).AssertStripeErrorAsync(404, "invalid_request_error", "resource_missing", "id");
        Assert.Empty((await (await http.GetAsync("events")).OkAsync()).GetProperty("data").EnumerateArray());
        var again = await http.PostFormAsync("customers", "k", ("name", "A"));
        Assert.False(again.Headers.Contains("Idempotent-Replayed"));
    }

    [Fact]
    public async Task Requests_ListsAnsweredRequestsSinceASequenceOrTime_WithoutTheKey()
    {
        var time = StripeSandbox.NewClock();
        await using var sandbox = await StripeSandbox.StartAsync(time);
        var admin = sandbox.StripeAdmin();
        var http = sandbox.StripeHttp();
        await http.GetAsync("events");
        time.Advance(TimeSpan.FromMinutes(1));
        await http.PostFormAsync("customers", "idem-7", ("name", "A"));
        var all = await admin.GetFromJsonAsync<JsonElement>("requests");
        Assert.Equal(2, all.GetArrayLength());
        Assert.DoesNotContain(StripeSandbox.Key, all.ToString(), StringComparison.Ordinal);
        var last = all[1];
        Assert.Equal("/stripe/v1/customers", last.GetProperty("path").GetString());
        Assert.Equal("idem-7", last.GetProperty("idempotencyKey").GetString());
        Assert.StartsWith("req_", last.GetProperty("requestId").GetString(), StringComparison.Ordinal);

        var sinceSeq = await admin.GetFromJsonAsync<JsonElement>($"requests?since={all[0].GetProperty("seq").GetInt64()}");
        Assert.Equal(1, sinceSeq.GetArrayLength());
        var sinceTime = await admin.GetFromJsonAsync<JsonElement>($"requests?since={Uri.EscapeDataString(StripeSandbox.Start.AddSeconds(30).ToString("O"))}");
        Assert.Equal(1, sinceTime.GetArrayLength());
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.GetAsync("requests?since=yesterday")).StatusCode);
    }

    [Fact]
    public async Task PaymentBehavior_IsSetPerCustomer_AndDeclineAllOverridesIt()
    {
        await using var sandbox = await StripeSandbox.StartAsync();
        var admin = sandbox.StripeAdmin();
        var customer = (await (await sandbox.StripeHttp().PostFormAsync("customers", null, ("name", "A"))).OkAsync()).GetProperty("id").GetString()!;
        var behaviors = sandbox.App.Services.GetRequiredService<StripePaymentBehaviors>();
        Assert.False(await behaviors.DeclinesAsync(customer));

        var set = await (await admin.PutJsonAsync($"customers/{customer}/payment-behavior", "\"decline\"")).OkAsync();
        Assert.Equal("decline", set.GetProperty("behavior").GetString());
        Assert.True(await behaviors.DeclinesAsync(customer));
        (await admin.PutJsonAsync($"customers/{customer}/payment-behavior", """{"behavior":"succeed"}""")).EnsureSuccessStatusCode();
        Assert.False(await behaviors.DeclinesAsync(customer));

        (await admin.PutJsonAsync("faults", """{"declineAll":true}""")).EnsureSuccessStatusCode();
        Assert.True(await behaviors.DeclinesAsync(customer));

        Assert.Equal(HttpStatusCode.NotFound, (await admin.PutJsonAsync("customers/cus_missing/payment-behavior", "\"decline\"")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PutJsonAsync($"customers/{customer}/payment-behavior", "\"sometimes\"")).StatusCode);
    }
}

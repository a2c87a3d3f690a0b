using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Nno.Sandbox.Stripe.Webhooks;
using Nno.Testing;
using Nno.Testing.Sandbox;
using Stripe;

namespace Nno.Sandbox.Tests.StripeEmulation;

/// <summary>Webhook delivery (billing.md §5.1) to a real receiving endpoint that verifies with Stripe.net.</summary>
public sealed class StripeWebhookTests
{
    [Fact]
    public async Task EmittedEvent_IsPostedAsJson_SignedSoStripeNetConstructEventAcceptsIt()
    {
        // The 3-argument ConstructEvent checks the signature time against the real clock, so this sandbox's clock starts now.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var sandbox = await StripeSandbox.StartAsync(time);
        await using var receiver = await WebhookReceiver.StartAsync();
        await SetEndpointsAsync(sandbox, receiver);

        var customer = await new CustomerService(sandbox.StripeClient()).CreateAsync(new CustomerCreateOptions { Email = "ann@example.com", Name = "Ann" });

        var hit = (await receiver.WaitForAsync(1))[0];
        Assert.Null(hit.VerifyError);
        Assert.Equal("application/json; charset=utf-8", hit.ContentType);
        Assert.Equal("Stripe/1.0", hit.UserAgent);
        Assert.Equal(time.GetUtcNow().ToUnixTimeSeconds(), hit.SignedAt);
        var evt = hit.Event!;
        Assert.Equal("customer.created", evt.Type);
        Assert.StartsWith("evt_", evt.Id, StringComparison.Ordinal);
        Assert.Equal(customer.Id, ((Customer)evt.Data.Object).Id);
        Assert.Equal(1, evt.PendingWebhooks);

        // The check is real: another secret, a changed body or a stale time are refused by Stripe.net.
        Assert.Throws<StripeException>(() => EventUtility.ConstructEvent(hit.Body, hit.Signature, "whsec_other"));
        Assert.Throws<StripeException>(() => EventUtility.ConstructEvent(hit.Body.Replace("Ann", "Bob", StringComparison.Ordinal), hit.Signature, receiver.Secret));
        Assert.Throws<StripeException>(() => EventUtility.ConstructEvent(hit.Body, hit.Signature, receiver.Secret, 300, hit.SignedAt + 301, true));

        var delivery = await SingleDeliveryAsync(sandbox, evt.Id, "delivered");
        Assert.Equal(1, delivery.GetProperty("attempts").GetInt32());
        Assert.Equal(200, delivery.GetProperty("lastStatus").GetInt32());
        Assert.Equal(receiver.Url, delivery.GetProperty("url").GetString());
        Assert.Equal(0, (await sandbox.StripeHttp().GetFromJsonAsync<JsonElement>($"events/{evt.Id}")).GetProperty("pending_webhooks").GetInt32());
    }

    [Fact]
    public async Task FailedAttempts_AreRetriedAfter10s_1min_5min_ReSignedEachTime_UntilA2xx()
    {
        var time = StripeSandbox.NewClock();
        await using var sandbox = await StripeSandbox.StartAsync(time);
        await using var receiver = await WebhookReceiver.StartAsync(verifyClock: time);
        receiver.StatusFor = n => n <= 3 ? 500 : 204;
        await SetEndpointsAsync(sandbox, receiver);

        await new CustomerService(sandbox.StripeClient()).CreateAsync(new CustomerCreateOptions { Email = "ann@example.com" });
        var first = (await receiver.WaitForAsync(1))[0];
        var eventId = first.Event!.Id;
        var start = time.GetUtcNow();

        var gaps = new[] { TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5) };
        for (var i = 0; i < gaps.Length; i++)
        {
            var due = time.GetUtcNow() + gaps[i];
            await WaitIdleUntilAsync(sandbox, due);
            var pending = await SingleDeliveryAsync(sandbox, eventId, "pending");
            Assert.Equal(i + 1, pending.GetProperty("attempts").GetInt32());
            Assert.Equal(500, pending.GetProperty("lastStatus").GetInt32());
            Assert.Equal(due, pending.GetProperty("nextAttemptAt").GetDateTimeOffset());
            Assert.Equal(1, (await sandbox.StripeHttp().GetFromJsonAsync<JsonElement>($"events/{eventId}")).GetProperty("pending_webhooks").GetInt32());

            // One second early: nothing is sent.
            time.Advance(gaps[i] - TimeSpan.FromSeconds(1));
            await WaitIdleUntilAsync(sandbox, due);
            Assert.Equal(i + 1, receiver.Hits.Count);
            time.Advance(TimeSpan.FromSeconds(1));
            await receiver.WaitForAsync(i + 2);
        }

        await Eventually.HoldsAsync(async () => (await DeliveriesAsync(sandbox, eventId, null)).Single().GetProperty("status").GetString() == "delivered", "delivered");
        var hits = receiver.Hits;
        Assert.Equal(4, hits.Count);
        Assert.All(hits, h => Assert.Null(h.VerifyError));
        Assert.All(hits, h => Assert.Equal(eventId, h.Event!.Id));
        Assert.Equal(
            [0L, 10, 70, 370],
            hits.Select(h => h.SignedAt - start.ToUnixTimeSeconds()));
        Assert.Equal(4, hits.Select(h => h.Signature).Distinct().Count());
        var delivered = await SingleDeliveryAsync(sandbox, eventId, "delivered");
        Assert.Equal(4, delivered.GetProperty("attempts").GetInt32());
        Assert.Equal(204, delivered.GetProperty("lastStatus").GetInt32());
        Assert.Equal(0, (await sandbox.StripeHttp().GetFromJsonAsync<JsonElement>($"events/{eventId}")).GetProperty("pending_webhooks").GetInt32());
    }

    [Fact]
    public async Task AnEndpointThatNeverAnswers2xx_FailsForGoodAfterThreeDays_AndStaysPendingOnTheEvent()
    {
        var time = StripeSandbox.NewClock();
        await using var sandbox = await StripeSandbox.StartAsync(time);
        await using var receiver = await WebhookReceiver.StartAsync(verifyClock: time);
        receiver.StatusFor = _ => 503;
        await SetEndpointsAsync(sandbox, receiver);
        await new CustomerService(sandbox.StripeClient()).CreateAsync(new CustomerCreateOptions { Email = "ann@example.com" });
        var eventId = (await receiver.WaitForAsync(1))[0].Event!.Id;
        var start = time.GetUtcNow();

        var expected = ExpectedAttemptOffsets();
        for (var i = 1; i < expected.Count; i++)
        {
            await WaitIdleUntilAsync(sandbox, start + expected[i]);
            time.Advance(start + expected[i] - time.GetUtcNow());
            await receiver.WaitForAsync(i + 1);
        }

        await Eventually.HoldsAsync(async () => (await DeliveriesAsync(sandbox, eventId, "failed")).Count == 1, "failed delivery");
        var failed = (await DeliveriesAsync(sandbox, eventId, "failed")).Single();
        Assert.Equal(expected.Count, failed.GetProperty("attempts").GetInt32());
        Assert.False(failed.TryGetProperty("nextAttemptAt", out _));
        await WaitIdleUntilAsync(sandbox, null);
        time.Advance(TimeSpan.FromDays(1));
        await WaitIdleUntilAsync(sandbox, null);
        Assert.Equal(expected.Count, receiver.Hits.Count);
        Assert.Equal(1, (await sandbox.StripeHttp().GetFromJsonAsync<JsonElement>($"events/{eventId}")).GetProperty("pending_webhooks").GetInt32());
    }

    [Fact]
    public void Schedule_Is10s_1min_5min_30min_2h_ThenEvery6h_ForThreeDays()
    {
        var offsets = ExpectedAttemptOffsets();
        Assert.Equal(
            [TimeSpan.Zero, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(70), TimeSpan.FromSeconds(370), TimeSpan.FromSeconds(2170), TimeSpan.FromSeconds(9370)],
            offsets.Take(6));
        Assert.All(offsets.Skip(6).Zip(offsets.Skip(5)), p => Assert.Equal(TimeSpan.FromHours(6), p.First - p.Second));
        Assert.True(offsets[^1] <= TimeSpan.FromDays(3));
        Assert.True(offsets[^1] + TimeSpan.FromHours(6) > TimeSpan.FromDays(3));
        Assert.Null(StripeWebhookSchedule.NextAttempt(DateTimeOffset.UnixEpoch, offsets.Count, DateTimeOffset.UnixEpoch + offsets[^1]));
    }

    [Fact]
    public async Task DropRate1_LosesAttemptsBeforeTheEndpoint_WhichAreRetriedOnceLowered()
    {
        var time = StripeSandbox.NewClock();
        await using var sandbox = await StripeSandbox.StartAsync(time);
        await using var receiver = await WebhookReceiver.StartAsync(verifyClock: time);
        await SetEndpointsAsync(sandbox, receiver);
        (await sandbox.StripeAdmin().PutJsonAsync("faults", """{"webhook":{"dropRate":1}}""")).EnsureSuccessStatusCode();

        await new CustomerService(sandbox.StripeClient()).CreateAsync(new CustomerCreateOptions { Email = "ann@example.com" });
        await WaitIdleUntilAsync(sandbox, time.GetUtcNow().AddSeconds(10));
        var dropped = (await DeliveriesAsync(sandbox, null, "pending")).Single();
        Assert.Equal(1, dropped.GetProperty("attempts").GetInt32());
        Assert.Contains("dropRate", dropped.GetProperty("lastError").GetString(), StringComparison.Ordinal);
        Assert.Empty(receiver.Hits);

        (await sandbox.StripeAdmin().PutJsonAsync("faults", "{}")).EnsureSuccessStatusCode();
        time.Advance(TimeSpan.FromSeconds(10));
        var hit = (await receiver.WaitForAsync(1)).Single();
        Assert.Null(hit.VerifyError);
        Assert.Equal("delivered", (await SingleDeliveryAsync(sandbox, hit.Event!.Id, "delivered")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task DuplicateRate1_PostsEachAttemptTwice_BothSigned()
    {
        var time = StripeSandbox.NewClock();
        await using var sandbox = await StripeSandbox.StartAsync(time);
        await using var receiver = await WebhookReceiver.StartAsync(verifyClock: time);
        await SetEndpointsAsync(sandbox, receiver);
        (await sandbox.StripeAdmin().PutJsonAsync("faults", """{"webhook":{"duplicateRate":1}}""")).EnsureSuccessStatusCode();

        await new CustomerService(sandbox.StripeClient()).CreateAsync(new CustomerCreateOptions { Email = "ann@example.com" });
        var hits = await receiver.WaitForAsync(2);
        Assert.All(hits, h => Assert.Null(h.VerifyError));
        Assert.Equal(hits[0].Event!.Id, hits[1].Event!.Id);
        var delivery = await SingleDeliveryAsync(sandbox, hits[0].Event!.Id, "delivered");
        Assert.Equal(1, delivery.GetProperty("attempts").GetInt32());
        await WaitIdleUntilAsync(sandbox, null);
        Assert.Equal(2, receiver.Hits.Count);
    }

    [Fact]
    public async Task Reorder_SendsEventsEmittedTogetherNewestFirst_AfterOneSecond()
    {
        var time = StripeSandbox.NewClock();
        await using var sandbox = await StripeSandbox.StartAsync(time);
        await using var receiver = await WebhookReceiver.StartAsync(verifyClock: time);
        await SetEndpointsAsync(sandbox, receiver);
        (await sandbox.StripeAdmin().PutJsonAsync("faults", """{"webhook":{"reorder":true}}""")).EnsureSuccessStatusCode();

        var customers = new CustomerService(sandbox.StripeClient());
        var customer = await customers.CreateAsync(new CustomerCreateOptions { Email = "ann@example.com" });
        await customers.UpdateAsync(customer.Id, new CustomerUpdateOptions { Name = "Ann" });
        await WaitIdleUntilAsync(sandbox, time.GetUtcNow().AddSeconds(1));
        Assert.Empty(receiver.Hits);

        time.Advance(TimeSpan.FromSeconds(1));
        var hits = await receiver.WaitForAsync(2);
        Assert.Equal(["customer.updated", "customer.created"], hits.Select(h => h.Event!.Type));
    }

    [Fact]
    public async Task Resend_QueuesANewDeliveryOfTheEvent_AndUnknownEventsAre404()
    {
        var time = StripeSandbox.NewClock();
        await using var sandbox = await StripeSandbox.StartAsync(time);
        await using var receiver = await WebhookReceiver.StartAsync(verifyClock: time);
        await SetEndpointsAsync(sandbox, receiver);
        await new CustomerService(sandbox.StripeClient()).CreateAsync(new CustomerCreateOptions { Email = "ann@example.com" });
        var eventId = (await receiver.WaitForAsync(1))[0].Event!.Id;
        await SingleDeliveryAsync(sandbox, eventId, "delivered");

        var resent = await (await sandbox.StripeAdmin().PostAsync($"events/{eventId}/resend", null)).OkAsync();
        Assert.Equal(eventId, resent.GetProperty("eventId").GetString());
        Assert.Equal("pending", resent.GetProperty("deliveries").EnumerateArray().Single().GetProperty("status").GetString());

        var hits = await receiver.WaitForAsync(2);
        Assert.Equal(eventId, hits[1].Event!.Id);
        Assert.Null(hits[1].VerifyError);
        await Eventually.HoldsAsync(
            async () => (await DeliveriesAsync(sandbox, eventId, "delivered")).Count == 2, "both deliveries delivered");
        Assert.Equal(0, (await sandbox.StripeHttp().GetFromJsonAsync<JsonElement>($"events/{eventId}")).GetProperty("pending_webhooks").GetInt32());

        Assert.Equal(HttpStatusCode.NotFound, (await sandbox.StripeAdmin().PostAsync("events/evt_missing/resend", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await sandbox.StripeAdmin(adminToken: null).PostAsync($"events/{eventId}/resend", null)).StatusCode);
    }

    [Fact]
    public async Task APendingDelivery_SurvivesARestart_AndIsDeliveredByTheNextRun()
    {
        var time = StripeSandbox.NewClock();
        using var dir = new TempDirectory("nno-sandbox");
        await using var receiver = await WebhookReceiver.StartAsync(verifyClock: time);
        receiver.StatusFor = n => n == 1 ? 500 : 200;
        string eventId;
        await using (var first = await TestSandbox.StartAsync(time, null, dir))
        {
            await SetEndpointsAsync(first, receiver);
            await new CustomerService(first.StripeClient()).CreateAsync(new CustomerCreateOptions { Email = "ann@example.com" });
            eventId = (await receiver.WaitForAsync(1))[0].Event!.Id;
            await WaitIdleUntilAsync(first, time.GetUtcNow().AddSeconds(10));
            await first.StopKeepingDataAsync();
        }

        await using var second = await TestSandbox.StartAsync(time, null, dir);
        var pending = await SingleDeliveryAsync(second, eventId, "pending");
        Assert.Equal(1, pending.GetProperty("attempts").GetInt32());
        var endpoints = await second.StripeAdmin().GetFromJsonAsync<JsonElement>("webhook-endpoints");
        Assert.Equal(receiver.Url, endpoints.GetProperty("endpoints")[0].GetProperty("url").GetString());

        await WaitIdleUntilAsync(second, time.GetUtcNow().AddSeconds(10));
        time.Advance(TimeSpan.FromSeconds(10));
        var hit = (await receiver.WaitForAsync(2))[1];
        Assert.Null(hit.VerifyError);
        Assert.Equal(eventId, hit.Event!.Id);
        Assert.Equal(2, (await SingleDeliveryAsync(second, eventId, "delivered")).GetProperty("attempts").GetInt32());
    }

    [Fact]
    public async Task EnabledEvents_FilterWhatAnEndpointGets_AndBadEndpointListsAre400()
    {
        var time = StripeSandbox.NewClock();
        await using var sandbox = await StripeSandbox.StartAsync(time);
        await using var receiver = await WebhookReceiver.StartAsync(verifyClock: time);
        var admin = sandbox.StripeAdmin();
        foreach (var bad in new[]
        {
            """[{"url":"/relative"}]""", """[{"url":"ftp://example.com/x"}]""", """[{"url":"http://127.0.0.1/x","enabledEvents":[]}]""",
            """[{"url":"http://127.0.0.1/x","secret":""}]""", """[{"url":"http://127.0.0.1/x","bogus":1}]""", """{"url":"http://127.0.0.1/x"}""", "nope",
        })
        {
            var response = await admin.PutJsonAsync("webhook-endpoints", bad);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, bad);
        }

        var set = await (await admin.PutJsonAsync("webhook-endpoints",
            $$"""[{"url":"{{receiver.Url}}","secret":"{{receiver.Secret}}","enabledEvents":["customer.updated"]}]""")).OkAsync();
        Assert.False(set.GetProperty("endpoints")[0].TryGetProperty("secret", out _));

        var customers = new CustomerService(sandbox.StripeClient());
        var customer = await customers.CreateAsync(new CustomerCreateOptions { Email = "ann@example.com" });
        await customers.UpdateAsync(customer.Id, new CustomerUpdateOptions { Name = "Ann" });
        var hit = (await receiver.WaitForAsync(1)).Single();
        Assert.Equal("customer.updated", hit.Event!.Type);
        var created = await sandbox.StripeHttp().GetFromJsonAsync<JsonElement>("events?type=customer.created");
        Assert.Equal(0, created.GetProperty("data")[0].GetProperty("pending_webhooks").GetInt32());
        Assert.Single(await DeliveriesAsync(sandbox, null, null));
    }

    [Fact]
    public async Task DefaultEndpoint_IsBillingsRouteOnTheGatewaysConfiguredPort()
    {
        // Null removes the test sandbox's discard-port default: the production default applies.
        await using (var byDefault = await StripeSandbox.StartAsync(settings: new Dictionary<string, string?> { ["Nno:Ports:gateway"] = null }))
        {
            var endpoint = (await byDefault.StripeAdmin().GetFromJsonAsync<JsonElement>("webhook-endpoints")).GetProperty("endpoints").EnumerateArray().Single();
            Assert.Equal("http://localhost:8787/api/v1/billing/webhooks/stripe", endpoint.GetProperty("url").GetString());
            Assert.Equal(["*"], endpoint.GetProperty("enabledEvents").EnumerateArray().Select(e => e.GetString()));
        }

        await using (var movedGateway = await StripeSandbox.StartAsync(settings: new Dictionary<string, string?> { ["Nno:Ports:gateway"] = "9123" }))
        {
            var endpoint = (await movedGateway.StripeAdmin().GetFromJsonAsync<JsonElement>("webhook-endpoints")).GetProperty("endpoints")[0];
            Assert.Equal("http://localhost:9123/api/v1/billing/webhooks/stripe", endpoint.GetProperty("url").GetString());
        }

        await using var configured = await StripeSandbox.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Sandbox:Stripe:WebhookEndpoints:0:Url"] = "http://127.0.0.1:9/a",
            ["Sandbox:Stripe:WebhookEndpoints:1:Url"] = "http://127.0.0.1:9/b",
            ["Sandbox:Stripe:WebhookEndpoints:1:EnabledEvents:0"] = "invoice.paid",
        });
        var list = (await configured.StripeAdmin().GetFromJsonAsync<JsonElement>("webhook-endpoints")).GetProperty("endpoints");
        Assert.Equal(["http://127.0.0.1:9/a", "http://127.0.0.1:9/b"], list.EnumerateArray().Select(e => e.GetProperty("url").GetString()));
        Assert.Equal("invoice.paid", list[1].GetProperty("enabledEvents")[0].GetString());

        // An admin reset puts the configured endpoints back.
        (await configured.StripeAdmin().PutJsonAsync("webhook-endpoints", """[{"url":"http://127.0.0.1:9/c"}]""")).EnsureSuccessStatusCode();
        (await configured.StripeAdmin().PostAsync("reset", null)).EnsureSuccessStatusCode();
        Assert.Equal(2, (await configured.StripeAdmin().GetFromJsonAsync<JsonElement>("webhook-endpoints")).GetProperty("endpoints").GetArrayLength());
    }

    [Fact]
    public async Task AtMostFourAttemptsRunAtOncePerEndpoint_TheRestWaitForAFreeSlot()
    {
        var time = StripeSandbox.NewClock();
        await using var sandbox = await StripeSandbox.StartAsync(time);
        await using var receiver = await WebhookReceiver.StartAsync(verifyClock: time);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        receiver.Hold = _ => gate.Task;
        await SetEndpointsAsync(sandbox, receiver);

        var customers = new CustomerService(sandbox.StripeClient());
        for (var i = 0; i < 6; i++)
        {
            await customers.CreateAsync(new CustomerCreateOptions { Email = $"c{i}@example.com" });
        }

        await receiver.WaitForAsync(4);
        // The other two stay queued while four are open (short real-time look; no production delay involved).
        await Task.Delay(300);
        Assert.Equal(4, receiver.Hits.Count);
        Assert.Equal((4, 4), receiver.InFlight);
        var firstPage = await sandbox.StripeAdmin().GetFromJsonAsync<JsonElement>("deliveries?limit=4");
        Assert.True(firstPage.GetProperty("hasMore").GetBoolean());
        var after = firstPage.GetProperty("data")[3].GetProperty("seq").GetInt64();
        var secondPage = await sandbox.StripeAdmin().GetFromJsonAsync<JsonElement>($"deliveries?limit=4&after={after}");
        Assert.Equal(2, secondPage.GetProperty("data").GetArrayLength());
        Assert.False(secondPage.GetProperty("hasMore").GetBoolean());

        gate.SetResult();
        await receiver.WaitForAsync(6);
        await Eventually.HoldsAsync(async () => (await DeliveriesAsync(sandbox, null, "delivered")).Count == 6, "six delivered");
        Assert.Equal(4, receiver.InFlight.Max);
        Assert.Equal(6, receiver.Hits.Select(h => h.Event!.Id).Distinct().Count());
    }

    [Fact]
    public async Task AnEndpointSilentFor10Seconds_FailsTheAttempt_AndDelayMsWaitsBeforeEachAttempt()
    {
        var time = StripeSandbox.NewClock();
        await using var sandbox = await StripeSandbox.StartAsync(time);
        await using var receiver = await WebhookReceiver.StartAsync(verifyClock: time);
        var never = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        receiver.Hold = n => n == 1 ? never.Task : Task.CompletedTask;
        await SetEndpointsAsync(sandbox, receiver);
        (await sandbox.StripeAdmin().PutJsonAsync("faults", """{"webhook":{"delayMs":2000}}""")).EnsureSuccessStatusCode();

        var dispatcher = sandbox.App.Services.GetRequiredService<StripeWebhookDispatcher>();
        await new CustomerService(sandbox.StripeClient()).CreateAsync(new CustomerCreateOptions { Email = "ann@example.com" });
        await Eventually.HoldsAsync(() => Task.FromResult(dispatcher.DelayingAttempts == 1), "the attempt waiting out delayMs");
        Assert.Empty(receiver.Hits);
        time.Advance(TimeSpan.FromSeconds(2));
        var eventId = (await receiver.WaitForAsync(1))[0].Event!.Id;
        var sentAt = time.GetUtcNow();

        // Ten seconds without an answer: the attempt fails and the next one is due 10 s later.
        time.Advance(TimeSpan.FromSeconds(10));
        await WaitIdleUntilAsync(sandbox, sentAt.AddSeconds(20));
        var pending = await SingleDeliveryAsync(sandbox, eventId, "pending");
        Assert.Contains("10 s", pending.GetProperty("lastError").GetString(), StringComparison.Ordinal);
        Assert.False(pending.TryGetProperty("lastStatus", out _));

        time.Advance(TimeSpan.FromSeconds(10));
        await Eventually.HoldsAsync(() => Task.FromResult(dispatcher.DelayingAttempts == 1), "the retry waiting out delayMs");
        Assert.Single(receiver.Hits);
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(eventId, (await receiver.WaitForAsync(2))[1].Event!.Id);
        Assert.Equal(2, (await SingleDeliveryAsync(sandbox, eventId, "delivered")).GetProperty("attempts").GetInt32());
        never.SetResult();
    }

    private static List<TimeSpan> ExpectedAttemptOffsets()
    {
        var start = DateTimeOffset.UnixEpoch;
        var offsets = new List<TimeSpan> { TimeSpan.Zero };
        while (StripeWebhookSchedule.NextAttempt(start, offsets.Count, start + offsets[^1]) is { } next)
        {
            offsets.Add(next - start);
        }

        return offsets;
    }

    private static async Task SetEndpointsAsync(TestSandbox sandbox, WebhookReceiver receiver) =>
        (await sandbox.StripeAdmin().PutJsonAsync("webhook-endpoints", $$"""[{"url":"{{receiver.Url}}","secret":"{{receiver.Secret}}"}]""")).EnsureSuccessStatusCode();

    private static async Task<IReadOnlyList<JsonElement>> DeliveriesAsync(TestSandbox sandbox, string? eventId, string? status)
    {
        var query = new List<string> { "limit=100" };
        if (eventId is not null)
        {
            query.Add("event=" + eventId);
        }

        if (status is not null)
        {
            query.Add("status=" + status);
        }

        var page = await sandbox.StripeAdmin().GetFromJsonAsync<JsonElement>("deliveries?" + string.Join('&', query));
        return page.GetProperty("data").EnumerateArray().ToArray();
    }

    /// <summary>Waits until the event's only delivery has <paramref name="status"/>; returns it.</summary>
    private static async Task<JsonElement> SingleDeliveryAsync(TestSandbox sandbox, string eventId, string status)
    {
        JsonElement found = default;
        await Eventually.HoldsAsync(async () =>
        {
            var all = await DeliveriesAsync(sandbox, eventId, null);
            if (all.Count == 1 && all[0].GetProperty("status").GetString() == status)
            {
                found = all[0];
                return true;
            }

            return false;
        }, $"one {status} delivery of {eventId}");
        return found;
    }

    /// <summary>Waits until the dispatcher idles with nothing in flight and its one-shot delay ending at <paramref name="until"/>.</summary>
    private static Task WaitIdleUntilAsync(TestSandbox sandbox, DateTimeOffset? until)
    {
        var dispatcher = sandbox.App.Services.GetRequiredService<StripeWebhookDispatcher>();
        return Eventually.HoldsAsync(() => Task.FromResult(dispatcher.State == (true, until)), $"dispatcher idle until {until:O}");
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Nno.Billing.Data;
using Nno.Billing.Tests.Support;
using Nno.Client.Identity;
using Nno.Testing.Security;
using Stripe;

namespace Nno.Billing.Tests.Api;

/// <summary>B14 and B1 against the Stripe emulator.</summary>
public sealed class SubscriptionsApiTests
{
    private const string Pid = "k3m9p2xw7q";
    private const string Other = "z9y8x7w6v5";

    private static async Task<string> CustomerAsync(HttpClient registry, string pid = Pid)
    {
        using var response = await registry.PostAsJsonAsync(new Uri("/customers", UriKind.Relative), new { platformId = pid, email = "owner@example.com", name = "Acme" });
        return (await BillingHost.ExpectAsync(response, HttpStatusCode.Created)).GetProperty("stripeCustomerId").GetString()!;
    }

    private static async Task<HttpResponseMessage> SubscribeAsync(HttpClient registry, object body) =>
        await registry.PostAsJsonAsync(new Uri("/subscriptions", UriKind.Relative), body);

    private static string Reason(JsonElement error) => error.GetProperty("error").GetProperty("details").GetProperty("reason").GetString()!;

    [Fact]
    public async Task B14_CreatesATrialingSubscription_14DaysByDefault_AndAnIdenticalRepeatIs200WithoutAStripeCall()
    {
        await using var host = await BillingHost.StartAsync();
        var registry = await host.RegistryAsync();
        var customerId = await CustomerAsync(registry);

        using var first = await SubscribeAsync(registry, new { platformId = Pid, tier = "growth" });
        var created = await BillingHost.ExpectAsync(first, HttpStatusCode.Created);
        var creates = host.StripeRequests.Count(r => r.Method == "POST" && r.Path == "/stripe/v1/subscriptions");
        using var second = await SubscribeAsync(registry, new { platformId = Pid, tier = "growth" });
        var repeated = await BillingHost.ExpectAsync(second, HttpStatusCode.OK);

        Assert.Equal(1, creates);
        Assert.Equal(creates, host.StripeRequests.Count(r => r.Method == "POST" && r.Path == "/stripe/v1/subscriptions"));
        Assert.Equal("nno-subscription:" + Pid, host.StripeRequests.Single(r => r.Path == "/stripe/v1/subscriptions").IdempotencyKey);
        var subId = created.GetProperty("stripeSubscriptionId").GetString()!;
        Assert.Equal(subId, repeated.GetProperty("stripeSubscriptionId").GetString());
        Assert.Equal(("growth", "trialing", customerId), (created.GetProperty("tier").GetString(), created.GetProperty("status").GetString(), created.GetProperty("stripeCustomerId").GetString()));
        var now = host.Platform.Time.GetUtcNow();
        Assert.Equal(now.AddDays(14), created.GetProperty("trialEndsAt").GetDateTimeOffset());
        Assert.False(created.GetProperty("cancelAtPeriodEnd").GetBoolean());
        Assert.Equal(JsonValueKind.Null, created.GetProperty("pastDueSince").ValueKind);
        Assert.Equal(JsonValueKind.Null, created.GetProperty("graceEndsAt").ValueKind);

        var stripeSub = await host.Services.GetRequiredService<StripeClient>().V1.Subscriptions.GetAsync(subId);
        Assert.Equal(host.Prices.PriceOf("growth")!.StripePriceId, stripeSub.Items.Data[0].Price.Id);
        Assert.Equal(Pid, stripeSub.Metadata["platformId"]);
        var row = await host.WithDbAsync(db => db.Subscriptions.AsNoTracking().SingleAsync());
        Assert.Equal((stripeSub.Items.Data[0].Id, "trialing", "growth", "growth"), (row.StripeSubscriptionItemId, row.StripeStatus, row.Tier, row.MaxTierInPeriod));
        Assert.Equal(created.GetProperty("currentPeriodStart").GetDateTimeOffset().ToUnixTimeMilliseconds(), row.CurrentPeriodStart);
        Assert.Equal(created.GetProperty("currentPeriodEnd").GetDateTimeOffset().ToUnixTimeMilliseconds(), row.CurrentPeriodEnd);
        Assert.True(row.CurrentPeriodEnd > row.CurrentPeriodStart);
    }

    [Fact]
    public async Task B14_WithoutTrial_IsActive_AndTrialDaysIsBounded()
    {
        await using var host = await BillingHost.StartAsync(new Dictionary<string, string?> { ["Billing:TrialDays"] = "3" });
        var registry = await host.RegistryAsync();
        await CustomerAsync(registry);

        using var tooLong = await SubscribeAsync(registry, new { platformId = Pid, tier = "starter", trialDays = 31 });
        await BillingHost.ExpectAsync(tooLong, HttpStatusCode.BadRequest);
        using var badTier = await SubscribeAsync(registry, new { platformId = Pid, tier = "gold" });
        await BillingHost.ExpectAsync(badTier, HttpStatusCode.BadRequest);
        using var unknown = await SubscribeAsync(registry, new { platformId = Pid, tier = "starter", coupon = "x" });
        await BillingHost.ExpectAsync(unknown, HttpStatusCode.BadRequest);
        Assert.DoesNotContain(host.StripeRequests, r => r.Path == "/stripe/v1/subscriptions");

        using var none = await SubscribeAsync(registry, new { platformId = Pid, tier = "starter", trialDays = 0 });
        var created = await BillingHost.ExpectAsync(none, HttpStatusCode.Created);
        Assert.Equal("active", created.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, created.GetProperty("trialEndsAt").ValueKind);

        await CustomerAsync(registry, Other);
        using var configured = await SubscribeAsync(registry, new { platformId = Other, tier = "starter" });
        var trial = await BillingHost.ExpectAsync(configured, HttpStatusCode.Created);
        Assert.Equal(host.Platform.Time.GetUtcNow().AddDays(3), trial.GetProperty("trialEndsAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task B14_Conflicts_CustomerMissing_SubscriptionExists_OperationInProgress()
    {
        await using var host = await BillingHost.StartAsync();
        var registry = await host.RegistryAsync();

        using var noCustomer = await SubscribeAsync(registry, new { platformId = Pid, tier = "starter" });
        Assert.Equal("customer_missing", Reason(await BillingHost.ExpectAsync(noCustomer, HttpStatusCode.Conflict)));

        await CustomerAsync(registry);
        using var created = await SubscribeAsync(registry, new { platformId = Pid, tier = "starter" });
        await BillingHost.ExpectAsync(created, HttpStatusCode.Created);
        using var otherTier = await SubscribeAsync(registry, new { platformId = Pid, tier = "scale" });
        Assert.Equal("subscription_exists", Reason(await BillingHost.ExpectAsync(otherTier, HttpStatusCode.Conflict)));

        var lockUntil = host.Platform.Time.GetUtcNow().AddSeconds(30).ToUnixTimeMilliseconds();
        await host.WithDbAsync(db => db.Subscriptions.ExecuteUpdateAsync(s => s.SetProperty(r => r.LockUntil, lockUntil)));
        using var locked = await SubscribeAsync(registry, new { platformId = Pid, tier = "starter" });
        Assert.Equal("operation_in_progress", Reason(await BillingHost.ExpectAsync(locked, HttpStatusCode.Conflict)));
        Assert.NotNull(locked.Headers.RetryAfter);

        host.Platform.Time.Advance(TimeSpan.FromSeconds(31));
        using var expired = await SubscribeAsync(registry, new { platformId = Pid, tier = "starter" });
        await BillingHost.ExpectAsync(expired, HttpStatusCode.OK);
        Assert.Single(host.StripeRequests, r => r.Method == "POST" && r.Path == "/stripe/v1/subscriptions");
    }

    [Fact]
    public async Task B14_ToATierWithoutAResolvedPrice_Is503_AndCallsNoStripe()
    {
        await using var host = await BillingHost.StartAsync(new Dictionary<string, string?> { ["Billing:Stripe:BootstrapCatalog"] = "false" }, waitForPrices: false);
        await BillingHost.UntilAsync(async () => await host.CountAsync<TierPriceRecord>() == 3, "the first resolution");
        var registry = await host.RegistryAsync();
        await CustomerAsync(registry);

        using var response = await SubscribeAsync(registry, new { platformId = Pid, tier = "starter" });

        var error = await BillingHost.ExpectAsync(response, HttpStatusCode.ServiceUnavailable);
        Assert.Equal("SERVICE_UNAVAILABLE", error.GetProperty("error").GetProperty("code").GetString());
        Assert.DoesNotContain(host.StripeRequests, r => r.Path == "/stripe/v1/subscriptions");
        Assert.Equal(0, await host.CountAsync<SubscriptionRecord>());
    }

    [Fact]
    public async Task B14_WhenStripesAnswerIsLost_StripeNetsRetryGetsTheReplay_AndOneSubscriptionExists()
    {
        await using var host = await BillingHost.StartAsync();
        var registry = await host.RegistryAsync();
        await CustomerAsync(registry);
        // The emulator runs the create (storing its idempotent result) and then drops the connection.
        await host.SetFaultsAsync(new { dropResponseRate = 1.0, pathRegex = "/v1/subscriptions$" });

        using var response = await SubscribeAsync(registry, new { platformId = Pid, tier = "starter" });

        var created = await BillingHost.ExpectAsync(response, HttpStatusCode.Created);
        await host.SetFaultsAsync(new { });
        var subs = await host.Services.GetRequiredService<StripeClient>().V1.Subscriptions.ListAsync(new SubscriptionListOptions { Status = "all" });
        Assert.Equal(created.GetProperty("stripeSubscriptionId").GetString(), Assert.Single(subs.Data).Id);
        Assert.Contains(host.StripeRequests, r => r.Path == "/stripe/v1/subscriptions" && r.Replayed);
        Assert.Equal(1, await host.CountAsync<SubscriptionRecord>());
    }

    [Fact]
    public async Task B1_OwnerAdminOperatorAndRegistry_See_MemberIs403_OthersAre404()
    {
        await using var host = await BillingHost.StartAsync();
        var registry = await host.RegistryAsync();
        await CustomerAsync(registry);
        using (var created = await SubscribeAsync(registry, new { platformId = Pid, tier = "scale" }))
        {
            await BillingHost.ExpectAsync(created, HttpStatusCode.Created);
        }

        var path = new Uri("/subscription?platformId=" + Pid, UriKind.Relative);
        foreach (var client in new[] { host.User("owner", Pid), host.User("admin", Pid), host.Operator(), registry })
        {
            using var ok = await client.GetAsync(path);
            Assert.Equal("scale", (await BillingHost.ExpectAsync(ok, HttpStatusCode.OK)).GetProperty("tier").GetString());
        }

        // The owner sees it while another platform is the active one; without platformId the active one is used.
        var twoPlatforms = host.Platform.GatewayClient("billing", GatewayIdentity.Session(BillingHost.Owner, "ses_aaaaaaaaaaaaaaaaaaaa",
            platforms: new Dictionary<string, string> { [Other] = "owner", [Pid] = "owner" }, activePlatformId: Other));
        using (var active = await twoPlatforms.GetAsync(path))
        {
            await BillingHost.ExpectAsync(active, HttpStatusCode.OK);
        }

        using (var defaulted = await host.User("owner", Pid).GetAsync(new Uri("/subscription", UriKind.Relative)))
        {
            await BillingHost.ExpectAsync(defaulted, HttpStatusCode.OK);
        }

        using var member = await host.User("member", Pid).GetAsync(path);
        await BillingHost.ExpectAsync(member, HttpStatusCode.Forbidden);
        using var stranger = await host.User("owner", Other).GetAsync(path);
        var hidden = await BillingHost.ExpectAsync(stranger, HttpStatusCode.NotFound);
        Assert.Equal("subscription", hidden.GetProperty("error").GetProperty("details").GetProperty("resource").GetString());
        using var noPlatform = await registry.GetAsync(new Uri("/subscription", UriKind.Relative));
        await BillingHost.ExpectAsync(noPlatform, HttpStatusCode.BadRequest);
        using var otherService = await (await host.ServiceAsync("cli")).GetAsync(path);
        await BillingHost.ExpectAsync(otherService, HttpStatusCode.Forbidden);
        using var none = await registry.GetAsync(new Uri("/subscription?platformId=" + Other, UriKind.Relative));
        var missing = await BillingHost.ExpectAsync(none, HttpStatusCode.NotFound);
        Assert.Equal("subscription", missing.GetProperty("error").GetProperty("details").GetProperty("resource").GetString());
    }

    [Fact]
    public async Task B14_IsInternal_UsersAndOperators404()
    {
        await using var host = await BillingHost.StartAsync();
        using var user = await host.User("owner", Pid).PostAsJsonAsync(new Uri("/subscriptions", UriKind.Relative), new { platformId = Pid, tier = "starter" });
        await BillingHost.ExpectAsync(user, HttpStatusCode.NotFound);
        using var op = await host.Operator().PostAsJsonAsync(new Uri("/subscriptions", UriKind.Relative), new { platformId = Pid, tier = "starter" });
        await BillingHost.ExpectAsync(op, HttpStatusCode.NotFound);
    }
}

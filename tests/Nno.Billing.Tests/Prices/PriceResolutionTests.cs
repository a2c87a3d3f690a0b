using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Nno.Billing.Prices;
using Nno.Billing.Stripe;
using Nno.Billing.Tests.Support;
using Nno.Core.Errors;
using Stripe;

namespace Nno.Billing.Tests.Prices;

/// <summary>§4.6 against the Stripe emulator: bootstrap, resolution both ways, degraded health and the retry job.</summary>
public sealed class PriceResolutionTests
{
    [Fact]
    public async Task WithTheSandbox_StartCreatesTheCatalogue_AndResolvesEveryTierBothWays()
    {
        await using var host = await BillingHost.StartAsync();

        var stripe = host.Services.GetRequiredService<StripeClient>();
        var prices = await stripe.V1.Prices.ListAsync(new PriceListOptions { LookupKeys = ["nno_starter_monthly", "nno_growth_monthly", "nno_scale_monthly"], Active = true });
        Assert.Equal(3, prices.Data.Count);
        foreach (var price in prices.Data)
        {
            var tier = host.Prices.TierOf(price.Id);
            Assert.NotNull(tier);
            Assert.Equal(price.Id, host.Prices.PriceOf(tier)!.StripePriceId);
            Assert.Equal("nno_" + tier + "_monthly", price.LookupKey);
            Assert.Equal(tier switch { "starter" => 4900, "growth" => 19900, _ => 79900 }, price.UnitAmount);
            Assert.Equal("month", price.Recurring.Interval);
            var product = await stripe.V1.Products.GetAsync(price.ProductId);
            Assert.Equal("nno_" + tier, product.Name);
        }

        var rows = await host.WithDbAsync(db => db.TierPrices.AsNoTracking().OrderBy(p => p.Tier).ToListAsync());
        Assert.Equal(["growth", "scale", "starter"], rows.Select(r => r.Tier));
        Assert.All(rows, r => Assert.Equal(host.Prices.PriceOf(r.Tier)!.StripePriceId, r.StripePriceId));
        Assert.All(rows, r => Assert.NotNull(r.ResolvedAt));
        var keys = host.StripeRequests.Where(r => r.Method == "POST").Select(r => r.IdempotencyKey).ToList();
        Assert.Contains("nno-catalog:starter:nno_starter_monthly:product", keys);
        Assert.Contains("nno-catalog:scale:nno_scale_monthly:price", keys);
        using var ready = await host.Platform.Client("billing").GetAsync(new Uri("/health/ready", UriKind.Relative));
        var body = await BillingHost.ExpectAsync(ready, HttpStatusCode.OK);
        Assert.Equal("ok", body.GetProperty("checks").GetProperty("prices").GetString());
    }

    [Fact]
    public async Task ResolvingAgain_FindsTheExistingPrices_WithoutCreatingAnything()
    {
        await using var host = await BillingHost.StartAsync();
        var before = host.Prices.PriceOf("growth")!.StripePriceId;
        var posts = host.StripeRequests.Count(r => r.Method == "POST");

        await using (var scope = host.Services.CreateAsyncScope())
        {
            Assert.Equal(3, await scope.ServiceProvider.GetRequiredService<PriceCatalog>().ResolveAsync(CancellationToken.None));
        }

        Assert.Equal(before, host.Prices.PriceOf("growth")!.StripePriceId);
        Assert.Equal(posts, host.StripeRequests.Count(r => r.Method == "POST"));
        Assert.Contains(host.StripeRequests, r => r.Method == "GET" && r.Path == "/stripe/v1/prices" && r.Query!.Contains("active=true", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WithoutBootstrap_AMissingPrice_LeavesItsTierUnresolvedAndHealthDegraded_UntilTheRetryFindsIt()
    {
        await using var host = await BillingHost.StartAsync(new Dictionary<string, string?> { ["Billing:Stripe:BootstrapCatalog"] = "false" }, waitForPrices: false);
        await BillingHost.UntilAsync(() => Task.FromResult(host.Prices.LastError is null && host.StripeRequests.Any(r => r.Path == "/stripe/v1/prices")), "the first resolution");
        await BillingHost.UntilAsync(async () => await host.CountAsync<Nno.Billing.Data.TierPriceRecord>() == 3, "the unresolved rows");

        Assert.Equal(["starter", "growth", "scale"], host.Prices.Unresolved);
        Assert.DoesNotContain(host.StripeRequests, r => r.Method == "POST");
        using (var ready = await host.Platform.Client("billing").GetAsync(new Uri("/health/ready", UriKind.Relative)))
        {
            var body = await BillingHost.ExpectAsync(ready, HttpStatusCode.OK);
            Assert.Equal("degraded", body.GetProperty("checks").GetProperty("prices").GetString());
        }

        // Someone creates the starter price in Stripe; the retry job picks it up.
        var stripe = host.Services.GetRequiredService<StripeClient>();
        var product = await stripe.V1.Products.CreateAsync(new ProductCreateOptions { Name = "manual" });
        var price = await stripe.V1.Prices.CreateAsync(new PriceCreateOptions
        {
            Product = product.Id, UnitAmount = 4900, Currency = "usd", LookupKey = "nno_starter_monthly", Recurring = new PriceRecurringOptions { Interval = "month" },
        });
        await using (var scope = host.Services.CreateAsyncScope())
        {
            Assert.Equal(1, await scope.ServiceProvider.GetRequiredService<PriceRetryJob>().RunAsync(CancellationToken.None));
        }

        Assert.Equal("starter", host.Prices.TierOf(price.Id));
        Assert.Equal(["growth", "scale"], host.Prices.Unresolved);
        var row = await host.WithDbAsync(db => db.TierPrices.AsNoTracking().SingleAsync(p => p.Tier == "starter"));
        Assert.Equal((price.Id, product.Id), (row.StripePriceId, row.StripeProductId));
    }

    [Fact]
    public async Task TheRetryJob_RunsOnTheFakeClockPeriod()
    {
        await using var host = await BillingHost.StartAsync(
            new Dictionary<string, string?> { ["Billing:PriceRetrySeconds"] = "30" }, waitForPrices: false,
            beforeBilling: sandbox => BillingHost.SetFaultsAsync(sandbox, new { failNext = new[] { new { method = "GET", pathRegex = "/v1/prices$", status = 400, count = 1 } } }));
        await BillingHost.UntilAsync(() => Task.FromResult(host.Prices.LastError is not null), "the failed first resolution");
        Assert.Equal(3, host.Prices.Unresolved.Count);

        await BillingHost.UntilAsync(() =>
        {
            host.Platform.Time.Advance(TimeSpan.FromSeconds(31));
            return Task.FromResult(host.Prices.Unresolved.Count == 0);
        }, "the retry job to resolve the prices");
    }

    [Fact]
    public async Task AStripeFailureWhileResolving_KeepsThePricesAlreadyResolved()
    {
        await using var host = await BillingHost.StartAsync();
        var starter = host.Prices.PriceOf("starter")!.StripePriceId;
        await host.SetFaultsAsync(new { failNext = new[] { new { method = "GET", pathRegex = "/v1/prices$", status = 500, count = 3 } } });

        await using (var scope = host.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<PriceCatalog>().ResolveAsync(CancellationToken.None);
        }

        Assert.NotNull(host.Prices.LastError);
        Assert.Equal(starter, host.Prices.PriceOf("starter")!.StripePriceId);
        Assert.Empty(host.Prices.Unresolved);
    }
}

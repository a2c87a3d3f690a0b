using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Nno.Billing.Stripe;
using Nno.Billing.Tests.Support;
using Nno.Core.Errors;
using Stripe;

namespace Nno.Billing.Tests.Stripe;

/// <summary>§3's Stripe error table, produced by <see cref="StripeCalls"/> from real emulator answers.</summary>
public sealed class StripeCallsTests
{
    private static Task<Customer> Read(StripeClient stripe) => stripe.V1.Customers.GetAsync("cus_Missing000000");

    [Fact]
    public async Task Stripe429_Becomes503WithRetryAfter5()
    {
        await using var host = await BillingHost.StartAsync();
        await host.SetFaultsAsync(new { failNext = new[] { new { method = "GET", pathRegex = "/v1/customers/", status = 429, count = 1 } } });
        var stripe = host.Services.GetRequiredService<StripeClient>();

        var error = await Assert.ThrowsAsync<ApiException>(() => StripeCalls.RunAsync(() => Read(stripe), CancellationToken.None));

        Assert.Equal((503, ErrorCodes.ServiceUnavailable, "5"), (error.Status, error.Code, error.Headers["Retry-After"]));
        Assert.Single(host.StripeRequests, r => r.Path.StartsWith("/stripe/v1/customers/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Stripe5xxAfterTheRetries_Becomes502WithTheRequestId()
    {
        await using var host = await BillingHost.StartAsync();
        await host.SetFaultsAsync(new { failNext = new[] { new { method = "GET", pathRegex = "/v1/customers/", status = 500, count = 3 } } });
        var stripe = host.Services.GetRequiredService<StripeClient>();

        var error = await Assert.ThrowsAsync<ApiException>(() => StripeCalls.RunAsync(() => Read(stripe), CancellationToken.None));

        Assert.Equal((502, ErrorCodes.BadGateway), (error.Status, error.Code));
        var details = JsonSerializer.SerializeToElement(error.Details, Nno.Core.Json.NnoJson.Options);
        var attempts = host.StripeRequests.Where(r => r.Path.StartsWith("/stripe/v1/customers/", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, attempts.Count);
        Assert.Equal(attempts[^1].RequestId, details.GetProperty("stripeRequestId").GetString());
    }

    [Fact]
    public async Task AnotherStripe4xx_Becomes502WithStripesCode()
    {
        await using var host = await BillingHost.StartAsync();
        var stripe = host.Services.GetRequiredService<StripeClient>();

        var error = await Assert.ThrowsAsync<ApiException>(() => StripeCalls.RunAsync(() => Read(stripe), CancellationToken.None));

        Assert.Equal((502, ErrorCodes.BadGateway), (error.Status, error.Code));
        var details = JsonSerializer.SerializeToElement(error.Details, Nno.Core.Json.NnoJson.Options);
        Assert.Equal("resource_missing", details.GetProperty("stripeCode").GetString());
        Assert.StartsWith("req_", details.GetProperty("stripeRequestId").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnreachableStripe_Becomes502()
    {
        await using var host = await BillingHost.StartAsync(new Dictionary<string, string?> { ["Billing:Stripe:ApiBaseUrl"] = "http://127.0.0.1:9/stripe" }, waitForPrices: false);
        var stripe = host.Services.GetRequiredService<StripeClient>();

        var error = await Assert.ThrowsAsync<ApiException>(() => StripeCalls.RunAsync(() => Read(stripe), CancellationToken.None));

        Assert.Equal((502, ErrorCodes.BadGateway), (error.Status, error.Code));
        Assert.Equal(HttpStatusCode.BadGateway, (HttpStatusCode)error.Status);
    }
}

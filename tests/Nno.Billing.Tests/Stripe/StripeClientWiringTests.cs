using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Nno.Billing.Stripe;
using Nno.Billing.Tests.Support;
using Nno.ServiceDefaults.Hosting;
using Stripe;

namespace Nno.Billing.Tests.Stripe;

/// <summary>
/// The registered <see cref="StripeClient"/> sends through the factory client "stripe": a recording primary handler sees
/// exactly what would reach Stripe (or the emulator).
/// </summary>
public sealed class StripeClientWiringTests
{
    private const string CustomerJson = """{"id":"cus_Test123","object":"customer","email":"owner@example.com","name":"Acme","livemode":false,"created":1767225600,"metadata":{"platformId":"k3m9p2xw7q"}}""";

    private static ServiceProvider Build(RecordingHandler handler, params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging();
        services.AddOptions<NnoOptions>().BindConfiguration(NnoOptions.Section);
        services.AddBillingStripe();
        services.AddHttpClient(StripeRegistration.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => handler);
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task ACall_CarriesTheKeyTheVersionAndTheIdempotencyKey_ToTheConfiguredBase()
    {
        var handler = new RecordingHandler((_, _) => RecordingHandler.Json(HttpStatusCode.OK, CustomerJson));
        await using var provider = Build(handler, ("Nno:Environment", "prod"), ("STRIPE_SECRET_KEY", "sk_live_wiring"), ("STRIPE_WEBHOOK_SECRET", "whsec_wiring"),
            ("Billing:Stripe:ApiBaseUrl", "https://stripe.test.internal/base"));
        var client = provider.GetRequiredService<StripeClient>();
        var key = StripeIdempotencyKeys.Customer("k3m9p2xw7q");

        var customer = await client.V1.Customers.CreateAsync(
            new CustomerCreateOptions { Email = "owner@example.com", Name = "Acme", Metadata = new() { ["platformId"] = "k3m9p2xw7q" } },
            StripeIdempotencyKeys.Options(key));

        Assert.Equal("cus_Test123", customer.Id);
        var request = Assert.Single(handler.Requests);
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal("https://stripe.test.internal/base/v1/customers", request.Uri.ToString());
        Assert.Equal("Bearer sk_live_wiring", request.Header("Authorization"));
        Assert.Equal("2026-10-28.endive", request.Header("Stripe-Version"));
        Assert.Equal("nno-customer:k3m9p2xw7q", request.Header("Idempotency-Key"));
        Assert.Contains("metadata[platformId]=k3m9p2xw7q", Uri.UnescapeDataString(request.Body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task InLocalWithoutAKey_CallsGoToTheSandboxWithItsKey()
    {
        var handler = new RecordingHandler((_, _) => RecordingHandler.Json(HttpStatusCode.OK, CustomerJson));
        await using var provider = Build(handler, ("Nno:Environment", "local"), ("Billing:Stripe:ApiBaseUrl", "http://127.0.0.1:45678/stripe"));
        var client = provider.GetRequiredService<StripeClient>();

        await client.V1.Customers.GetAsync("cus_Test123");

        var request = Assert.Single(handler.Requests);
        Assert.Equal(HttpMethod.Get, request.Method);
        Assert.Equal("http://127.0.0.1:45678/stripe/v1/customers/cus_Test123", request.Uri.ToString());
        Assert.Equal("Bearer sk_test_nno_sandbox", request.Header("Authorization"));
        Assert.Equal("2026-10-28.endive", request.Header("Stripe-Version"));
        Assert.Null(request.Header("Idempotency-Key"));
        Assert.Null(request.Header("X-Stripe-Client-Telemetry"));
    }

    [Fact]
    public async Task AServerError_IsRetriedTwiceWithTheSameIdempotencyKey_ThenSurfaces()
    {
        var handler = new RecordingHandler((_, _) =>
        {
            var response = RecordingHandler.Json(HttpStatusCode.InternalServerError, """{"error":{"type":"api_error","message":"boom"}}""");
            response.Headers.Add("Request-Id", "req_fail");
            return response;
        });
        await using var provider = Build(handler, ("Nno:Environment", "local"));
        var client = provider.GetRequiredService<StripeClient>();
        var key = StripeIdempotencyKeys.Subscription("k3m9p2xw7q");

        var error = await Assert.ThrowsAsync<StripeException>(() => client.V1.Subscriptions.CreateAsync(
            new SubscriptionCreateOptions { Customer = "cus_Test123", Items = [new SubscriptionItemOptions { Price = "price_1" }] },
            StripeIdempotencyKeys.Options(key)));

        Assert.Equal(HttpStatusCode.InternalServerError, error.HttpStatusCode);
        Assert.Equal(3, handler.Requests.Count);
        Assert.All(handler.Requests, r => Assert.Equal("nno-subscription:k3m9p2xw7q", r.Header("Idempotency-Key")));
        Assert.All(handler.Requests, r => Assert.Equal("http://127.0.0.1:8799/stripe/v1/subscriptions", r.Uri.ToString()));
    }

    [Fact]
    public void TheClient_IsOneSingleton_AlsoAsIStripeClient()
    {
        var handler = new RecordingHandler((_, _) => new HttpResponseMessage(HttpStatusCode.OK));
        using var provider = Build(handler, ("Nno:Environment", "dev"));

        var client = provider.GetRequiredService<StripeClient>();
        Assert.Same(client, provider.GetRequiredService<StripeClient>());
        Assert.Same(client, provider.GetRequiredService<IStripeClient>());
        Assert.Equal("http://127.0.0.1:8799/stripe", client.ApiBase);
    }

    [Fact]
    public async Task TheStartupCheck_AcceptsTheLibrarysPinnedVersion_AndResolvesTheSettings()
    {
        Assert.True(StripeRegistration.LibraryPinsSpecApiVersion);
        var handler = new RecordingHandler((_, _) => new HttpResponseMessage(HttpStatusCode.OK));
        await using var good = Build(handler, ("Nno:Environment", "local"));
        foreach (var hosted in good.GetServices<IHostedService>())
        {
            await hosted.StartAsync(CancellationToken.None);
        }

        await using var bad = Build(handler, ("Nno:Environment", "stg"));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            foreach (var hosted in bad.GetServices<IHostedService>())
            {
                await hosted.StartAsync(CancellationToken.None);
            }
        });
        Assert.Contains("STRIPE_SECRET_KEY is required in stg", error.Message, StringComparison.Ordinal);
        Assert.Empty(handler.Requests);
    }
}

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Nno.Billing.Stripe;
using Nno.ServiceDefaults.Hosting;
using Nno.Testing.Sandbox;
using Stripe;

namespace Nno.Billing.Tests.Stripe;

/// <summary>
/// Billing's own registered <see cref="StripeClient"/> (local, no key: the sandbox settings) against the Sandbox's Stripe
/// emulator on a real socket: both sides agree on the key, the base path and the answer shapes.
/// </summary>
public sealed class StripeEmulatorContractTests
{
    [Fact]
    public async Task BillingsClient_InLocalWithoutAKey_CreatesAndReplaysACustomerOnTheEmulator()
    {
        await using var sandbox = await TestSandbox.StartAsync(new FakeTimeProvider(DateTimeOffset.UtcNow));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Nno:Environment"] = "local",
            ["Billing:Stripe:ApiBaseUrl"] = sandbox.Address.ToString().TrimEnd('/') + "/stripe",
        }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging();
        services.AddOptions<NnoOptions>().BindConfiguration(NnoOptions.Section);
        services.AddBillingStripe();
        await using var provider = services.BuildServiceProvider();
        var settings = provider.GetRequiredService<StripeSettings>();
        Assert.True(settings.IsSandbox);
        var client = provider.GetRequiredService<StripeClient>();
        var key = StripeIdempotencyKeys.Customer("k3m9p2xw7q");

        var created = await client.V1.Customers.CreateAsync(
            new CustomerCreateOptions { Email = "owner@example.com", Name = "Acme", Metadata = new() { ["platformId"] = "k3m9p2xw7q" } },
            StripeIdempotencyKeys.Options(key));
        var replayed = await client.V1.Customers.CreateAsync(
            new CustomerCreateOptions { Email = "owner@example.com", Name = "Acme", Metadata = new() { ["platformId"] = "k3m9p2xw7q" } },
            StripeIdempotencyKeys.Options(key));
        var read = await client.V1.Customers.GetAsync(created.Id);

        Assert.StartsWith("cus_", created.Id, StringComparison.Ordinal);
        Assert.Equal(created.Id, replayed.Id);
        Assert.Equal(("owner@example.com", "Acme", "k3m9p2xw7q"), (read.Email, read.Name, read.Metadata["platformId"]));
        var refused = await Assert.ThrowsAsync<StripeException>(() => client.V1.Customers.CreateAsync(
            new CustomerCreateOptions { Email = "other@example.com" }, StripeIdempotencyKeys.Options(key)));
        Assert.Equal("idempotency_error", refused.StripeError.Type);
    }
}

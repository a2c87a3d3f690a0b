using Microsoft.Extensions.Configuration;
using Nno.Billing.Stripe;
using Nno.Core.Environments;
using Nno.Host;

namespace Nno.Billing.Tests.Stripe;

/// <summary>The all-in-one host points Billing at the Stripe emulator on the Sandbox's actual port, unless told otherwise.</summary>
public sealed class SandboxWiringTests
{
    private static (Dictionary<string, string?> PerService, IConfiguration Merged) Wire(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build();
        var perService = new Dictionary<string, string?>();
        SandboxWiring.ConfigureBilling(configuration, 41999, perService);
        var merged = new ConfigurationBuilder().AddConfiguration(configuration).AddInMemoryCollection(perService).Build();
        return (perService, merged);
    }

    [Fact]
    public void WithoutAKey_BillingCallsTheSandboxOnItsPort()
    {
        var (perService, merged) = Wire();

        Assert.Equal("http://127.0.0.1:41999/stripe", perService["Billing:Stripe:ApiBaseUrl"]);
        var settings = StripeSettingsReader.Read(merged, NnoEnvironment.Local);
        Assert.True(settings.IsSandbox);
        Assert.Equal("http://127.0.0.1:41999/stripe", settings.ApiBase);
        Assert.Equal("sk_test_nno_sandbox", settings.SecretKey);
    }

    [Fact]
    public void WithARealKey_BillingIsLeftAlone()
    {
        var (perService, _) = Wire(("STRIPE_SECRET_KEY", "sk_test_real"), ("STRIPE_WEBHOOK_SECRET", "whsec_real"));

        Assert.Empty(perService);
    }

    [Fact]
    public void AnExplicitBase_Wins()
    {
        var (perService, merged) = Wire(("Billing:Stripe:ApiBaseUrl", "http://127.0.0.1:5555/stripe"));

        Assert.Empty(perService);
        Assert.Equal("http://127.0.0.1:5555/stripe", StripeSettingsReader.Read(merged, NnoEnvironment.Dev).ApiBase);
    }
}

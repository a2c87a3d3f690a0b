using Microsoft.Extensions.Configuration;
using Nno.Billing.Stripe;
using Nno.Core.Environments;
using Nno.Testing;

namespace Nno.Billing.Tests.Stripe;

public sealed class StripeSettingsTests
{
    private static StripeSettings Read(NnoEnvironment environment, params (string Key, string Value)[] settings) =>
        StripeSettingsReader.Read(
            new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build(),
            environment);

    [Theory]
    [InlineData(NnoEnvironment.Local)]
    [InlineData(NnoEnvironment.Dev)]
    public void WithoutAKey_LocalAndDev_UseTheSandbox(NnoEnvironment environment)
    {
        var settings = Read(environment);

        Assert.True(settings.IsSandbox);
        Assert.Equal("http://127.0.0.1:8799/stripe", settings.ApiBase);
        Assert.Equal("sk_test_nno_sandbox", settings.SecretKey);
        Assert.Equal("whsec_nno_sandbox", settings.WebhookSecret);
        Assert.True(settings.BootstrapCatalog);
        Assert.Equal(TimeSpan.FromSeconds(30), settings.RequestTimeout);
    }

    [Fact]
    public void TheSandboxBase_FollowsTheHostsPort()
    {
        var settings = Read(NnoEnvironment.Local, ("Billing:Stripe:ApiBaseUrl", "http://127.0.0.1:41234/stripe/"));

        Assert.True(settings.IsSandbox);
        Assert.Equal("http://127.0.0.1:41234/stripe", settings.ApiBase);
    }

    [Theory]
    [InlineData(NnoEnvironment.Local)]
    [InlineData(NnoEnvironment.Prod)]
    public void WithBothSecrets_AnyEnvironment_UsesTheRealApi(NnoEnvironment environment)
    {
        var settings = Read(environment, ("STRIPE_SECRET_KEY", "sk_live_abc123"), ("STRIPE_WEBHOOK_SECRET", "whsec_real"));

        Assert.False(settings.IsSandbox);
        Assert.Equal("https://api.stripe.com", settings.ApiBase);
        Assert.Equal("sk_live_abc123", settings.SecretKey);
        Assert.Equal("whsec_real", settings.WebhookSecret);
        Assert.False(settings.BootstrapCatalog);
    }

    [Theory]
    [InlineData(NnoEnvironment.Stg)]
    [InlineData(NnoEnvironment.Prod)]
    public void WithoutAKey_StgAndProd_RefuseToStart(NnoEnvironment environment)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Read(environment));

        Assert.Contains("STRIPE_SECRET_KEY is required in " + environment.ToName(), error.Message, StringComparison.Ordinal);
        Assert.Contains("STRIPE_WEBHOOK_SECRET is required in " + environment.ToName(), error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(NnoEnvironment.Local)]
    [InlineData(NnoEnvironment.Prod)]
    public void AKeyWithoutTheWebhookSecret_IsAPartialConfiguration(NnoEnvironment environment)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Read(environment, ("STRIPE_SECRET_KEY", "sk_live_abc123")));

        Assert.Contains("STRIPE_WEBHOOK_SECRET is required with STRIPE_SECRET_KEY", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("sk_live_abc123", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(NnoEnvironment.Local)]
    [InlineData(NnoEnvironment.Dev)]
    public void AWebhookSecretWithoutTheKey_IsAPartialConfiguration_EvenWhereTheSandboxServes(NnoEnvironment environment)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Read(environment, ("STRIPE_WEBHOOK_SECRET", "whsec_real_secret")));

        Assert.Contains("STRIPE_SECRET_KEY is required with STRIPE_WEBHOOK_SECRET", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("whsec_real_secret", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("pk_live_publishable")]
    [InlineData("sk_live_with space")]
    [InlineData("whsec_wrong_secret_kind")]
    public void AKeyThatIsNotASecretKey_IsRefusedWithoutPrintingIt(string key)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Read(NnoEnvironment.Prod, ("STRIPE_SECRET_KEY", key), ("STRIPE_WEBHOOK_SECRET", "whsec_x")));

        Assert.Contains("STRIPE_SECRET_KEY must be a Stripe secret or restricted key", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(key, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Billing:Stripe:ApiBaseUrl", "not a url", "Billing:Stripe:ApiBaseUrl")]
    [InlineData("Billing:Stripe:ApiBaseUrl", "ftp://127.0.0.1/stripe", "Billing:Stripe:ApiBaseUrl")]
    [InlineData("Billing:Stripe:ApiBaseUrl", "http://127.0.0.1/stripe?x=1", "Billing:Stripe:ApiBaseUrl")]
    [InlineData("Billing:Stripe:BootstrapCatalog", "sometimes", "Billing:Stripe:BootstrapCatalog")]
    [InlineData("Billing:Stripe:RequestTimeoutSeconds", "0", "Billing:Stripe:RequestTimeoutSeconds")]
    public void ABadNonSecretSetting_IsRefusedNamingTheKey(string key, string value, string message)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Read(NnoEnvironment.Local, (key, value)));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BootstrapCatalog_CanBeTurnedOnForTheRealApiAndOffForTheSandbox()
    {
        Assert.True(Read(NnoEnvironment.Prod, ("STRIPE_SECRET_KEY", "rk_live_x"), ("STRIPE_WEBHOOK_SECRET", "whsec_x"), ("Billing:Stripe:BootstrapCatalog", "true")).BootstrapCatalog);
        Assert.False(Read(NnoEnvironment.Local, ("Billing:Stripe:BootstrapCatalog", "false")).BootstrapCatalog);
    }

    [Fact]
    public void ToString_NeverCarriesAKey()
    {
        var settings = Read(NnoEnvironment.Prod, ("STRIPE_SECRET_KEY", "sk_live_supersecret"), ("STRIPE_WEBHOOK_SECRET", "whsec_supersecret"));

        Assert.Equal("Stripe live at https://api.stripe.com", settings.ToString());
    }

    [Fact]
    public async Task TheService_InProdWithoutAKey_RefusesToStart()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => TestPlatform.StartAsync(
            ["billing"], new Dictionary<string, string?> { ["Nno:Environment"] = "prod" }));

        Assert.Contains("STRIPE_SECRET_KEY is required in prod", error.ToString(), StringComparison.Ordinal);
    }
}

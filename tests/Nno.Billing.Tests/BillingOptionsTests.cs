using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Nno.Testing;

namespace Nno.Billing.Tests;

public sealed class BillingOptionsTests
{
    private static BillingOptions Resolve(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        services.AddBillingOptions();
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<BillingOptions>>().Value;
    }

    [Fact]
    public void WithoutConfiguration_EveryTierHasTheSpecDefaults()
    {
        var options = Resolve();

        Assert.Equal("usd", options.Currency);
        Assert.Equal(("nno_starter_monthly", 4900L), (options.Tier("starter").LookupKey, options.Tier("starter").UnitAmount!.Value));
        Assert.Equal(("nno_growth_monthly", 19900L), (options.Tier("growth").LookupKey, options.Tier("growth").UnitAmount!.Value));
        Assert.Equal(("nno_scale_monthly", 79900L), (options.Tier("scale").LookupKey, options.Tier("scale").UnitAmount!.Value));
    }

    [Fact]
    public void ATierSettingOnlyOneField_KeepsTheDefaultOfTheOther()
    {
        var options = Resolve(("Billing:Tiers:growth:UnitAmount", "25000"), ("Billing:Tiers:scale:LookupKey", "scale_2027"));

        Assert.Equal(("nno_growth_monthly", 25000L), (options.Tier("growth").LookupKey, options.Tier("growth").UnitAmount!.Value));
        Assert.Equal(("scale_2027", 79900L), (options.Tier("scale").LookupKey, options.Tier("scale").UnitAmount!.Value));
        Assert.Equal(4900L, options.Tier("starter").UnitAmount);
    }

    [Theory]
    [InlineData("Billing:Tiers:enterprise:UnitAmount", "100000", "Billing:Tiers:enterprise is not a tier")]
    [InlineData("Billing:Tiers:growth:UnitAmount", "0", "Billing:Tiers:growth:UnitAmount")]
    [InlineData("Billing:Tiers:growth:UnitAmount", "-5", "Billing:Tiers:growth:UnitAmount")]
    [InlineData("Billing:Tiers:scale:UnitAmount", "100000000", "Billing:Tiers:scale:UnitAmount")]
    [InlineData("Billing:Tiers:starter:LookupKey", "two words", "Billing:Tiers:starter:LookupKey")]
    [InlineData("Billing:Tiers:growth:LookupKey", "nno_starter_monthly", "repeats the lookup key of starter")]
    [InlineData("Billing:Currency", "USD", "Billing:Currency")]
    [InlineData("Billing:Currency", "euro", "Billing:Currency")]
    public void ABadSetting_IsRefusedNamingTheKey(string key, string value, string message)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Resolve((key, value)));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheService_RefusesToStartWithABadTierPrice()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => TestPlatform.StartAsync(
            ["billing"], new Dictionary<string, string?> { ["Billing:Tiers:growth:UnitAmount"] = "0" }));

        Assert.Contains("Billing:Tiers:growth:UnitAmount", error.ToString(), StringComparison.Ordinal);
    }
}

using Microsoft.Extensions.Configuration;
using Nno.Core.Environments;
using Nno.Provisioning.Cloudflare;

namespace Nno.Provisioning.Tests.Cloudflare;

public sealed class CloudflareSettingsTests
{
    private static CloudflareOptions Read(NnoEnvironment environment, params (string Key, string Value)[] settings) =>
        CloudflareSettingsReader.Read(
            new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build(),
            environment);

    [Theory]
    [InlineData(NnoEnvironment.Local)]
    [InlineData(NnoEnvironment.Dev)]
    public void WithoutAToken_LocalAndDev_UseTheSandbox(NnoEnvironment environment)
    {
        var options = Read(environment);

        Assert.True(options.IsSandbox);
        Assert.Equal("http://127.0.0.1:8799/cloudflare/client/v4", options.ApiBaseUrl);
        Assert.Equal("sandbox-cf-token", options.ApiToken);
        Assert.Equal("0123456789abcdef0123456789abcdef", options.AccountId);
        Assert.Equal("fedcba9876543210fedcba9876543210", options.ZoneId);
        Assert.Equal("http://127.0.0.1:8799/cloudflare/r2-s3/0123456789abcdef0123456789abcdef", options.R2S3Url);
        Assert.Equal("sandbox-r2-key", options.R2AccessKeyId);
        Assert.Equal(1100, options.RequestBudget);
        Assert.Equal(TimeSpan.FromSeconds(300), options.RequestBudgetWindow);
        Assert.Equal(TimeSpan.FromSeconds(2), options.BudgetWait);
        Assert.Equal(4, options.R2S3Concurrency);
    }

    [Fact]
    public void TheSandboxS3Base_FollowsAMovedRestBase()
    {
        var options = Read(NnoEnvironment.Local, ("Cloudflare:ApiBaseUrl", "http://127.0.0.1:41234/cloudflare/client/v4/"));

        Assert.Equal("http://127.0.0.1:41234/cloudflare/client/v4", options.ApiBaseUrl);
        Assert.Equal("http://127.0.0.1:41234/cloudflare/r2-s3/0123456789abcdef0123456789abcdef", options.R2S3Url);
    }

    [Theory]
    [InlineData(NnoEnvironment.Stg)]
    [InlineData(NnoEnvironment.Prod)]
    public void WithoutAToken_StgAndProd_RefuseToStart(NnoEnvironment environment)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Read(environment));

        Assert.Contains("CLOUDFLARE_API_TOKEN", error.Message, StringComparison.Ordinal);
        Assert.Contains("R2_ACCESS_KEY_ID", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(NnoEnvironment.Local)]
    [InlineData(NnoEnvironment.Prod)]
    public void APartialRealConfiguration_NamesEveryMissingKey(NnoEnvironment environment)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Read(environment, ("CLOUDFLARE_API_TOKEN", "real-token"), ("R2_ACCESS_KEY_ID", "k")));

        Assert.Contains("Cloudflare:AccountId", error.Message, StringComparison.Ordinal);
        Assert.Contains("Cloudflare:ZoneId", error.Message, StringComparison.Ordinal);
        Assert.Contains("R2_SECRET_ACCESS_KEY", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("real-token", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ARealConfiguration_UsesTheRealEndpoints()
    {
        var options = Read(NnoEnvironment.Prod,
            ("CLOUDFLARE_API_TOKEN", "real-token"), ("Cloudflare:AccountId", "a1b2c3"), ("Cloudflare:ZoneId", "z9y8"),
            ("R2_ACCESS_KEY_ID", "k"), ("R2_SECRET_ACCESS_KEY", "s"), ("Cloudflare:RequestBudget", "500"));

        Assert.False(options.IsSandbox);
        Assert.Equal("https://api.cloudflare.com/client/v4", options.ApiBaseUrl);
        Assert.Equal("https://a1b2c3.r2.cloudflarestorage.com", options.R2S3Url);
        Assert.Equal(500, options.RequestBudget);
    }

    [Fact]
    public void BadNumbers_AreNamed()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Read(NnoEnvironment.Local, ("Cloudflare:RequestBudget", "-1"), ("Cloudflare:R2S3Concurrency", "x")));

        Assert.Contains("Cloudflare:RequestBudget", error.Message, StringComparison.Ordinal);
        Assert.Contains("Cloudflare:R2S3Concurrency", error.Message, StringComparison.Ordinal);
    }
}

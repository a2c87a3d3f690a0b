using System.Text.Json;
using Nno.Core.Features;

namespace Nno.Core.Tests.Features;

public sealed class SecretLikeKeysTests
{
    [Theory]
    [InlineData("apiToken")]
    [InlineData("webhook_secret")]
    [InlineData("stripeSecretKey")]
    [InlineData("PASSWORD")]
    [InlineData("db.passwd")]
    [InlineData("ssh-private-key")]
    [InlineData("awsAccessKey")]
    [InlineData("credentials")]
    [InlineData("passphrase")]
    [InlineData("clientSecrets")]
    [InlineData("x_api_key")]
    public void IsSecretLike_SecretNames_True(string key) => Assert.True(SecretLikeKeys.IsSecretLike(key));

    [Theory]
    [InlineData("maxTokens")]
    [InlineData("passwordMinLength")]
    [InlineData("tokenUrl")]
    [InlineData("cacheKey")]
    [InlineData("allowCustomBranding")]
    [InlineData("trialDays")]
    [InlineData("")]
    public void IsSecretLike_OrdinarySettings_False(string key) => Assert.False(SecretLikeKeys.IsSecretLike(key));

    [Fact]
    public void Find_NestedObjectsAndArrays_NamesEveryPath()
    {
        using var doc = JsonDocument.Parse("""
            { "maxTokens": 5, "nested": { "stripeSecretKey": "x", "ok": 1 }, "list": [ { "apiToken": "y" } ], "webhook_secret": "z" }
            """);
        var found = SecretLikeKeys.Find(doc.RootElement, "config");
        Assert.Equal(["config.nested.stripeSecretKey", "config.list[0].apiToken", "config.webhook_secret"], found);
    }

    [Fact]
    public void Find_CleanConfig_Empty()
    {
        using var doc = JsonDocument.Parse("""{ "passwordMinLength": 8, "tokenUrl": "https://x" }""");
        Assert.Empty(SecretLikeKeys.Find(doc.RootElement, "config"));
    }
}

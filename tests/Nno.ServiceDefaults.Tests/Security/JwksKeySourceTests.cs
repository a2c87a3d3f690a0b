using System.Net;
using Nno.Client.Identity;
using Nno.Testing;
using Nno.Testing.Security;

namespace Nno.ServiceDefaults.Tests.Security;

/// <summary>iam.md §4.8: how a service other than IAM gets, caches and refetches IAM's public keys.</summary>
public sealed class JwksKeySourceTests
{
    [Fact]
    public async Task Verifier_WithNoKeySetYet_Answers503WithRetryAfter_NeverA401()
    {
        await using var platform = await TestPlatform.StartAsync(["registry"], configurePipeline: (_, app) => PrincipalProbe.Map(app));
        var token = ForgedTokens.SignedByUnknownKey("some-kid", ForgedTokens.Claims("gateway", platform.Time.GetUtcNow()));

        using var client = GatewayClient(platform, token);
        using var response = await client.GetAsync(PrincipalProbe.Open);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("SERVICE_UNAVAILABLE", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.True(response.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));

        // What is invalid whatever the keys are is still a 401.
        using var noToken = platform.Client("registry");
        using var missing = await noToken.GetAsync(PrincipalProbe.Open);
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        using var none = GatewayClient(platform, ForgedTokens.AlgNone("some-kid", ForgedTokens.Claims("gateway", platform.Time.GetUtcNow())));
        using var unsigned = await none.GetAsync(PrincipalProbe.Open);
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);
    }

    [Fact]
    public async Task UnknownKid_RefetchesAtMostOncePer30Seconds_AndTheCacheLasts10Minutes()
    {
        var iam = new IamFaults();
        await using var platform = await TestPlatform.StartAsync(["iam", "registry"], configurePipeline: (name, app) =>
        {
            iam.Attach(name, app);
            PrincipalProbe.Map(app);
        });
        var valid = (await platform.IssueServiceTokenAsync("gateway")).Token;
        Assert.Equal(HttpStatusCode.OK, await CallRegistryAsync(platform, valid));
        Assert.Equal(1, iam.JwksRequests);

        // Fetched just now: an unknown kid is simply invalid.
        Assert.Equal(HttpStatusCode.Unauthorized, await CallRegistryAsync(platform, Unknown(platform)));
        Assert.Equal(1, iam.JwksRequests);

        Advance(platform, TimeSpan.FromSeconds(31));
        Assert.Equal(HttpStatusCode.Unauthorized, await CallRegistryAsync(platform, Unknown(platform)));
        Assert.Equal(2, iam.JwksRequests);
        Assert.Equal(HttpStatusCode.Unauthorized, await CallRegistryAsync(platform, Unknown(platform)));
        Assert.Equal(2, iam.JwksRequests);

        // Known kids are served from the cache until it is 10 minutes old.
        valid = (await platform.IssueServiceTokenAsync("gateway")).Token;
        Assert.Equal(HttpStatusCode.OK, await CallRegistryAsync(platform, valid));
        Assert.Equal(2, iam.JwksRequests);
        Advance(platform, TimeSpan.FromMinutes(10));
        valid = (await platform.IssueServiceTokenAsync("gateway")).Token;
        Assert.Equal(HttpStatusCode.OK, await CallRegistryAsync(platform, valid));
        Assert.Equal(3, iam.JwksRequests);
    }

    [Fact]
    public async Task IamUnreachableAfterAFetch_CachedKeysKeepWorking_UnknownKidsGet503()
    {
        var iam = new IamFaults();
        await using var platform = await TestPlatform.StartAsync(["iam", "registry"], configurePipeline: (name, app) =>
        {
            iam.Attach(name, app);
            PrincipalProbe.Map(app);
        });
        Assert.Equal(HttpStatusCode.OK, await CallRegistryAsync(platform, (await platform.IssueServiceTokenAsync("gateway")).Token));

        iam.FailJwks = true;
        Advance(platform, TimeSpan.FromMinutes(11));
        Assert.Equal(HttpStatusCode.OK, await CallRegistryAsync(platform, (await platform.IssueServiceTokenAsync("gateway")).Token));
        Assert.Equal(2, iam.JwksRequests);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await CallRegistryAsync(platform, Unknown(platform)));

        // IAM is back: after the retry interval the unknown kid is checked against a fresh key set and is invalid.
        iam.FailJwks = false;
        Advance(platform, TimeSpan.FromSeconds(31));
        Assert.Equal(HttpStatusCode.Unauthorized, await CallRegistryAsync(platform, Unknown(platform)));
    }

    private static void Advance(TestPlatform platform, TimeSpan by) => platform.Time.Advance(by);

    private static string Unknown(TestPlatform platform) =>
        ForgedTokens.SignedByUnknownKey("kid-" + Guid.NewGuid().ToString("N"), ForgedTokens.Claims("gateway", platform.Time.GetUtcNow()));

    private static async Task<HttpStatusCode> CallRegistryAsync(TestPlatform platform, string token)
    {
        using var client = GatewayClient(platform, token);
        using var response = await client.GetAsync(PrincipalProbe.Open);
        return response.StatusCode;
    }

    private static HttpClient GatewayClient(TestPlatform platform, string token) =>
        new(new GatewayIdentityHandler(_ => ValueTask.FromResult(token), GatewayIdentity.Anonymous())
        {
            InnerHandler = platform.Host.Directory.CreateHandler("registry"),
        }) { BaseAddress = new Uri("http://registry.inproc/") };
}

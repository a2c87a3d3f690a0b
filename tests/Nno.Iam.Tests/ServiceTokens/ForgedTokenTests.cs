using System.Net;
using System.Security.Cryptography;
using Nno.Client.Identity;
using Nno.Testing;
using Nno.Testing.Security;

namespace Nno.Iam.Tests.ServiceTokens;

/// <summary>iam.md §7 test 23: tokens IAM did not issue as they are, or that are out of date, get 401 on IAM and on the Registry.</summary>
public sealed class ForgedTokenTests : IAsyncLifetime
{
    private TestPlatform _platform = null!;

    public async Task InitializeAsync() =>
        _platform = await TestPlatform.StartAsync(["iam", "registry"], configurePipeline: (_, app) => PrincipalProbe.Map(app));

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    public static TheoryData<string> Services => new() { "iam", "registry" };

    [Theory]
    [MemberData(nameof(Services))]
    public async Task GatewayToken_FromIam_IsAccepted(string service)
    {
        var token = (await _platform.IssueServiceTokenAsync("gateway")).Token;
        Assert.Equal(HttpStatusCode.OK, await CallAsGatewayAsync(service, token));
    }

    [Theory]
    [MemberData(nameof(Services))]
    public async Task Token_SignedByAnotherKeyUnderTheRealKid_Returns401(string service)
    {
        var kid = (await _platform.PublishedKidsAsync()).Single();
        var token = ForgedTokens.SignedByUnknownKey(kid, ForgedTokens.Claims("gateway", _platform.Time.GetUtcNow()));
        await AssertRejectedAsync(service, token);
    }

    [Theory]
    [MemberData(nameof(Services))]
    public async Task Token_SignedByAnUnpublishedKey_Returns401(string service)
    {
        var token = ForgedTokens.SignedByUnknownKey("attacker-key", ForgedTokens.Claims("gateway", _platform.Time.GetUtcNow()));
        await AssertRejectedAsync(service, token);
    }

    [Theory]
    [MemberData(nameof(Services))]
    public async Task Token_WithAlgNone_Returns401(string service)
    {
        var kid = (await _platform.PublishedKidsAsync()).Single();
        await AssertRejectedAsync(service, ForgedTokens.AlgNone(kid, ForgedTokens.Claims("gateway", _platform.Time.GetUtcNow())));
    }

    [Theory]
    [MemberData(nameof(Services))]
    public async Task Token_WithHs256KeyedByThePublicKey_Returns401(string service)
    {
        var kid = (await _platform.PublishedKidsAsync()).Single();
        var publicKey = (await _platform.PrivateKeyAsync(kid)).ExportSubjectPublicKeyInfo();
        await AssertRejectedAsync(service, ForgedTokens.Hs256(publicKey, kid, ForgedTokens.Claims("gateway", _platform.Time.GetUtcNow())));
    }

    [Theory]
    [MemberData(nameof(Services))]
    public async Task Token_Expired_Returns401OnceTheSkewIsUsedUp(string service)
    {
        var token = (await _platform.IssueServiceTokenAsync("gateway")).Token;
        _platform.Time.Advance(TimeSpan.FromSeconds(300 + 29));
        Assert.Equal(HttpStatusCode.OK, await CallAsGatewayAsync(service, token));
        _platform.Time.Advance(TimeSpan.FromSeconds(2));
        await AssertRejectedAsync(service, token);
    }

    [Theory]
    [MemberData(nameof(Services))]
    public async Task Token_NotYetValid_Returns401BeyondTheSkew(string service)
    {
        var kid = (await _platform.PublishedKidsAsync()).Single();
        var key = await _platform.PrivateKeyAsync(kid);
        var now = _platform.Time.GetUtcNow();
        Assert.Equal(HttpStatusCode.OK, await CallAsGatewayAsync(service, ForgedTokens.Es256(key, kid, ForgedTokens.Claims("gateway", now.AddSeconds(25)))));
        await AssertRejectedAsync(service, ForgedTokens.Es256(key, kid, ForgedTokens.Claims("gateway", now.AddSeconds(40))));
    }

    [Theory]
    [MemberData(nameof(Services))]
    public async Task Token_SignedByIamKeyButWrongAudienceIssuerOrSubject_Returns401(string service)
    {
        var kid = (await _platform.PublishedKidsAsync()).Single();
        var key = await _platform.PrivateKeyAsync(kid);
        var now = _platform.Time.GetUtcNow();
        await AssertRejectedAsync(service, ForgedTokens.Es256(key, kid, ForgedTokens.Claims("gateway", now, audience: "someone-else")));
        await AssertRejectedAsync(service, ForgedTokens.Es256(key, kid, ForgedTokens.Claims("gateway", now, issuer: "not-iam")));

        var mismatched = ForgedTokens.Claims("gateway", now);
        mismatched["sub"] = "svc:registry";
        await AssertRejectedAsync(service, ForgedTokens.Es256(key, kid, mismatched));
        await AssertRejectedAsync(service, ForgedTokens.Es256(key, kid, ForgedTokens.Claims("evil", now)));

        var noExpiry = ForgedTokens.Claims("gateway", now);
        noExpiry.Remove("exp");
        await AssertRejectedAsync(service, ForgedTokens.Es256(key, kid, noExpiry));
    }

    [Theory]
    [MemberData(nameof(Services))]
    public async Task Request_WithGarbageOrNoToken_Returns401(string service)
    {
        await AssertRejectedAsync(service, "not-a-jwt");
        using var client = _platform.Client(service);
        using var response = await client.GetAsync(PrincipalProbe.Open);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private async Task<HttpStatusCode> CallAsGatewayAsync(string service, string token)
    {
        using var client = new HttpClient(new GatewayIdentityHandler(_ => ValueTask.FromResult(token), GatewayIdentity.Anonymous())
        {
            InnerHandler = _platform.Host.Directory.CreateHandler(service),
        }) { BaseAddress = new Uri($"http://{service}.inproc/") };
        using var response = await client.GetAsync(PrincipalProbe.Open);
        return response.StatusCode;
    }

    private async Task AssertRejectedAsync(string service, string token)
    {
        using var client = new HttpClient(new GatewayIdentityHandler(_ => ValueTask.FromResult(token), GatewayIdentity.Anonymous())
        {
            InnerHandler = _platform.Host.Directory.CreateHandler(service),
        }) { BaseAddress = new Uri($"http://{service}.inproc/") };
        using var response = await client.GetAsync(PrincipalProbe.Open);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{service}: expected 401, got {(int)response.StatusCode} {body}");
        Assert.Equal("UNAUTHORIZED", IamTestKeys.ErrorCode(body));
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }
}

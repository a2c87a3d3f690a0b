using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Nno.Client.Identity;
using Nno.Testing;
using Nno.Testing.Security;

namespace Nno.ServiceDefaults.Tests.Security;

/// <summary>One IAM + Registry platform for the principal-rule tests (none of them moves the clock).</summary>
public sealed class PrincipalRulePlatform : IAsyncLifetime
{
    public TestPlatform Platform { get; private set; } = null!;

    private readonly Dictionary<string, string> _tokens = new(StringComparer.Ordinal);

    public async Task InitializeAsync()
    {
        Platform = await TestPlatform.StartAsync(["iam", "registry"], configurePipeline: (_, app) => PrincipalProbe.Map(app));
        foreach (var service in (string[])["gateway", "registry", "billing", "cli"])
        {
            _tokens[service] = (await Platform.IssueServiceTokenAsync(service)).Token;
        }
    }

    public string Token(string service) => _tokens[service];

    public async Task DisposeAsync() => await Platform.DisposeAsync();
}

/// <summary>00-system §6 and iam.md §7 test 25: who the caller is, and which routes it may reach.</summary>
public sealed class PrincipalRuleTests(PrincipalRulePlatform fixture) : IClassFixture<PrincipalRulePlatform>
{
    private const string PlatformA = "a1b2c3d4e5";
    private const string PlatformK = "k3m9p2xw7q";

    public static TheoryData<string> Targets => new() { "iam", "registry" };

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task RegistryToken_WithForgedUserHeaders_IsTheRegistryService(string target)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, PrincipalProbe.Shared);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", fixture.Token("registry"));
        request.Headers.Add("X-Nno-Auth", "session");
        request.Headers.Add("X-Nno-Role", "platform-admin");
        request.Headers.Add("X-Nno-User-Id", "usr_someoneelse000000000");
        request.Headers.Add("X-Nno-Session-Id", "ses_x");
        request.Headers.Add("X-Nno-Platforms", PlatformA + ":owner");
        request.Headers.Add("X-Nno-Acting-User-Id", "usr_actor0000000000000");
        using var client = fixture.Platform.Client(target);
        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var principal = (await PrincipalProbe.ReadPrincipalAsync(response))!.Value;
        Assert.Equal("service", principal.GetProperty("kind").GetString());
        Assert.Equal("registry", principal.GetProperty("callerService").GetString());
        Assert.Equal("svc:registry", principal.GetProperty("userId").GetString());
        Assert.Equal("service", principal.GetProperty("role").GetString());
        Assert.Equal(JsonValueKind.Null, principal.GetProperty("sessionId").ValueKind);
        Assert.Empty(principal.GetProperty("platforms").EnumerateObject());
        Assert.False(principal.GetProperty("isOperator").GetBoolean());
        Assert.Equal("usr_actor0000000000000", principal.GetProperty("actingUserId").GetString());
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task RegistryToken_WithForgedOperatorHeaders_GetsNothingOnAUserRoute(string target)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, PrincipalProbe.Open);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", fixture.Token("registry"));
        request.Headers.Add("X-Nno-Auth", "service");
        request.Headers.Add("X-Nno-User-Id", "static-key:0a1b2c3d");
        using var client = fixture.Platform.Client(target);
        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("FORBIDDEN", await ErrorCodeAsync(response));
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task GatewayToken_Anonymous_IsAnAnonymousPrincipal(string target)
    {
        using var client = fixture.Platform.GatewayClient(target, GatewayIdentity.Anonymous("203.0.113.7"));
        using var response = await client.GetAsync(PrincipalProbe.Open);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var principal = (await PrincipalProbe.ReadPrincipalAsync(response))!.Value;
        Assert.Equal("anonymous", principal.GetProperty("kind").GetString());
        Assert.Equal("gateway", principal.GetProperty("callerService").GetString());
        Assert.Equal(JsonValueKind.Null, principal.GetProperty("userId").ValueKind);
        Assert.Equal("203.0.113.7", principal.GetProperty("clientIp").GetString());
        Assert.False(principal.GetProperty("isAuthenticatedUser").GetBoolean());
    }

    [Fact]
    public async Task GatewayToken_Session_CarriesEveryPlatformWithItsRole()
    {
        var identity = GatewayIdentity.Session(
            "usr_alice0000000000000", "ses_abc", platforms: new Dictionary<string, string> { [PlatformK] = "owner", [PlatformA] = "member" }, activePlatformId: PlatformK);
        using var client = fixture.Platform.GatewayClient("registry", identity);
        using var response = await client.GetAsync(PrincipalProbe.Open);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var principal = (await PrincipalProbe.ReadPrincipalAsync(response))!.Value;
        Assert.Equal("session", principal.GetProperty("kind").GetString());
        Assert.Equal("usr_alice0000000000000", principal.GetProperty("userId").GetString());
        Assert.Equal("user", principal.GetProperty("role").GetString());
        Assert.Equal("ses_abc", principal.GetProperty("sessionId").GetString());
        Assert.Equal(PlatformK, principal.GetProperty("platformId").GetString());
        Assert.Equal("owner", principal.GetProperty("platformRole").GetString());
        var platforms = principal.GetProperty("platforms");
        Assert.Equal("member", platforms.GetProperty(PlatformA).GetString());
        Assert.Equal("owner", platforms.GetProperty(PlatformK).GetString());
        Assert.True(principal.GetProperty("isAuthenticatedUser").GetBoolean());
        Assert.False(principal.GetProperty("isOperator").GetBoolean());
    }

    [Fact]
    public async Task GatewayToken_ApiKey_CarriesScopesAndTheKeysPlatform()
    {
        var identity = GatewayIdentity.ApiKey("usr_bob00000000000000", "key_1", ["platforms:write", "billing:read"], platformId: PlatformA, platformRole: "admin");
        using var client = fixture.Platform.GatewayClient("registry", identity);
        using var response = await client.GetAsync(PrincipalProbe.Open);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var principal = (await PrincipalProbe.ReadPrincipalAsync(response))!.Value;
        Assert.Equal("api-key", principal.GetProperty("kind").GetString());
        Assert.Equal("key_1", principal.GetProperty("keyId").GetString());
        Assert.Equal(["billing:read", "platforms:write"], principal.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal("admin", principal.GetProperty("platforms").GetProperty(PlatformA).GetString());
    }

    [Fact]
    public async Task GatewayToken_StaticKey_IsAnOperatorButNeverReachesInternalRoutes()
    {
        using var client = fixture.Platform.GatewayClient("registry", GatewayIdentity.StaticKey("0a1b2c3d"));
        using var open = await client.GetAsync(PrincipalProbe.Open);
        Assert.Equal(HttpStatusCode.OK, open.StatusCode);
        var principal = (await PrincipalProbe.ReadPrincipalAsync(open))!.Value;
        Assert.Equal("static-key", principal.GetProperty("kind").GetString());
        Assert.True(principal.GetProperty("isOperator").GetBoolean());

        using var hidden = await client.GetAsync(PrincipalProbe.Internal);
        Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
    }

    [Fact]
    public async Task GatewaySelf_OnlyWhereGatewayIsListed()
    {
        using var client = fixture.Platform.GatewayClient("iam", GatewayIdentity.GatewaySelf());
        using var listed = await client.GetAsync(PrincipalProbe.Shared);
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        Assert.Equal("gateway-self", (await PrincipalProbe.ReadPrincipalAsync(listed))!.Value.GetProperty("kind").GetString());

        using var unlisted = await client.GetAsync(PrincipalProbe.Open);
        Assert.Equal(HttpStatusCode.Forbidden, unlisted.StatusCode);
        using var internalRoute = await client.GetAsync(PrincipalProbe.Internal);
        Assert.Equal(HttpStatusCode.Forbidden, internalRoute.StatusCode);
    }

    [Theory]
    [InlineData("billing", "/test/probe/shared")]
    [InlineData("billing", "/test/probe/internal")]
    [InlineData("cli", "/test/probe/internal")]
    [InlineData("registry", "/test/probe/open")]
    [InlineData("billing", "/test/probe/open")]
    public async Task ServiceToken_NotOnTheRoutesAllowlist_Returns403(string caller, string path)
    {
        using var client = fixture.Platform.ClientWithToken("registry", fixture.Token(caller));
        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("FORBIDDEN", await ErrorCodeAsync(response));
    }

    [Theory]
    [InlineData("/test/probe/shared")]
    [InlineData("/test/probe/internal")]
    public async Task ServiceToken_OnTheRoutesAllowlist_IsAllowed(string path)
    {
        using var client = fixture.Platform.ClientWithToken("registry", fixture.Token("registry"));
        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task User_OnAServiceOnlyRoute_GetsTheSame404AsForAnUnknownRoute(string target)
    {
        var session = GatewayIdentity.Session("usr_alice0000000000000", "ses_abc", role: "platform-admin");
        using var client = fixture.Platform.GatewayClient(target, session);
        using var hidden = await client.GetAsync(PrincipalProbe.Internal);
        using var unknown = await client.GetAsync("/test/probe/does-not-exist");

        Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        var hiddenError = await ErrorAsync(hidden);
        var unknownError = await ErrorAsync(unknown);
        Assert.Equal("NOT_FOUND", hiddenError.GetProperty("code").GetString());
        Assert.Equal(JsonValueKind.Null, hiddenError.GetProperty("details").ValueKind);
        Assert.Equal(
            unknownError.GetProperty("message").GetString()!.Replace("does-not-exist", "internal", StringComparison.Ordinal),
            hiddenError.GetProperty("message").GetString());

        using var anonymous = fixture.Platform.GatewayClient(target, GatewayIdentity.Anonymous());
        using var anonymousHidden = await anonymous.GetAsync(PrincipalProbe.Internal);
        Assert.Equal(HttpStatusCode.NotFound, anonymousHidden.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task NoToken_OnAnUnknownOrProtectedRoute_Returns401(string target)
    {
        using var client = fixture.Platform.Client(target);
        foreach (var path in (string[])["/nothing/here", PrincipalProbe.Open, PrincipalProbe.Internal])
        {
            using var response = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("UNAUTHORIZED", await ErrorCodeAsync(response));
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        }

        using var basic = new HttpRequestMessage(HttpMethod.Get, "/nothing/here");
        basic.Headers.Authorization = new AuthenticationHeaderValue("Basic", "dXNlcjpwYXNz");
        using var basicResponse = await client.SendAsync(basic);
        Assert.Equal(HttpStatusCode.Unauthorized, basicResponse.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task ValidToken_OnAnUnknownRoute_Returns404(string target)
    {
        using var client = fixture.Platform.GatewayClient(target, GatewayIdentity.Anonymous());
        using var response = await client.GetAsync("/nothing/here");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task TokenlessRoute_NeedsNoTokenAndResolvesNoPrincipal(string target)
    {
        using var client = fixture.Platform.Client(target);
        using var response = await client.GetAsync(PrincipalProbe.Tokenless);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(await PrincipalProbe.ReadPrincipalAsync(response));

        using var health = await client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    public static TheoryData<string, string[]> MalformedHeaders => new()
    {
        { "no X-Nno-Auth", [] },
        { "unknown auth kind", ["X-Nno-Auth: root"] },
        { "anonymous with a user id", ["X-Nno-Auth: anonymous", "X-Nno-User-Id: usr_a"] },
        { "session without session id", ["X-Nno-Auth: session", "X-Nno-User-Id: usr_a", "X-Nno-Role: user"] },
        { "session without role", ["X-Nno-Auth: session", "X-Nno-User-Id: usr_a", "X-Nno-Session-Id: ses_a"] },
        { "session with an unknown role", ["X-Nno-Auth: session", "X-Nno-User-Id: usr_a", "X-Nno-Role: root", "X-Nno-Session-Id: ses_a"] },
        { "session with a key id", ["X-Nno-Auth: session", "X-Nno-User-Id: usr_a", "X-Nno-Role: user", "X-Nno-Session-Id: ses_a", "X-Nno-Key-Id: key_a"] },
        { "session posing as the static key", ["X-Nno-Auth: session", "X-Nno-User-Id: static-key:0a1b2c3d", "X-Nno-Role: user", "X-Nno-Session-Id: ses_a"] },
        { "platform list without roles", ["X-Nno-Auth: session", "X-Nno-User-Id: usr_a", "X-Nno-Role: user", "X-Nno-Session-Id: ses_a", "X-Nno-Platforms: a1b2c3d4e5"] },
        { "platform list with a bad role", ["X-Nno-Auth: session", "X-Nno-User-Id: usr_a", "X-Nno-Role: user", "X-Nno-Session-Id: ses_a", "X-Nno-Platforms: a1b2c3d4e5:god"] },
        { "platform list with a bad id", ["X-Nno-Auth: session", "X-Nno-User-Id: usr_a", "X-Nno-Role: user", "X-Nno-Session-Id: ses_a", "X-Nno-Platforms: ../etc:owner"] },
        { "platform listed twice", ["X-Nno-Auth: session", "X-Nno-User-Id: usr_a", "X-Nno-Role: user", "X-Nno-Session-Id: ses_a", "X-Nno-Platforms: a1b2c3d4e5:member,a1b2c3d4e5:owner"] },
        { "api key without key id", ["X-Nno-Auth: apikey", "X-Nno-User-Id: usr_a", "X-Nno-Role: user"] },
        { "api key with a bad scope", ["X-Nno-Auth: apikey", "X-Nno-User-Id: usr_a", "X-Nno-Role: user", "X-Nno-Key-Id: key_a", "X-Nno-Scopes: everything"] },
        { "service with a user id", ["X-Nno-Auth: service", "X-Nno-User-Id: usr_a"] },
        { "static key that is not hex", ["X-Nno-Auth: service", "X-Nno-User-Id: static-key:zzzzzzzz"] },
        { "static key with platforms", ["X-Nno-Auth: service", "X-Nno-User-Id: static-key:0a1b2c3d", "X-Nno-Platforms: a1b2c3d4e5:owner"] },
        { "gateway self with a session", ["X-Nno-Auth: service", "X-Nno-User-Id: svc:gateway", "X-Nno-Session-Id: ses_a"] },
        { "client ip that is not an address", ["X-Nno-Auth: anonymous", "X-Nno-Client-Ip: somewhere"] },
        { "auth header twice", ["X-Nno-Auth: anonymous", "X-Nno-Auth: session"] },
    };

    [Theory]
    [MemberData(nameof(MalformedHeaders))]
    public async Task GatewayToken_WithMalformedIdentityHeaders_Returns401(string why, string[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, PrincipalProbe.Open);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", fixture.Token("gateway"));
        foreach (var header in headers)
        {
            var colon = header.IndexOf(':', StringComparison.Ordinal);
            request.Headers.TryAddWithoutValidation(header[..colon], header[(colon + 1)..].Trim());
        }

        using var client = fixture.Platform.Client("registry");
        using var response = await client.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{why}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private static async Task<string?> ErrorCodeAsync(HttpResponseMessage response) =>
        (await ErrorAsync(response)).GetProperty("code").GetString();

    private static async Task<JsonElement> ErrorAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").Clone();
}

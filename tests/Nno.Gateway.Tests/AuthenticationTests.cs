using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Nno.Core.Credentials;
using Nno.Core.Environments;
using Nno.Gateway.Tests.Support;

namespace Nno.Gateway.Tests;

/// <summary>Authentication and identity headers on the shared platform (gateway.md §3.3, §4.3, §4.5; §7 tests 3–11, 30, 33–35).</summary>
[Collection(GatewayCollection.Name)]
public sealed class AuthenticationTests(GatewayFixture fixture)
{
    private GatewayPlatform Platform => fixture.Platform;

    public static TheoryData<string, string> PublicRoutes => new()
    {
        { "POST", "/api/v1/iam/auth/sign-up/email" },
        { "POST", "/api/v1/iam/auth/sign-in/email" },
        { "POST", "/api/v1/iam/auth/sign-in/magic-link" },
        { "GET", "/api/v1/iam/auth/magic-link/verify" },
        { "POST", "/api/v1/iam/auth/two-factor/verify" },
        { "POST", "/api/v1/iam/oauth/device/code" },
        { "POST", "/api/v1/iam/oauth/device/token" },
        { "POST", "/api/v1/billing/webhooks/stripe" },
        { "POST", "/api/v1/cli/webhooks/github" },
    };

    private static string Fingerprint(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..8];

    private static async Task AssertUnauthorizedAsync(HttpResponseMessage response)
    {
        await Http.AssertEnvelopeAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.Equal("Bearer", Http.Header(response, "WWW-Authenticate"));
    }

    [Fact]
    public async Task Health_NeedsNoCredentials_ButAnApiRouteAnswers401WithRequestId()
    {
        using var health = await Platform.Gateway.GetAsync("/health");
        using var request = GatewayPlatform.Request(HttpMethod.Get, "/api/v1/platforms", out var id);
        using var response = await Platform.Gateway.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        await AssertUnauthorizedAsync(response);
        Assert.Equal(id, (await Http.JsonAsync(response)).GetProperty("error").GetProperty("requestId").GetString());
        Assert.Empty(Platform.Recorder.For(id));
    }

    [Theory]
    [MemberData(nameof(PublicRoutes))]
    public async Task PublicRoute_IsForwardedWithoutCredentialsAsAnonymous(string method, string path)
    {
        using var request = GatewayPlatform.Request(new HttpMethod(method), path, out var id);
        request.Content = method == "POST" ? new StringContent("{}") : null;

        using var response = await Platform.Gateway.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var upstream = Platform.Recorder.One(id);
        Assert.Equal("anonymous", upstream.Header("X-Nno-Auth"));
        Assert.Equal("Bearer " + FakeServiceTokenProvider.Token, upstream.Header("Authorization"));
    }

    [Theory]
    [MemberData(nameof(PublicRoutes))]
    public async Task PublicPath_WithAnotherMethodOrATrailingSlash_NeedsAuthentication(string method, string path)
    {
        foreach (var (m, p) in new[] { (method == "GET" ? "POST" : "GET", path), (method, path + "/"), ("PUT", path) })
        {
            using var request = GatewayPlatform.Request(new HttpMethod(m), p, out var id);
            using var response = await Platform.Gateway.SendAsync(request);

            await AssertUnauthorizedAsync(response);
            Assert.Empty(Platform.Recorder.For(id));
        }
    }

    [Fact]
    public async Task ForgedIdentityHeaders_AreReplacedByTheSessionsIdentity()
    {
        var token = Platform.NewSession(out var session, platforms: new Dictionary<string, string> { ["aaaaaaaaa1"] = "member" }, activePlatformId: "aaaaaaaaa1");
        using var request = GatewayPlatform.Request(HttpMethod.Get, "/api/v1/platforms/bbbbbbbbb2", token, out var id);
        request.Headers.TryAddWithoutValidation("X-Nno-User-Id", "victim");
        request.Headers.TryAddWithoutValidation("X-Nno-Role", "platform-admin");
        request.Headers.TryAddWithoutValidation("X-Nno-Platform-Id", "bbbbbbbbb2");
        request.Headers.TryAddWithoutValidation("X-Nno-Platforms", "bbbbbbbbb2:owner");
        request.Headers.TryAddWithoutValidation("X-Nno-Session-Token", "forged");

        using var response = await Platform.Gateway.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var upstream = Platform.Recorder.One(id);
        Assert.Equal("session", upstream.Header("X-Nno-Auth"));
        Assert.Equal(session.UserId, upstream.Header("X-Nno-User-Id"));
        Assert.Equal(session.SessionId, upstream.Header("X-Nno-Session-Id"));
        Assert.Equal("user", upstream.Header("X-Nno-Role"));
        Assert.Equal("aaaaaaaaa1", upstream.Header("X-Nno-Platform-Id"));
        Assert.Equal("member", upstream.Header("X-Nno-Platform-Role"));
        Assert.Equal("aaaaaaaaa1:member", upstream.Header("X-Nno-Platforms"));
        Assert.Null(upstream.Header("X-Nno-Session-Token"));
        Assert.Null(upstream.Header("X-Nno-Key-Id"));
        Assert.Null(upstream.Header("X-Nno-Scopes"));
        Assert.Equal("127.0.0.1", upstream.Header("X-Nno-Client-Ip"));
    }

    [Fact]
    public async Task PublicRoute_WithAValidSession_TravelsAnonymousWithoutClientCredentials()
    {
        using var request = GatewayPlatform.Request(HttpMethod.Post, "/api/v1/iam/auth/sign-in/email", GatewayPlatform.DefaultSessionToken, out var id);
        request.Headers.TryAddWithoutValidation("Cookie", "nno.session_token=" + GatewayPlatform.DefaultSessionToken);
        request.Headers.TryAddWithoutValidation("X-Nno-User-Id", "victim");
        request.Content = new StringContent("{}");
        var calls = Platform.Iam.SessionCalls;

        using var response = await Platform.Gateway.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var upstream = Platform.Recorder.One(id);
        Assert.Equal(["X-Nno-Auth", "X-Nno-Client-Ip"], upstream.Headers.Keys.Where(k => k.StartsWith("X-Nno-", StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal));
        Assert.Equal("anonymous", upstream.Header("X-Nno-Auth"));
        Assert.Equal("Bearer " + FakeServiceTokenProvider.Token, upstream.Header("Authorization"));
        Assert.Null(upstream.Header("Cookie"));
        Assert.Equal(calls, Platform.Iam.SessionCalls);
    }

    [Theory]
    [InlineData(GatewayPlatform.StaticKey)]
    [InlineData(GatewayPlatform.NextStaticKey)]
    public async Task StaticKey_TravelsAsServiceWithItsFingerprint(string key)
    {
        using var request = GatewayPlatform.Request(HttpMethod.Post, "/api/v1/platforms/ccccccccc3/entities", key, out var id);
        request.Headers.TryAddWithoutValidation("X-Nno-User-Id", "svc:gateway");
        request.Content = new StringContent("{}");
        var calls = Platform.Iam.SessionCalls + Platform.Iam.VerifyCalls;

        using var response = await Platform.Gateway.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain(response.Headers, h => h.Key.StartsWith("RateLimit-", StringComparison.OrdinalIgnoreCase));
        var upstream = Platform.Recorder.One(id);
        Assert.Equal("service", upstream.Header("X-Nno-Auth"));
        Assert.Equal("static-key:" + Fingerprint(key), upstream.Header("X-Nno-User-Id"));
        Assert.Equal("service", upstream.Header("X-Nno-Role"));
        Assert.Equal("", upstream.Header("X-Nno-Platform-Id"));
        Assert.Equal("", upstream.Header("X-Nno-Platforms"));
        Assert.Equal(calls, Platform.Iam.SessionCalls + Platform.Iam.VerifyCalls);
    }

    [Fact]
    public void TheTwoStaticKeys_HaveDifferentFingerprints() =>
        Assert.NotEqual(Fingerprint(GatewayPlatform.StaticKey), Fingerprint(GatewayPlatform.NextStaticKey));

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public async Task NearMissOfTheStaticKey_Answers401(int variant)
    {
        var key = GatewayPlatform.StaticKey;
        var nearMiss = variant switch
        {
            1 => key[..^1] + (key[^1] == 'v' ? 'w' : 'v'),
            2 => key[..^1],
            3 => key + "x",
            4 => key.ToUpperInvariant(),
            _ => "X" + key[1..],
        };
        using var request = GatewayPlatform.Request(HttpMethod.Get, "/api/v1/stacks", nearMiss, out var id);

        using var response = await Platform.Gateway.SendAsync(request);

        await AssertUnauthorizedAsync(response);
        Assert.Empty(Platform.Recorder.For(id));
    }

    [Theory]
    [InlineData("checksum")]
    [InlineData("environment")]
    [InlineData("format")]
    public async Task ApiKeyFailingTheLocalCheck_Answers401WithoutCallingIam(string problem)
    {
        var valid = ApiKeyFormat.Generate(NnoEnvironment.Local);
        var key = problem switch
        {
            "checksum" => valid[..^1] + (valid[^1] == 'A' ? 'B' : 'A'),
            "environment" => ApiKeyFormat.Generate(NnoEnvironment.Prod),
            _ => "nno_local_short",
        };
        Assert.NotEqual(ApiKeyCheck.Ok, ApiKeyFormat.Validate(key, NnoEnvironment.Local));
        var calls = Platform.Iam.VerifyCalls;

        using var request = GatewayPlatform.Request(HttpMethod.Get, "/api/v1/billing/invoices", key, out var id);
        using var response = await Platform.Gateway.SendAsync(request);

        await AssertUnauthorizedAsync(response);
        Assert.Equal(calls, Platform.Iam.VerifyCalls);
        Assert.Empty(Platform.Recorder.For(id));
    }

    [Fact]
    public async Task ApiKey_TravelsWithItsKeyIdSortedScopesAndOnlyItsOwnPlatform()
    {
        // Test 33: a key bound to A calling B's routes reaches the Registry with A's membership only.
        var key = Platform.NewApiKey(out var apiKey, ["platforms:write", "billing:read", "iam:read"], "aaaaaaaaa1", "admin");
        using var request = GatewayPlatform.Request(HttpMethod.Get, "/api/v1/platforms/bbbbbbbbb2/entities", key, out var id);
        request.Headers.TryAddWithoutValidation("X-Nno-Platforms", "bbbbbbbbb2:owner");

        using var response = await Platform.Gateway.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var upstream = Platform.Recorder.One(id);
        Assert.Equal("apikey", upstream.Header("X-Nno-Auth"));
        Assert.Equal(apiKey.UserId, upstream.Header("X-Nno-User-Id"));
        Assert.Equal(apiKey.KeyId, upstream.Header("X-Nno-Key-Id"));
        Assert.Equal("billing:read,iam:read,platforms:write", upstream.Header("X-Nno-Scopes"));
        Assert.Equal("aaaaaaaaa1", upstream.Header("X-Nno-Platform-Id"));
        Assert.Equal("admin", upstream.Header("X-Nno-Platform-Role"));
        Assert.Equal("aaaaaaaaa1:admin", upstream.Header("X-Nno-Platforms"));
        Assert.Null(upstream.Header("X-Nno-Session-Id"));
    }

    [Fact]
    public async Task SessionWithSeveralMemberships_SendsThemSortedWhateverTheActivePlatform()
    {
        // Test 34: memberships in insertion order z…, a…; the header is sorted by platform id.
        var platforms = new Dictionary<string, string> { ["zzzzzzzzz9"] = "member", ["aaaaaaaaa1"] = "owner" };
        var onZ = Platform.NewSession(out _, platforms: platforms, activePlatformId: "zzzzzzzzz9");
        var onA = Platform.NewSession(out _, platforms: platforms, activePlatformId: "aaaaaaaaa1");

        var seen = new List<RecordedRequest>();
        foreach (var token in new[] { onZ, onA })
        {
            using var request = GatewayPlatform.Request(HttpMethod.Get, "/api/v1/stacks", token, out var id);
            using var response = await Platform.Gateway.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            seen.Add(Platform.Recorder.One(id));
        }

        Assert.All(seen, r => Assert.Equal("aaaaaaaaa1:owner,zzzzzzzzz9:member", r.Header("X-Nno-Platforms")));
        Assert.Equal(("zzzzzzzzz9", "member"), (seen[0].Header("X-Nno-Platform-Id"), seen[0].Header("X-Nno-Platform-Role")));
        Assert.Equal(("aaaaaaaaa1", "owner"), (seen[1].Header("X-Nno-Platform-Id"), seen[1].Header("X-Nno-Platform-Role")));
    }

    [Fact]
    public async Task OnlyACookie_IsNoCredential_AndWithABearerTheCookieIsDropped()
    {
        using var cookieOnly = GatewayPlatform.Request(HttpMethod.Get, "/api/v1/platforms", out var first);
        cookieOnly.Headers.TryAddWithoutValidation("Cookie", "nno.session_token=" + GatewayPlatform.DefaultSessionToken);
        cookieOnly.Headers.TryAddWithoutValidation("Origin", "http://localhost:5174");
        using var withBearer = GatewayPlatform.Request(HttpMethod.Get, "/api/v1/platforms", GatewayPlatform.DefaultSessionToken, out var second);
        withBearer.Headers.TryAddWithoutValidation("Cookie", "nno.session_token=" + GatewayPlatform.DefaultSessionToken);
        withBearer.Headers.TryAddWithoutValidation("Origin", "http://localhost:5174");

        using var rejected = await Platform.Gateway.SendAsync(cookieOnly);
        using var accepted = await Platform.Gateway.SendAsync(withBearer);

        await AssertUnauthorizedAsync(rejected);
        Assert.Empty(Platform.Recorder.For(first));
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Null(Platform.Recorder.One(second).Header("Cookie"));
        Assert.Null(Http.Header(rejected, "Access-Control-Allow-Credentials"));
        Assert.Null(Http.Header(accepted, "Access-Control-Allow-Credentials"));
    }

    [Theory]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Token abc")]
    [InlineData("Bearer")]
    [InlineData("Bearer ")]
    [InlineData("Bearer\tabc")]
    [InlineData("Bearer abc def")]
    [InlineData("Bearer abc\u00e9")]
    [InlineData("Bearer abc\u0001")]
    [InlineData("BearerX abc")]
    public async Task NonBearerOrOddAuthorization_Answers401WithoutCallingIam(string authorization)
    {
        var calls = Platform.Iam.SessionCalls + Platform.Iam.VerifyCalls;
        using var request = GatewayPlatform.Request(HttpMethod.Get, "/api/v1/stacks", out var id);
        Assert.True(request.Headers.TryAddWithoutValidation("Authorization", authorization));

        using var response = await Platform.Gateway.SendAsync(request);

        await AssertUnauthorizedAsync(response);
        Assert.Equal(calls, Platform.Iam.SessionCalls + Platform.Iam.VerifyCalls);
        Assert.Empty(Platform.Recorder.For(id));
    }

    [Fact]
    public async Task OversizedAuthorizationOrTwoOfThem_Answer401WithoutCallingIam()
    {
        var calls = Platform.Iam.SessionCalls + Platform.Iam.VerifyCalls;
        using var oversize = GatewayPlatform.Request(HttpMethod.Get, "/api/v1/stacks", new string('a', 4097 - "Bearer ".Length), out _);
        using var twice = GatewayPlatform.Request(HttpMethod.Get, "/api/v1/stacks", GatewayPlatform.DefaultSessionToken, out _);
        twice.Headers.TryAddWithoutValidation("Authorization", "Bearer " + GatewayPlatform.StaticKey);

        using var first = await Platform.Gateway.SendAsync(oversize);
        using var second = await Platform.Gateway.SendAsync(twice);

        await AssertUnauthorizedAsync(first);
        await AssertUnauthorizedAsync(second);
        Assert.Equal(calls, Platform.Iam.SessionCalls + Platform.Iam.VerifyCalls);
    }

    [Fact]
    public async Task AuthorizationOfExactly4KiB_IsStillChecked()
    {
        using var request = GatewayPlatform.Request(HttpMethod.Get, "/api/v1/stacks", new string('b', 4096 - "Bearer ".Length), out _);
        var calls = Platform.Iam.SessionCalls;

        using var response = await Platform.Gateway.SendAsync(request);

        await AssertUnauthorizedAsync(response);
        Assert.Equal(calls + 1, Platform.Iam.SessionCalls);
    }

    [Theory]
    [InlineData("POST", "/api/v1/iam/nno/apikey/verify")]
    [InlineData("POST", "/api/v1/iam/nno/service-token")]
    [InlineData("GET", "/api/v1/iam/nno/jwks")]
    [InlineData("POST", "/api/v1/iam/nno/notifications")]
    public async Task InternalOnlyPath_Is404ForSessionsOperatorsAndTheStaticKey(string method, string path)
    {
        var operatorToken = Platform.NewSession(out _, role: "platform-admin");
        foreach (var credential in new[] { GatewayPlatform.DefaultSessionToken, operatorToken, GatewayPlatform.StaticKey })
        {
            using var request = GatewayPlatform.Request(new HttpMethod(method), path, credential, out var id);
            using var response = await Platform.Gateway.SendAsync(request);

            await Http.AssertEnvelopeAsync(response, HttpStatusCode.NotFound, "NOT_FOUND");
            Assert.Empty(Platform.Recorder.For(id));
        }
    }

    [Fact]
    public async Task GatewaysOwnIamCalls_CarryOnlyItsServiceIdentity()
    {
        // Test 35, first half: the validation call is the gateway's own (svc:gateway), nothing of the client's.
        var token = Platform.NewSession(out _);
        using var request = GatewayPlatform.Request(HttpMethod.Get, "/api/v1/stacks", token, out _);
        request.Headers.TryAddWithoutValidation("X-Nno-User-Id", "svc:gateway");
        request.Headers.TryAddWithoutValidation("X-Nno-Client-Ip", "6.6.6.6");

        using var response = await Platform.Gateway.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var call = Platform.Iam.ValidationCalls.Last(c => c.GetValueOrDefault("X-Nno-Session-Token") == token);
        Assert.Equal(
            ["X-Nno-Auth", "X-Nno-Session-Token", "X-Nno-User-Id"],
            call.Keys.Where(k => k.StartsWith("X-Nno-", StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal));
        Assert.Equal("service", call["X-Nno-Auth"]);
        Assert.Equal("svc:gateway", call["X-Nno-User-Id"]);
        Assert.Equal("Bearer " + FakeServiceTokenProvider.Token, call["Authorization"]);
    }

    [Theory]
    [InlineData("svc:gateway")]
    [InlineData("static-key:12345678")]
    public async Task CredentialResolvingToAReservedUserId_IsRejected(string userId)
    {
        // Test 35, second half: whatever IAM says, no client request reaches an upstream as the gateway or the static key.
        var token = "reserved-" + Guid.NewGuid().ToString("N");
        Platform.Iam.AddSession(token, new TestSession(userId, "ses_" + Guid.NewGuid().ToString("N")[..8], Platform.Platform.Time.GetUtcNow().AddDays(1)));
        using var request = GatewayPlatform.Request(HttpMethod.Get, "/api/v1/stacks", token, out var id);

        using var response = await Platform.Gateway.SendAsync(request);

        await AssertUnauthorizedAsync(response);
        Assert.Empty(Platform.Recorder.For(id));
        Assert.DoesNotContain(Platform.Recorder.All, r => r.Header("X-Nno-User-Id") == "svc:gateway");
    }

    [Fact]
    public async Task AccessLog_NamesThePrincipalUserAndKey()
    {
        var key = Platform.NewApiKey(out var apiKey, ["stacks:read"]);
        using var request = GatewayPlatform.Request(HttpMethod.Get, "/api/v1/stacks", key, out var id);
        using var staticRequest = GatewayPlatform.Request(HttpMethod.Get, "/api/v1/stacks", GatewayPlatform.StaticKey, out var staticId);

        using var response = await Platform.Gateway.SendAsync(request);
        using var staticResponse = await Platform.Gateway.SendAsync(staticRequest);

        var line = await AccessLogAsync(id);
        Assert.Equal("apikey", line.Field("principal"));
        Assert.Equal(apiKey.UserId, line.Field("userId"));
        Assert.Equal(apiKey.KeyId, line.Field("keyId"));
        var staticLine = await AccessLogAsync(staticId);
        Assert.Equal("service", staticLine.Field("principal"));
        Assert.Equal("static-key:" + Fingerprint(GatewayPlatform.StaticKey), staticLine.Field("userId"));
        Assert.Null(staticLine.Field("keyId"));
    }

    private async Task<CapturedLog> AccessLogAsync(string requestId)
    {
        for (var i = 0; i < 200; i++)
        {
            var entry = Platform.Logs.Entries.SingleOrDefault(e => e.Category == "Nno.Gateway.AccessLog" && Equals(e.Field("scope:requestId"), requestId));
            if (entry is not null)
            {
                Assert.Equal(LogLevel.Information, entry.Level);
                return entry;
            }

            await Task.Delay(25);
        }

        throw new Xunit.Sdk.XunitException($"No access-log line for {requestId}.");
    }
}

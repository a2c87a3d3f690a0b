using System.Net;
using Nno.Gateway.Tests.Support;

namespace Nno.Gateway.Tests;

/// <summary>CORS on the shared (local) platform (gateway.md §3.1, §4.11; §7 tests 11 and 24).</summary>
[Collection(GatewayCollection.Name)]
public sealed class CorsTests(GatewayFixture fixture)
{
    private const string Console = "http://localhost:5174";
    private const string ExposedHeaders = "X-Request-Id, X-Trace-Id, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After, Location";

    private GatewayPlatform Platform => fixture.Platform;

    private static HttpRequestMessage Preflight(string path, string origin, string method, out string requestId)
    {
        var request = GatewayPlatform.Request(HttpMethod.Options, path, out requestId);
        request.Headers.TryAddWithoutValidation("Origin", origin);
        request.Headers.TryAddWithoutValidation("Access-Control-Request-Method", method);
        request.Headers.TryAddWithoutValidation("Access-Control-Request-Headers", "authorization, content-type, idempotency-key");
        return request;
    }

    private static void AssertNoCorsHeaders(HttpResponseMessage response) =>
        Assert.DoesNotContain(response.Headers.Concat(response.Content.Headers), h => h.Key.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase));

    [Theory]
    [InlineData("/api/v1/platforms", "POST")]
    [InlineData("/api/v1/billing/subscription", "DELETE")]
    [InlineData("/api/v1/iam/auth/sign-in/email", "POST")]
    public async Task Preflight_FromTheLocalConsole_Returns204WithTheListedHeaders(string path, string method)
    {
        using var request = Preflight(path, Console, method, out var id);
        var sessionCalls = Platform.Iam.SessionCalls;

        using var response = await Platform.Gateway.SendAsync(request);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(Console, Http.Header(response, "Access-Control-Allow-Origin"));
        Assert.Equal("Origin", Http.Header(response, "Vary"));
        Assert.Equal("GET, HEAD, POST, PUT, PATCH, DELETE", Http.Header(response, "Access-Control-Allow-Methods"));
        Assert.Equal("Authorization, Content-Type, Idempotency-Key, X-Request-Id, X-Trace-Id, traceparent, tracestate", Http.Header(response, "Access-Control-Allow-Headers"));
        Assert.Equal("600", Http.Header(response, "Access-Control-Max-Age"));
        Assert.Null(Http.Header(response, "Access-Control-Allow-Credentials"));
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        // Preflights carry the ids and security headers of every response, need no credential and reach no upstream.
        Assert.Equal(id, Http.Header(response, "X-Request-Id"));
        Assert.NotNull(Http.Header(response, "X-Trace-Id"));
        Assert.Equal("nosniff", Http.Header(response, "X-Content-Type-Options"));
        Assert.Empty(Platform.Recorder.For(id));
        Assert.Equal(sessionCalls, Platform.Iam.SessionCalls);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5174", "/api/v1/stacks")]
    [InlineData(Console, "/api/v9/nothing/here")]
    [InlineData(Console, "/health")]
    [InlineData(Console, "/api/v1/iam/nno/jwks")]
    public async Task Preflight_ToAnyWellFormedPath_IsAnsweredByTheGateway(string origin, string path)
    {
        using var request = Preflight(path, origin, "GET", out var id);

        using var response = await Platform.Gateway.SendAsync(request);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(origin, Http.Header(response, "Access-Control-Allow-Origin"));
        Assert.Empty(Platform.Recorder.For(id));
    }

    [Theory]
    [InlineData("https://evil.example")]
    [InlineData("null")]
    [InlineData("http://localhost:5175")]
    [InlineData("https://localhost:5174")]
    [InlineData("http://localhost:5174/")]
    [InlineData("HTTP://LOCALHOST:5174")]
    [InlineData("http://localhost:5174.evil.example")]
    [InlineData("https://console.app.nno.app")]
    public async Task Preflight_FromAnotherOrigin_Returns403WithoutCorsHeaders(string origin)
    {
        using var request = Preflight("/api/v1/platforms", origin, "GET", out var id);

        using var response = await Platform.Gateway.SendAsync(request);

        await Http.AssertEnvelopeAsync(response, HttpStatusCode.Forbidden, "FORBIDDEN");
        AssertNoCorsHeaders(response);
        Assert.Empty(Platform.Recorder.For(id));
    }

    [Theory]
    [InlineData("TRACE")]
    [InlineData("CONNECT")]
    [InlineData("OPTIONS")]
    [InlineData("patch")]
    [InlineData("PROPFIND")]
    [InlineData("")]
    public async Task Preflight_ForAnotherMethod_Returns403WithoutCorsHeaders(string method)
    {
        using var request = Preflight("/api/v1/platforms", Console, method, out var id);

        using var response = await Platform.Gateway.SendAsync(request);

        await Http.AssertEnvelopeAsync(response, HttpStatusCode.Forbidden, "FORBIDDEN");
        AssertNoCorsHeaders(response);
        Assert.Empty(Platform.Recorder.For(id));
    }

    [Theory]
    [InlineData("/api/v1/iam/../platforms")]
    [InlineData("/api/v1/iam/%2e%2e/platforms")]
    [InlineData("/api/v1//platforms")]
    public async Task Preflight_ToAMalformedPath_Returns400(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, Http.RawUri(path));
        request.Headers.TryAddWithoutValidation("Origin", Console);
        request.Headers.TryAddWithoutValidation("Access-Control-Request-Method", "GET");

        using var response = await Platform.Gateway.SendAsync(request);

        await Http.AssertEnvelopeAsync(response, HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        AssertNoCorsHeaders(response);
    }

    [Fact]
    public async Task OptionsWithoutRequestMethod_IsNoPreflight_AndIsRoutedLikeAnyRequest()
    {
        using var anonymous = GatewayPlatform.Request(HttpMethod.Options, "/api/v1/platforms", out var first);
        anonymous.Headers.TryAddWithoutValidation("Origin", Console);
        using var authenticated = GatewayPlatform.Request(HttpMethod.Options, "/api/v1/platforms", out var second);
        authenticated.Headers.TryAddWithoutValidation("Origin", Console);

        using var rejected = await Platform.Gateway.SendAsync(anonymous);
        using var forwarded = await Platform.User.SendAsync(authenticated);

        await Http.AssertEnvelopeAsync(rejected, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.Equal(Console, Http.Header(rejected, "Access-Control-Allow-Origin"));
        Assert.Empty(Platform.Recorder.For(first));
        Assert.Equal(HttpStatusCode.OK, forwarded.StatusCode);
        Assert.Equal("OPTIONS", Platform.Recorder.One(second).Method);
    }

    [Fact]
    public async Task PreflightHeadersWithoutOrigin_AreNoPreflight()
    {
        using var request = GatewayPlatform.Request(HttpMethod.Options, "/api/v1/platforms", out var id);
        request.Headers.TryAddWithoutValidation("Access-Control-Request-Method", "GET");

        using var response = await Platform.User.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("OPTIONS", Platform.Recorder.One(id).Method);
        AssertNoCorsHeaders(response);
    }

    [Fact]
    public async Task AllowedOrigin_GetsCorsHeadersOnA401()
    {
        using var request = GatewayPlatform.Request(HttpMethod.Get, "/api/v1/platforms", out _);
        request.Headers.TryAddWithoutValidation("Origin", Console);

        using var response = await Platform.Gateway.SendAsync(request);

        await Http.AssertEnvelopeAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.Equal(Console, Http.Header(response, "Access-Control-Allow-Origin"));
        Assert.Equal("Origin", Http.Header(response, "Vary"));
        Assert.Equal(ExposedHeaders, Http.Header(response, "Access-Control-Expose-Headers"));
        Assert.Null(Http.Header(response, "Access-Control-Allow-Credentials"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("404-body")]
    public async Task AllowedOrigin_GetsCorsHeadersOnAForwardedResponse(string? scenario)
    {
        using var request = GatewayPlatform.Request(HttpMethod.Get, "/api/v1/billing/subscription", out var id);
        request.Headers.TryAddWithoutValidation("Origin", "http://127.0.0.1:5174");
        if (scenario is not null)
        {
            request.Headers.Add(UpstreamRecorder.ScenarioHeader, scenario);
        }

        using var response = await Platform.User.SendAsync(request);

        Assert.Single(Platform.Recorder.For(id));
        Assert.Equal("http://127.0.0.1:5174", Http.Header(response, "Access-Control-Allow-Origin"));
        Assert.Equal("Origin", Http.Header(response, "Vary"));
        var exposed = Http.Header(response, "Access-Control-Expose-Headers")!.Split(", ");
        Assert.Contains("X-Request-Id", exposed);
        Assert.Contains("RateLimit-Remaining", exposed);
        Assert.Equal(ExposedHeaders, string.Join(", ", exposed));
        Assert.Null(Http.Header(response, "Access-Control-Allow-Credentials"));
    }

    [Fact]
    public async Task UpstreamCorsHeaders_AreReplacedForAnAllowedOrigin()
    {
        using var request = GatewayPlatform.Request(HttpMethod.Get, "/api/v1/platforms", out _);
        request.Headers.TryAddWithoutValidation("Origin", Console);
        request.Headers.Add(UpstreamRecorder.ScenarioHeader, "cors-headers");

        using var response = await Platform.User.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Console, Http.Header(response, "Access-Control-Allow-Origin"));
        Assert.Equal(ExposedHeaders, Http.Header(response, "Access-Control-Expose-Headers"));
        Assert.Null(Http.Header(response, "Access-Control-Allow-Credentials"));
        Assert.Null(Http.Header(response, "Access-Control-Allow-Private-Network"));
        Assert.Equal(["Accept-Encoding", "Origin"], response.Headers.Vary.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("https://evil.example")]
    [InlineData(null)]
    public async Task OtherOrigins_AreServedWithoutAnyCorsHeader_EvenWhenTheUpstreamSendsThem(string? origin)
    {
        using var request = GatewayPlatform.Request(HttpMethod.Get, "/api/v1/platforms", out var id);
        if (origin is not null)
        {
            request.Headers.TryAddWithoutValidation("Origin", origin);
        }

        request.Headers.Add(UpstreamRecorder.ScenarioHeader, "cors-headers");

        using var response = await Platform.User.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(Platform.Recorder.For(id));
        AssertNoCorsHeaders(response);
        Assert.Equal("Accept-Encoding", Http.Header(response, "Vary"));
    }

    [Fact]
    public async Task DisallowedOrigin_OnA401_GetsNoCorsHeaders()
    {
        using var request = GatewayPlatform.Request(HttpMethod.Get, "/api/v1/platforms", out _);
        request.Headers.TryAddWithoutValidation("Origin", "https://evil.example");

        using var response = await Platform.Gateway.SendAsync(request);

        await Http.AssertEnvelopeAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        AssertNoCorsHeaders(response);
        Assert.Null(Http.Header(response, "Vary"));
    }
}

/// <summary>CORS settings: per-environment defaults, explicit origins and start-up refusals (gateway.md §2, §4.11).</summary>
public sealed class CorsConfigurationTests
{
    private static async Task<HttpStatusCode> PreflightAsync(HttpClient client, string origin)
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, "/api/v1/platforms");
        request.Headers.TryAddWithoutValidation("Origin", origin);
        request.Headers.TryAddWithoutValidation("Access-Control-Request-Method", "PUT");
        using var response = await client.SendAsync(request);
        if (response.StatusCode == HttpStatusCode.NoContent)
        {
            Assert.Equal(origin, Http.Header(response, "Access-Control-Allow-Origin"));
        }

        return response.StatusCode;
    }

    [Theory]
    [InlineData("local", "http://localhost:5174 http://127.0.0.1:5174", "https://console.app.dev.example.test https://console.app.example.test")]
    [InlineData("dev", "https://console.app.dev.example.test http://localhost:5174 http://127.0.0.1:5174", "https://console.app.stg.example.test https://console.example.test")]
    [InlineData("stg", "https://console.app.stg.example.test", "http://localhost:5174 https://console.app.example.test https://console.app.dev.example.test")]
    [InlineData("prod", "https://console.app.example.test https://console.example.test", "http://localhost:5174 http://127.0.0.1:5174 https://console.app.stg.example.test https://console.app.nno.app")]
    public async Task DefaultOrigins_FollowTheEnvironmentUnderTheCoreDomain(string environment, string allowed, string refused)
    {
        await using var gateway = await StandaloneGateway.StartAsync(new Dictionary<string, string?>
        {
            ["Nno:Environment"] = environment,
            ["Nno:CoreDomain"] = "example.test",
        });

        foreach (var origin in allowed.Split(' '))
        {
            Assert.Equal(HttpStatusCode.NoContent, await PreflightAsync(gateway.Client, origin));
        }

        foreach (var origin in refused.Split(' '))
        {
            Assert.Equal(HttpStatusCode.Forbidden, await PreflightAsync(gateway.Client, origin));
        }
    }

    [Fact]
    public async Task ConfiguredOrigins_ReplaceTheDefaults_AndAreNormalisedAsBrowsersSendThem()
    {
        await using var gateway = await StandaloneGateway.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:Cors:AllowedOrigins:0"] = "HTTPS://Console.Example.Test:443",
            ["Gateway:Cors:AllowedOrigins:1"] = "http://tools.example.test:8080",
            ["Gateway:Cors:AllowedOrigins:2"] = "http://[::1]:5174",
            ["Gateway:Cors:MaxAgeSeconds"] = "60",
        });

        Assert.Equal(HttpStatusCode.NoContent, await PreflightAsync(gateway.Client, "https://console.example.test"));
        Assert.Equal(HttpStatusCode.NoContent, await PreflightAsync(gateway.Client, "http://tools.example.test:8080"));
        Assert.Equal(HttpStatusCode.NoContent, await PreflightAsync(gateway.Client, "http://[::1]:5174"));
        Assert.Equal(HttpStatusCode.Forbidden, await PreflightAsync(gateway.Client, "https://console.example.test:443"));
        Assert.Equal(HttpStatusCode.Forbidden, await PreflightAsync(gateway.Client, "http://tools.example.test"));
        Assert.Equal(HttpStatusCode.Forbidden, await PreflightAsync(gateway.Client, "http://localhost:5174"));

        using var request = new HttpRequestMessage(HttpMethod.Options, "/health");
        request.Headers.TryAddWithoutValidation("Origin", "https://console.example.test");
        request.Headers.TryAddWithoutValidation("Access-Control-Request-Method", "GET");
        using var response = await gateway.Client.SendAsync(request);
        Assert.Equal("60", Http.Header(response, "Access-Control-Max-Age"));
    }

    [Fact]
    public async Task AnEmptyOriginList_AllowsNoOrigin()
    {
        await using var gateway = await StandaloneGateway.StartAsync(new Dictionary<string, string?> { ["Gateway:Cors:AllowedOrigins"] = "" });

        Assert.Equal(HttpStatusCode.Forbidden, await PreflightAsync(gateway.Client, "http://localhost:5174"));
    }

    [Fact]
    public async Task ACommaSeparatedValue_ListsSeveralOrigins()
    {
        await using var gateway = await StandaloneGateway.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:Cors:AllowedOrigins"] = "https://a.example.test, https://b.example.test",
        });

        Assert.Equal(HttpStatusCode.NoContent, await PreflightAsync(gateway.Client, "https://a.example.test"));
        Assert.Equal(HttpStatusCode.NoContent, await PreflightAsync(gateway.Client, "https://b.example.test"));
        Assert.Equal(HttpStatusCode.Forbidden, await PreflightAsync(gateway.Client, "http://localhost:5174"));
    }

    [Theory]
    [InlineData("https://console.nno.run")]
    [InlineData("https://app.svc.default.k3m9p2xw7q.nno.run")]
    [InlineData("https://NNO.RUN")]
    [InlineData("https://*.nno.app")]
    [InlineData("*")]
    [InlineData("https://console.nno.app/app")]
    [InlineData("https://console.nno.app/")]
    [InlineData("https://console.nno.app?x=1")]
    [InlineData("https://user@console.nno.app")]
    [InlineData("console.nno.app")]
    [InlineData("null")]
    [InlineData("ftp://console.nno.app")]
    public async Task AnOriginThatIsNotExactOrLiesUnderThePlatformDomain_RefusesStart(string origin)
    {
        var error = await StandaloneGateway.AssertRefusesToStartAsync(new Dictionary<string, string?>
        {
            ["Gateway:Cors:AllowedOrigins:0"] = "http://localhost:5174",
            ["Gateway:Cors:AllowedOrigins:1"] = origin,
        });

        Assert.Contains("Gateway:Cors:AllowedOrigins", error.Message, StringComparison.Ordinal);
        Assert.Contains(origin, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheConfiguredPlatformDomain_IsTheOneRefused()
    {
        var error = await StandaloneGateway.AssertRefusesToStartAsync(new Dictionary<string, string?>
        {
            ["Nno:PlatformDomain"] = "customers.example",
            ["Gateway:Cors:AllowedOrigins:0"] = "https://shop.customers.example",
        });

        Assert.Contains("Nno:PlatformDomain", error.Message, StringComparison.Ordinal);
    }
}

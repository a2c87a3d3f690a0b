using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Nno.Gateway.Tests.Support;

namespace Nno.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class HeaderTests(GatewayFixture fixture)
{
    private GatewayPlatform Platform => fixture.Platform;

    [Fact]
    public async Task ClientIdentityAndCredentialHeaders_NeverReachTheUpstream()
    {
        using var request = GatewayPlatform.Request(HttpMethod.Get, "/api/v1/billing/subscription", out var id);
        request.Headers.TryAddWithoutValidation("X-Nno-User-Id", "victim");
        request.Headers.TryAddWithoutValidation("X-Nno-Role", "platform-admin");
        request.Headers.TryAddWithoutValidation("x-nno-platform-id", "other");
        request.Headers.TryAddWithoutValidation("X-NNO-PLATFORMS", "other:owner");
        request.Headers.TryAddWithoutValidation("X-Nno-Auth", "service");
        request.Headers.TryAddWithoutValidation("X-Nno-Client-Ip", "10.9.9.9");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + GatewayPlatform.DefaultSessionToken);
        request.Headers.TryAddWithoutValidation("Cookie", "nno.session_token=cookie-credential");
        request.Headers.TryAddWithoutValidation("Proxy-Authorization", "Basic cHJveHk6c2VjcmV0");
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", "6.6.6.6");
        request.Headers.TryAddWithoutValidation("X-Forwarded-Host", "evil.example");
        request.Headers.TryAddWithoutValidation("X-Forwarded-Prefix", "/evil");
        request.Headers.TryAddWithoutValidation("X-Custom", "kept");

        using var response = await Platform.User.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var upstream = Platform.Recorder.One(id);
        var identityHeaders = upstream.Headers.Keys.Where(k => k.StartsWith("X-Nno-", StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["X-Nno-Auth", "X-Nno-Client-Ip", "X-Nno-Platform-Id", "X-Nno-Platform-Role", "X-Nno-Platforms", "X-Nno-Role", "X-Nno-Session-Id", "X-Nno-User-Id"], identityHeaders);
        Assert.Equal("session", upstream.Header("X-Nno-Auth"));
        Assert.Equal(GatewayPlatform.DefaultSession.UserId, upstream.Header("X-Nno-User-Id"));
        Assert.Equal("user", upstream.Header("X-Nno-Role"));
        Assert.Equal("", upstream.Header("X-Nno-Platform-Id"));
        Assert.Equal("", upstream.Header("X-Nno-Platforms"));
        Assert.Equal("127.0.0.1", upstream.Header("X-Nno-Client-Ip"));
        Assert.Equal("Bearer " + FakeServiceTokenProvider.Token, upstream.Header("Authorization"));
        Assert.Null(upstream.Header("Cookie"));
        Assert.Null(upstream.Header("Proxy-Authorization"));
        Assert.Equal("127.0.0.1", upstream.Header("X-Forwarded-For"));
        Assert.Equal("http", upstream.Header("X-Forwarded-Proto"));
        Assert.Equal("gateway.inproc", upstream.Header("X-Forwarded-Host"));
        Assert.Equal("/api/v1/billing", upstream.Header("X-Forwarded-Prefix"));
        Assert.Equal("billing.inproc", upstream.Header("Host"));
        Assert.Equal(id, upstream.Header("X-Request-Id"));
        Assert.Equal("kept", upstream.Header("X-Custom"));
    }

    [Fact]
    public async Task HopByHopRequestHeaders_AreRemoved()
    {
        using var request = GatewayPlatform.Request(HttpMethod.Post, "/api/v1/platforms", out var id);
        request.Headers.Connection.Add("X-Hop");
        request.Headers.TryAddWithoutValidation("X-Hop", "1");
        request.Headers.TryAddWithoutValidation("Keep-Alive", "timeout=5");
        request.Headers.TryAddWithoutValidation("Proxy-Connection", "keep-alive");
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        request.Headers.Trailer.Add("X-Checksum");
        request.Content = new StringContent("{}", Encoding.UTF8, "application/json");

        using var response = await Platform.User.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var upstream = Platform.Recorder.One(id);
        foreach (var name in new[] { "Connection", "X-Hop", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Upgrade" })
        {
            Assert.Null(upstream.Header(name));
        }

        Assert.Equal("{}"u8.ToArray(), upstream.Body);
    }

    [Fact]
    public async Task UpstreamHopByHopInternalAndServerHeaders_NeverReachTheClient()
    {
        using var request = GatewayPlatform.Request(HttpMethod.Get, "/api/v1/platforms/k3m9p2xw7q", out _);
        request.Headers.Add(UpstreamRecorder.ScenarioHeader, "hop-by-hop");

        using var response = await Platform.User.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        foreach (var name in new[] { "Connection", "X-Secret", "X-Nno-Internal", "X-Nno-Cache-Evict", "Server", "X-Powered-By", "Keep-Alive" })
        {
            Assert.Null(Http.Header(response, name));
        }

        Assert.Equal("kept", Http.Header(response, "X-Kept"));
        Assert.Equal("", Http.Header(response, "X-Empty"));
    }

    [Theory]
    [InlineData("/api/v1/billing/portal", false)]
    [InlineData("/api/v1/iam/auth/sign-in/email", true)]
    public async Task SetCookie_IsKeptOnlyFromIam(string path, bool kept)
    {
        using var request = GatewayPlatform.Request(HttpMethod.Post, path, out _);
        request.Headers.Add(UpstreamRecorder.ScenarioHeader, "set-cookie");

        using var response = await Platform.User.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(kept ? "upstream_session=abc; Path=/; HttpOnly" : null, Http.Header(response, "Set-Cookie"));
    }

    [Theory]
    [InlineData("/api/v1/stacks")]
    [InlineData("/api/v1/nowhere")]
    [InlineData("/health")]
    public async Task EveryResponse_CarriesSecurityAndIdHeaders(string path)
    {
        using var request = GatewayPlatform.Request(HttpMethod.Get, path, out var id);

        using var response = await Platform.User.SendAsync(request);

        Assert.Equal("nosniff", Http.Header(response, "X-Content-Type-Options"));
        Assert.Equal("no-referrer", Http.Header(response, "Referrer-Policy"));
        Assert.Equal(id, Http.Header(response, "X-Request-Id"));
        Assert.Matches("^[0-9a-f]{32}$", Http.Header(response, "X-Trace-Id"));
        Assert.Null(Http.Header(response, "Strict-Transport-Security"));
    }

    [Fact]
    public async Task StripeWebhook_ArrivesByteIdenticalWithSignature()
    {
        var body = Encoding.UTF8.GetBytes("{ \"id\" : \"evt_1\",\r\n\t\"data\":{\"name\":\"caf\\u00e9 \\ud83d\\ude00\",\"raw\":\"é😀\"}   }  \n");
        using var request = GatewayPlatform.Request(HttpMethod.Post, "/api/v1/billing/webhooks/stripe", out var id);
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json; charset=utf-8");
        request.Headers.TryAddWithoutValidation("Stripe-Signature", "t=1700000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd");

        using var response = await Platform.User.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var upstream = Platform.Recorder.One(id);
        Assert.Equal("/webhooks/stripe", upstream.RawPath);
        Assert.Equal(body, upstream.Body);
        Assert.Equal("t=1700000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd", upstream.Header("Stripe-Signature"));
        Assert.Equal("application/json; charset=utf-8", upstream.Header("Content-Type"));
        Assert.Equal("anonymous", upstream.Header("X-Nno-Auth"));
    }

    [Fact]
    public async Task GithubWebhook_ArrivesWithItsHeaders()
    {
        var body = Encoding.UTF8.GetBytes("{\"action\":\"completed\",\"zen\":\"Design for failure.\"}");
        using var request = GatewayPlatform.Request(HttpMethod.Post, "/api/v1/cli/webhooks/github", out var id);
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("X-Hub-Signature-256", "sha256=abc123");
        request.Headers.TryAddWithoutValidation("X-GitHub-Event", "workflow_run");
        request.Headers.TryAddWithoutValidation("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958");

        using var response = await Platform.User.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var upstream = Platform.Recorder.One(id);
        Assert.Equal("cli", upstream.Service);
        Assert.Equal("/api/v1/platforms/webhooks/github", upstream.RawPath);
        Assert.Equal(body, upstream.Body);
        Assert.Equal("sha256=abc123", upstream.Header("X-Hub-Signature-256"));
        Assert.Equal("workflow_run", upstream.Header("X-GitHub-Event"));
        Assert.Equal("72d3162e-cc78-11e3-81ab-4c9367dc0958", upstream.Header("X-GitHub-Delivery"));
    }
}

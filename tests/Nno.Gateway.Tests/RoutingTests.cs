using System.Net;
using Nno.Gateway.Tests.Support;

namespace Nno.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class RoutingTests(GatewayFixture fixture)
{
    private GatewayPlatform Platform => fixture.Platform;

    [Theory]
    [InlineData("POST", "/api/v1/iam/auth/sign-in/email", "iam", "/api/auth/sign-in/email")]
    [InlineData("GET", "/api/v1/iam/nno/session", "iam", "/api/nno/session")]
    [InlineData("GET", "/api/v1/iam", "iam", "/api")]
    [InlineData("GET", "/api/v1/platforms/k3m9p2xw7q/entities", "registry", "/api/v1/platforms/k3m9p2xw7q/entities")]
    [InlineData("GET", "/api/v1/platforms", "registry", "/api/v1/platforms")]
    [InlineData("GET", "/api/v1/billing/subscription", "billing", "/subscription")]
    [InlineData("GET", "/api/v1/billing", "billing", "/")]
    [InlineData("POST", "/api/v1/provisioning/jobs", "provisioning", "/api/v1/provision/jobs")]
    [InlineData("GET", "/api/v1/provisioning", "provisioning", "/api/v1/provision")]
    [InlineData("GET", "/api/v1/stacks/stk_1/versions", "stack-registry", "/api/v1/stacks/stk_1/versions")]
    [InlineData("GET", "/api/v1/stacks", "stack-registry", "/api/v1/stacks")]
    [InlineData("POST", "/api/v1/cli", "cli", "/api/v1/platforms")]
    [InlineData("POST", "/api/v1/cli/k3m9p2xw7q/features/activate", "cli", "/api/v1/platforms/k3m9p2xw7q/features/activate")]
    [InlineData("POST", "/api/v1/onboarding", "registry", "/api/v1/onboarding")]
    [InlineData("DELETE", "/api/v1/onboarding/onb_1", "registry", "/api/v1/onboarding/onb_1")]
    [InlineData("PATCH", "/api/v1/platforms/k3m9p2xw7q", "registry", "/api/v1/platforms/k3m9p2xw7q")]
    public async Task RoutingTableRow_ForwardsToUpstreamWithRewrittenPath(string method, string publicPath, string service, string upstreamPath)
    {
        using var request = GatewayPlatform.Request(new HttpMethod(method), publicPath, out var id);
        if (method is "POST" or "PATCH")
        {
            request.Content = new StringContent("""{"name":"x"}""", System.Text.Encoding.UTF8, "application/json");
        }

        using var response = await Platform.User.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var recorded = Platform.Recorder.One(id);
        Assert.Equal(service, recorded.Service);
        Assert.Equal(method, recorded.Method);
        Assert.Equal(upstreamPath, recorded.RawPath);
        Assert.Equal("", recorded.RawQuery);
        var echo = await Http.JsonAsync(response);
        Assert.Equal(service, echo.GetProperty("service").GetString());
    }

    [Theory]
    [InlineData("/api/v1/billing/subscription", "?platformId=k3m9p2xw7q")]
    [InlineData("/api/v1/billing/subscription", "?a=%2F&b=+&c=%C3%A9&d")]
    [InlineData("/api/v1/iam/auth/magic-link/verify", "?token=abc%2Bdef%3D%3D&callbackURL=https%3A%2F%2Fconsole.nno.app%2Fx%3Fy%3D1")]
    [InlineData("/api/v1/platforms", "?a=%7e&b=%7E&c=~&d=%41&e=a%20b&f=a+b&&g=&=h&i=%25")]
    [InlineData("/api/v1/cli", "?")]
    public async Task QueryString_PassesThroughByteIdentical(string path, string query)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Http.RawUri(path + query));
        var id = "q-" + Guid.NewGuid().ToString("N");
        request.Headers.Add("X-Request-Id", id);

        using var response = await Platform.User.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(query, Platform.Recorder.One(id).RawQuery);
    }

    [Theory]
    [InlineData("/api/v1/iamx/foo")]
    [InlineData("/api/v1/iamx")]
    [InlineData("/api/v1/platformsx/p")]
    [InlineData("/API/V1/iam/auth/sign-in/email")]
    [InlineData("/api/v1/IAM/auth/sign-in/email")]
    [InlineData("/Api/v1/billing")]
    [InlineData("/api/v2/iam/auth")]
    [InlineData("/api/v2/platforms")]
    [InlineData("/api/v1")]
    [InlineData("/api/v1/")]
    [InlineData("/api")]
    [InlineData("/")]
    [InlineData("/health/")]
    [InlineData("/HEALTH")]
    [InlineData("/openapi/v2.json")]
    [InlineData("/api/auth/sign-in/email")]
    public async Task UnknownPath_Returns404EnvelopeAndReachesNoUpstream(string path)
    {
        using var request = GatewayPlatform.Request(HttpMethod.Get, path, out var id);

        using var response = await Platform.User.SendAsync(request);

        var error = await Http.AssertEnvelopeAsync(response, HttpStatusCode.NotFound, "NOT_FOUND");
        Assert.Equal(System.Text.Json.JsonValueKind.Null, error.GetProperty("details").ValueKind);
        Assert.Empty(Platform.Recorder.For(id));
    }

    [Theory]
    [InlineData("POST", "/api/v1/iam/nno/apikey/verify")]
    [InlineData("POST", "/api/v1/iam/nno/service-token")]
    [InlineData("GET", "/api/v1/iam/nno/jwks")]
    [InlineData("POST", "/api/v1/iam/nno/notifications")]
    [InlineData("GET", "/api/v1/iam/nno/JWKS")]
    [InlineData("GET", "/api/v1/iam/NNO/jwks")]
    [InlineData("GET", "/api/v1/iam/nno/jwks/")]
    [InlineData("POST", "/api/v1/iam/nno/Service-Token")]
    [InlineData("POST", "/api/v1/iam/nno/notifications/retry")]
    public async Task InternalOnlyIamPath_Returns404ForEveryCaller(string method, string path)
    {
        foreach (var authorization in new[] { null, "Bearer some-session-token", "Bearer nno_live_abcdef" })
        {
            using var request = GatewayPlatform.Request(new HttpMethod(method), path, out var id);
            if (authorization is not null)
            {
                request.Headers.TryAddWithoutValidation("Authorization", authorization);
            }

            using var response = await Platform.User.SendAsync(request);

            await Http.AssertEnvelopeAsync(response, HttpStatusCode.NotFound, "NOT_FOUND");
            Assert.Empty(Platform.Recorder.For(id));
        }
    }

    [Theory]
    [InlineData("/api/v1/iam/nno/jwksx")]
    [InlineData("/api/v1/iam/nno/apikey")]
    [InlineData("/api/v1/iam/nno/apikeys/verify")]
    public async Task PathsNextToInternalOnlyOnes_AreForwarded(string path)
    {
        using var request = GatewayPlatform.Request(HttpMethod.Get, path, out var id);

        using var response = await Platform.User.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(path.Replace("/api/v1/iam", "/api", StringComparison.Ordinal), Platform.Recorder.One(id).RawPath);
    }

    [Theory]
    [InlineData("/api/v1/iam/../platforms")]
    [InlineData("/api/v1/iam/./auth")]
    [InlineData("/api/v1/iam/%2e%2e/platforms")]
    [InlineData("/api/v1/iam/%2E./platforms")]
    [InlineData("/api/v1/iam/.%2e")]
    [InlineData("/api/v1/iam/%2e")]
    [InlineData("/api/v1/iam//auth")]
    [InlineData("//api/v1/iam/auth")]
    [InlineData("/api/v1/iam/a%2Fb")]
    [InlineData("/api/v1/iam/a%2fb")]
    [InlineData("/api/v1/iam/a%5Cb")]
    [InlineData("/api/v1/iam/a%00b")]
    [InlineData("/api/v1/iam/a%zzb")]
    [InlineData("/api/v1/iam/a%2")]
    [InlineData("/api/v1/iam/a%")]
    [InlineData("/api/v1/unknown/../iam")]
    public async Task MalformedPath_Returns400NamingThePath(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Http.RawUri(path));
        var id = "m-" + Guid.NewGuid().ToString("N");
        request.Headers.Add("X-Request-Id", id);

        using var response = await Platform.User.SendAsync(request);

        var error = await Http.AssertEnvelopeAsync(response, HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.True(error.GetProperty("details").GetProperty("fields").TryGetProperty("path", out _));
        Assert.Empty(Platform.Recorder.For(id));
    }

    [Theory]
    [InlineData("/api/v1/iam/auth/..well")]
    [InlineData("/api/v1/iam/auth/.well-known")]
    [InlineData("/api/v1/iam/auth/a%20b")]
    [InlineData("/api/v1/iam/auth/...")]
    public async Task DotsInsideSegments_AreNotPathTricks(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Http.RawUri(path));
        var id = "d-" + Guid.NewGuid().ToString("N");
        request.Headers.Add("X-Request-Id", id);

        using var response = await Platform.User.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(Platform.Recorder.For(id));
    }

    [Theory]
    [InlineData("TRACE", "/api/v1/iam/auth")]
    [InlineData("CONNECT", "/api/v1/platforms")]
    [InlineData("TRACE", "/health")]
    public async Task TraceAndConnect_Return405(string method, string path)
    {
        using var request = GatewayPlatform.Request(new HttpMethod(method), path, out var id);

        using var response = await Platform.User.SendAsync(request);

        await Http.AssertEnvelopeAsync(response, HttpStatusCode.MethodNotAllowed, "METHOD_NOT_ALLOWED");
        Assert.DoesNotContain("TRACE", Http.Header(response, "Allow"), StringComparison.Ordinal);
        Assert.Contains("POST", Http.Header(response, "Allow"), StringComparison.Ordinal);
        Assert.Empty(Platform.Recorder.For(id));
    }

    [Fact]
    public async Task WebSocketUpgradeHandshake_Returns501()
    {
        using var request = GatewayPlatform.Request(HttpMethod.Get, "/api/v1/platforms/k3m9p2xw7q/events", out var id);
        request.Headers.Connection.Add("Upgrade");
        request.Headers.Upgrade.Add(new System.Net.Http.Headers.ProductHeaderValue("websocket"));
        request.Headers.Add("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
        request.Headers.Add("Sec-WebSocket-Version", "13");

        using var response = await Platform.User.SendAsync(request);

        await Http.AssertEnvelopeAsync(response, HttpStatusCode.NotImplemented, "NOT_IMPLEMENTED");
        Assert.Empty(Platform.Recorder.For(id));
    }
}

using System.Net;
using Microsoft.Extensions.Logging;
using Nno.Gateway.Tests.Support;

namespace Nno.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class AccessLogTests(GatewayFixture fixture)
{
    private const string AccessLogCategory = "Nno.Gateway.AccessLog";

    private GatewayPlatform Platform => fixture.Platform;

    /// <summary>The access-log line of <paramref name="requestId"/>; written when the response completes, so it may trail the response.</summary>
    private async Task<CapturedLog> AccessLogAsync(string requestId)
    {
        for (var i = 0; i < 200; i++)
        {
            var entry = Platform.Logs.Entries.SingleOrDefault(e => e.Category == AccessLogCategory && Equals(e.Field("scope:requestId"), requestId));
            if (entry is not null)
            {
                return entry;
            }

            await Task.Delay(25);
        }

        throw new Xunit.Sdk.XunitException($"No access-log line for {requestId}.");
    }

    [Fact]
    public async Task ForwardedRequest_WritesOneLineWithEveryField()
    {
        using var request = GatewayPlatform.Request(HttpMethod.Post, "/api/v1/billing/subscription?platformId=k3m9p2xw7q", out var id);
        request.Headers.TryAddWithoutValidation("User-Agent", new string('u', 300));
        request.Content = new StringContent("{\"plan\":\"growth\"}");

        using var response = await Platform.User.SendAsync(request);
        var responseBody = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var line = await AccessLogAsync(id);
        Assert.Equal(LogLevel.Information, line.Level);
        Assert.Equal("POST", line.Field("method"));
        Assert.Equal("/api/v1/billing/subscription", line.Field("path"));
        Assert.Equal("/api/v1/billing", line.Field("route"));
        Assert.Equal(200, line.Field("status"));
        Assert.Null(line.Field("errorCode"));
        Assert.True((double)line.Field("durationMs")! >= 0);
        Assert.Equal("billing", line.Field("upstream"));
        Assert.Equal(200, line.Field("upstreamStatus"));
        Assert.True((double)line.Field("upstreamMs")! >= 0);
        Assert.Equal("session", line.Field("principal"));
        Assert.Equal(GatewayPlatform.DefaultSession.UserId, line.Field("userId"));
        Assert.Null(line.Field("keyId"));
        Assert.Equal("127.0.0.1", line.Field("clientIp"));
        Assert.Equal(new string('u', 256), line.Field("userAgent"));
        Assert.Equal(17L, line.Field("requestBytes"));
        Assert.Equal((long)responseBody.Length, line.Field("responseBytes"));
        Assert.Equal(Http.Header(response, "X-Trace-Id"), line.Field("scope:traceId"));
        Assert.Single(Platform.Logs.Entries, e => e.Category == AccessLogCategory && Equals(e.Field("scope:requestId"), id));
    }

    [Fact]
    public async Task GatewayError_IsLoggedWithItsCode()
    {
        using var request = GatewayPlatform.Request(HttpMethod.Get, "/api/v1/iamx", out var id);

        using var response = await Platform.User.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var line = await AccessLogAsync(id);
        Assert.Equal(LogLevel.Information, line.Level);
        Assert.Equal("NOT_FOUND", line.Field("errorCode"));
        Assert.Null(line.Field("route"));
        Assert.Null(line.Field("upstream"));
    }

    [Fact]
    public async Task ServerError_IsLoggedAtErrorLevelWithTheUpstreamStatus()
    {
        using var request = GatewayPlatform.Request(HttpMethod.Get, "/api/v1/stacks", out var id);
        request.Headers.Add(UpstreamRecorder.ScenarioHeader, "500-html");

        using var response = await Platform.User.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var line = await AccessLogAsync(id);
        Assert.Equal(LogLevel.Error, line.Level);
        Assert.Equal(502, line.Field("status"));
        Assert.Equal("BAD_GATEWAY", line.Field("errorCode"));
        Assert.Equal(500, line.Field("upstreamStatus"));
    }

    [Fact]
    public async Task HealthRequests_AreLoggedAtDebug()
    {
        using var request = GatewayPlatform.Request(HttpMethod.Get, "/health", out var id);

        using var response = await Platform.User.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var line = await AccessLogAsync(id);
        Assert.Equal(LogLevel.Debug, line.Level);
        Assert.Equal("gateway", line.Field("route"));
    }

    [Fact]
    public async Task NoLogLine_CarriesQueryStringsCredentialsOrTokens()
    {
        string[] secrets = ["querysecret-51d2", "Bearer-credential-8c1e", "cookie-credential-77aa", FakeServiceTokenProvider.Token, "x-sig-secret-90ff"];
        foreach (var (method, path, scenario) in new[]
        {
            ("GET", "/api/v1/billing/subscription", ""),
            ("POST", "/api/v1/iam/auth/sign-in/email", ""),
            ("GET", "/api/v1/stacks/x", "500-html"),
            ("GET", "/api/v1/provisioning/jobs", "503-json-not-envelope"),
            ("GET", "/api/v1/nowhere", ""),
        })
        {
            using var request = GatewayPlatform.Request(new HttpMethod(method), path + "?token=querysecret-51d2&x=1", out var id);
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer Bearer-credential-8c1e");
            request.Headers.TryAddWithoutValidation("Cookie", "nno.session_token=cookie-credential-77aa");
            request.Headers.TryAddWithoutValidation("Stripe-Signature", "x-sig-secret-90ff");
            if (scenario.Length > 0)
            {
                request.Headers.Add(UpstreamRecorder.ScenarioHeader, scenario);
            }

            using var response = await Platform.User.SendAsync(request);
            await AccessLogAsync(id);
        }

        foreach (var entry in Platform.Logs.Entries)
        {
            foreach (var secret in secrets)
            {
                Assert.DoesNotContain(secret, entry.AllText, StringComparison.Ordinal);
            }

            Assert.False(entry.AllText.Contains("?token=", StringComparison.Ordinal), entry.Service + " " + entry.Category + ": " + entry.AllText);
        }
    }
}

using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using Nno.Gateway.Tests.Support;

namespace Nno.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class FailureMappingTests(GatewayFixture fixture)
{
    private GatewayPlatform Platform => fixture.Platform;

    private async Task<HttpResponseMessage> SendScenarioAsync(string path, string scenario, string? requestId = null)
    {
        using var request = GatewayPlatform.Request(HttpMethod.Get, path, out var id);
        if (requestId is not null)
        {
            request.Headers.Remove("X-Request-Id");
            request.Headers.Add("X-Request-Id", requestId);
        }

        request.Headers.Add(UpstreamRecorder.ScenarioHeader, scenario);
        return await Platform.User.SendAsync(request);
    }

    [Fact]
    public async Task UpstreamSleepingPastTheRouteTimeout_Returns504()
    {
        var clock = Stopwatch.StartNew();

        using var response = await SendScenarioAsync("/api/v1/provisioning/jobs/job_1", "sleep");

        var error = await Http.AssertEnvelopeAsync(response, HttpStatusCode.GatewayTimeout, "UPSTREAM_TIMEOUT");
        Assert.Equal("provisioning", error.GetProperty("details").GetProperty("service").GetString());
        Assert.InRange(clock.Elapsed.TotalSeconds, GatewayFixture.ProvisioningTimeoutSeconds * 0.9, 10);
    }

    [Fact]
    public async Task Upstream500WithEnvelope_PassesThroughUnchanged()
    {
        using var response = await SendScenarioAsync("/api/v1/platforms/k3m9p2xw7q", "500-envelope");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal(UpstreamRecorder.EnvelopeBody, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Upstream500WithHtml_Returns502AndLogsTheOriginalStatus()
    {
        var id = "h-" + Guid.NewGuid().ToString("N");

        using var response = await SendScenarioAsync("/api/v1/billing/invoices", "500-html", id);

        var error = await Http.AssertEnvelopeAsync(response, HttpStatusCode.BadGateway, "BAD_GATEWAY");
        Assert.Equal("billing", error.GetProperty("details").GetProperty("service").GetString());
        Assert.DoesNotContain("Internal Server Error", error.ToString(), StringComparison.Ordinal);
        var log = Assert.Single(Platform.Logs.Entries, e => e.Level == LogLevel.Error && Equals(e.Field("scope:requestId"), id) && Equals(e.Field("UpstreamStatus"), 500));
        Assert.Equal("billing", log.Field("Upstream"));
    }

    [Fact]
    public async Task Upstream5xxJsonWithoutEnvelope_Returns502()
    {
        using var response = await SendScenarioAsync("/api/v1/stacks", "503-json-not-envelope");

        await Http.AssertEnvelopeAsync(response, HttpStatusCode.BadGateway, "BAD_GATEWAY");
    }

    [Theory]
    [InlineData("404-body", HttpStatusCode.NotFound, UpstreamRecorder.NotFoundBody, "application/json")]
    [InlineData("409-body", HttpStatusCode.Conflict, UpstreamRecorder.ConflictBody, "application/json; charset=utf-8")]
    public async Task Upstream4xxBodies_PassThroughByteIdentical(string scenario, HttpStatusCode status, string body, string contentType)
    {
        using var response = await SendScenarioAsync("/api/v1/iam/organizations/org_1", scenario);

        Assert.Equal(status, response.StatusCode);
        Assert.Equal(Encoding.UTF8.GetBytes(body), await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(contentType, response.Content.Headers.ContentType?.ToString());
    }

    [Fact]
    public async Task Upstream404WithoutBody_PassesThroughWithoutAGatewayEnvelope()
    {
        using var response = await SendScenarioAsync("/api/v1/platforms/none", "404-empty");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task UpstreamNonAsciiResponseHeader_Returns502()
    {
        using var response = await SendScenarioAsync("/api/v1/billing/plans", "non-ascii-header");

        await Http.AssertEnvelopeAsync(response, HttpStatusCode.BadGateway, "BAD_GATEWAY");
        Assert.Null(Http.Header(response, "X-Weird"));
    }
}

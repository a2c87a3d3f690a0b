using System.Net;
using Nno.Gateway.Tests.Support;

namespace Nno.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class OwnEndpointTests(GatewayFixture fixture)
{
    private GatewayPlatform Platform => fixture.Platform;

    [Fact]
    public async Task Health_AnswersWithoutCallingUpstreams()
    {
        var before = Platform.Recorder.All.Count;

        using var response = await Platform.Gateway.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await Http.JsonAsync(response);
        Assert.Equal("ok", body.GetProperty("status").GetString());
        Assert.Equal("gateway", body.GetProperty("service").GetString());
        Assert.Equal("local", body.GetProperty("environment").GetString());
        Assert.Matches(@"^\d+\.\d+\.\d+", body.GetProperty("version").GetString());
        Assert.Equal(before, Platform.Recorder.All.Count);
    }

    [Fact]
    public async Task Ready_ReportsTheServiceTokenCheck()
    {
        using var response = await Platform.Gateway.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await Http.JsonAsync(response);
        Assert.Equal("ready", body.GetProperty("status").GetString());
        Assert.Equal("ok", body.GetProperty("checks").GetProperty("serviceToken").GetString());
    }

    [Fact]
    public async Task OpenApi_DocumentsOwnEndpointsRoutingTableAndBearerScheme()
    {
        using var response = await Platform.Gateway.GetAsync("/openapi/v1.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = await Http.JsonAsync(response);
        var paths = document.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/health", out _));
        Assert.True(paths.TryGetProperty("/health/ready", out _));
        foreach (var prefix in new[] { "iam", "platforms", "billing", "provisioning", "stacks", "cli", "onboarding" })
        {
            var item = paths.GetProperty($"/api/v1/{prefix}/{{rest}}");
            Assert.True(item.TryGetProperty("post", out _));
        }

        Assert.Contains("cli `/api/v1/platforms/{rest}`", paths.GetProperty("/api/v1/cli/{rest}").GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Equal("bearer", document.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer").GetProperty("scheme").GetString());
        Assert.True(document.GetProperty("components").GetProperty("schemas").TryGetProperty("ErrorEnvelope", out _));
    }
}

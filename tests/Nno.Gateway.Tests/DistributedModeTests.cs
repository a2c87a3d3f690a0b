using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nno.Gateway.Tests.Support;
using Nno.ServiceDefaults.Hosting;
using Nno.Testing;

namespace Nno.Gateway.Tests;

/// <summary>Clusters over plain HTTP (<c>NNO_*_URL</c> set): the same forwarding rules on a real socket.</summary>
public sealed class DistributedModeTests : IAsyncLifetime
{
    private readonly UpstreamRecorder _recorder = new();
    private WebApplication _billing = null!;
    private GatewayPlatform _platform = null!;
    private int _billingPort;

    public async Task InitializeAsync()
    {
        _billingPort = FreePort.Get();
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, _billingPort));
        _billing = builder.Build();
        _recorder.Install("billing", _billing);
        await _billing.StartAsync();

        _platform = await GatewayPlatform.StartAsync(["gateway"], new Dictionary<string, string?>
        {
            ["NNO_BILLING_URL"] = $"http://127.0.0.1:{_billingPort}",
            // Nothing listens there: connection refused.
            ["NNO_IAM_URL"] = $"http://127.0.0.1:{FreePort.Get()}/",
        });
    }

    public async Task DisposeAsync()
    {
        await _platform.DisposeAsync();
        await _billing.DisposeAsync();
    }

    [Fact]
    public async Task HttpCluster_ForwardsPathQueryAndHeadersOverTheSocket()
    {
        const string query = "?a=%7e&b=%2F&c=+&d=%C3%A9&e";
        using var request = new HttpRequestMessage(HttpMethod.Post, Http.RawUri("/api/v1/billing/checkout" + query));
        var id = "http-" + Guid.NewGuid().ToString("N");
        request.Headers.Add("X-Request-Id", id);
        request.Headers.Add("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        request.Headers.TryAddWithoutValidation("X-Nno-Role", "platform-admin");
        request.Content = new StringContent("{\"plan\":\"scale\"}");

        using var response = await _platform.Service.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var upstream = _recorder.One(id);
        Assert.Equal("/checkout", upstream.RawPath);
        Assert.Equal(query, upstream.RawQuery);
        Assert.Equal($"127.0.0.1:{_billingPort}", upstream.Header("Host"));
        // The static key's identity replaces the forged role.
        Assert.Equal("service", upstream.Header("X-Nno-Auth"));
        Assert.Equal("service", upstream.Header("X-Nno-Role"));
        Assert.Equal("Bearer " + FakeServiceTokenProvider.Token, upstream.Header("Authorization"));
        // One traceparent, written by the gateway with its own span as parent.
        var traceparent = upstream.Header("traceparent")!;
        Assert.DoesNotContain(",", traceparent, StringComparison.Ordinal);
        Assert.StartsWith("00-0af7651916cd43dd8448eb211c80319c-", traceparent, StringComparison.Ordinal);
        Assert.Equal("{\"plan\":\"scale\"}"u8.ToArray(), upstream.Body);
    }

    [Fact]
    public async Task HttpCluster_ConnectionRefused_Returns503()
    {
        using var response = await _platform.Service.GetAsync("/api/v1/iam/nno/session");

        var error = await Http.AssertEnvelopeAsync(response, HttpStatusCode.ServiceUnavailable, "SERVICE_UNAVAILABLE");
        Assert.Equal("iam", error.GetProperty("details").GetProperty("service").GetString());
        Assert.Equal("5", Http.Header(response, "Retry-After"));
    }

    [Fact]
    public async Task HttpCluster_Upstream500Html_Returns502()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/billing/invoices");
        request.Headers.Add(UpstreamRecorder.ScenarioHeader, "500-html");

        using var response = await _platform.Service.SendAsync(request);

        await Http.AssertEnvelopeAsync(response, HttpStatusCode.BadGateway, "BAD_GATEWAY");
    }
}

public sealed class RouteConfigurationTests
{
    [Theory]
    [InlineData("Gateway:Routes:nowhere:TimeoutSeconds", "5")]
    [InlineData("Gateway:Routes:cli:TimeoutSeconds", "0")]
    [InlineData("Gateway:Routes:iam:BodyLimitBytes", "-1")]
    public async Task InvalidRouteOverride_RefusesToStart(string key, string value)
    {
        WebApplication? app = null;
        var settings = new NnoApplicationSettings
        {
            Listen = false,
            Settings = new Dictionary<string, string?> { [key] = value, ["Logging:LogLevel:Default"] = "None", ["Gateway:StaticKeyEnabled"] = "false" },
        };
        try
        {
            // The route table is built with the proxy configuration, so a bad override fails the build or, at the latest, the start.
            var error = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
            {
                app = NnoApplication.Build(GatewayService.Module, settings);
                await app.StartAsync();
            });
            Assert.Contains(key.Split(':')[2], error.Message, StringComparison.Ordinal);
        }
        finally
        {
            if (app is not null)
            {
                await app.DisposeAsync();
            }
        }
    }
}

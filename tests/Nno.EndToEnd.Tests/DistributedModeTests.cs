using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Nno.Core.Services;
using Nno.Testing;

namespace Nno.EndToEnd.Tests;

/// <summary>
/// Distributed mode: one process per service (`--service <name>`), bindings over plain HTTP to the configured
/// <c>NNO_*_URL</c> addresses, service tokens issued by IAM and verified with its JWKS over HTTP.
/// </summary>
public sealed class DistributedModeTests
{
    [Fact]
    public async Task GatewayRegistryAndIam_AsSeparateProcesses_ForwardOverHttpWithVerifiedServiceTokens()
    {
        using var data = new TempDirectory("nno-e2e-dist");
        var gatewaySecret = NewSecret();
        var staticKey = NewSecret();
        var registrySecret = NewSecret();
        var iamPort = FreePort.Get();
        var registryPort = FreePort.Get();
        var gatewayPort = FreePort.Get();
        var iamUrl = $"http://127.0.0.1:{iamPort}";

        await using var iam = HostProcess.StartService(Dir(data, "iam"), NnoServices.Iam, iamPort, new Dictionary<string, string>
        {
            ["Iam__ServiceClients__gateway"] = gatewaySecret,
            ["Iam__ServiceClients__registry"] = registrySecret,
        });
        await iam.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));

        await using var registry = HostProcess.StartService(Dir(data, "registry"), NnoServices.Registry, registryPort, new Dictionary<string, string>
        {
            ["NNO_IAM_URL"] = iamUrl,
            ["NNO_SERVICE_CLIENT_SECRET"] = registrySecret,
        });
        await registry.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));

        await using var gateway = HostProcess.StartService(Dir(data, "gateway"), NnoServices.Gateway, gatewayPort, new Dictionary<string, string>
        {
            ["NNO_IAM_URL"] = iamUrl,
            ["NNO_REGISTRY_URL"] = $"http://127.0.0.1:{registryPort}",
            ["NNO_BILLING_URL"] = $"http://127.0.0.1:{FreePort.Get()}",
            ["NNO_SERVICE_CLIENT_SECRET"] = gatewaySecret,
            ["AUTH_API_KEY"] = staticKey,
        });
        await gateway.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{gatewayPort}") };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", staticKey);

        // Through the gateway: the Registry verified the gateway's token (JWKS fetched from IAM over HTTP) and answered
        // its own 404 for a path it does not have.
        using var routed = await http.GetAsync(new Uri("/api/v1/platforms/e2eprobe00/probe?x=1", UriKind.Relative));
        var text = await routed.Content.ReadAsStringAsync();
        Assert.True(routed.StatusCode == HttpStatusCode.NotFound, text);
        Assert.Contains("on the registry service", text, StringComparison.Ordinal);

        // Direct call without a token: 401.
        using var direct = await new HttpClient().GetAsync(new Uri($"http://127.0.0.1:{registryPort}/api/v1/platforms"));
        Assert.Equal(HttpStatusCode.Unauthorized, direct.StatusCode);

        // A configured but unreachable upstream maps to 503 naming the service.
        using var down = await http.GetAsync(new Uri("/api/v1/billing/subscription", UriKind.Relative));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        using var envelope = JsonDocument.Parse(await down.Content.ReadAsStringAsync());
        Assert.Equal("SERVICE_UNAVAILABLE", envelope.RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    private static string Dir(TempDirectory root, string name)
    {
        var path = Path.Combine(root.Path, name);
        Directory.CreateDirectory(path);
        return path;
    }

    private static string NewSecret() => Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
}

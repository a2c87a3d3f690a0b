using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Nno.Client.Identity;
using Nno.Core.Services;
using Nno.ServiceDefaults.Security;

namespace Nno.Testing.Security;

/// <summary>Real service tokens for tests: issued by the platform's IAM with the client secrets the host generated.</summary>
public static class TestServiceTokens
{
    /// <summary>The client secret the host generated for <paramref name="service"/> ({dataDir}/secrets/service-clients.json).</summary>
    public static string ClientSecret(this TestPlatform platform, string service)
    {
        ArgumentNullException.ThrowIfNull(platform);
        var path = Path.Combine(platform.DataDir, "secrets", "service-clients.json");
        var secrets = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(path))!;
        return secrets[service];
    }

    /// <summary>Asks IAM for <paramref name="service"/>'s token exactly as the service would.</summary>
    public static async Task<ServiceTokenResponse> IssueServiceTokenAsync(this TestPlatform platform, string service)
    {
        ArgumentNullException.ThrowIfNull(platform);
        using var client = platform.Client(NnoServices.Iam);
        using var request = new HttpRequestMessage(HttpMethod.Post, ServiceTokenProtocol.IssuePath)
        {
            Content = JsonContent.Create(new { service }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", platform.ClientSecret(service));
        using var response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<ServiceTokenResponse>(Core.Json.NnoJson.Options))!;
    }

    /// <summary>
    /// A client into <paramref name="target"/> that sends every request as the gateway would for <paramref name="identity"/>:
    /// the gateway's real token (obtained on first use) plus the <c>X-Nno-*</c> headers of gateway.md §4.5.
    /// </summary>
    public static HttpClient GatewayClient(this TestPlatform platform, string target, GatewayIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(platform);
        string? token = null;
        var handler = new GatewayIdentityHandler(
            async _ => token ??= (await platform.IssueServiceTokenAsync(NnoServices.Gateway)).Token,
            identity)
        {
            InnerHandler = platform.Host.Directory.CreateHandler(target),
        };
        return new HttpClient(handler) { BaseAddress = Nno.ServiceDefaults.Bindings.ServiceBindingRegistration.InProcessAddress(target) };
    }

    /// <summary>A client into <paramref name="target"/> whose requests carry <paramref name="token"/> as the bearer token.</summary>
    public static HttpClient ClientWithToken(this TestPlatform platform, string target, string token)
    {
        ArgumentNullException.ThrowIfNull(platform);
        var client = platform.Client(target);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}

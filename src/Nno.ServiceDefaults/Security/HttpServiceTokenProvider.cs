using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nno.ServiceDefaults.Hosting;

namespace Nno.ServiceDefaults.Security;

/// <summary>Body of <c>POST /api/nno/service-token</c> (iam.md §3.5).</summary>
public sealed record ServiceTokenRequest(string Service);

/// <summary>Answer of <c>POST /api/nno/service-token</c> (iam.md §3.5).</summary>
public sealed record ServiceTokenResponse(string Token, string TokenType, int ExpiresIn, DateTimeOffset ExpiresAt);

/// <summary>
/// A service's own token from IAM (gateway.md §4.9): <c>POST /api/nno/service-token</c> with
/// <c>Authorization: Bearer &lt;Nno:ServiceClientSecret&gt;</c> through the IAM binding, cached by the base class.
/// </summary>
internal sealed class HttpServiceTokenProvider(
    string serviceName,
    IHttpClientFactory httpClients,
    IOptions<NnoOptions> nno,
    TimeProvider time,
    IOptions<ServiceAuthenticationOptions> options,
    ILogger<HttpServiceTokenProvider> logger) : CachingServiceTokenProvider(time, options, logger)
{
    private static readonly JsonSerializerOptions ReadOptions = new(JsonSerializerDefaults.Web) { NumberHandling = JsonNumberHandling.Strict };

    protected override async Task<ServiceTokenGrant> RequestTokenAsync(CancellationToken cancellationToken)
    {
        var secret = nno.Value.ServiceClientSecret;
        if (string.IsNullOrEmpty(secret))
        {
            throw new ServiceTokenRequestException($"the {serviceName} service has no client secret (Nno:ServiceClientSecret / NNO_SERVICE_CLIENT_SECRET)");
        }

        var client = httpClients.CreateClient(ServiceTokenProtocol.AnonymousIamClient);
        using var request = new HttpRequestMessage(HttpMethod.Post, ServiceTokenProtocol.IssuePath.TrimStart('/'))
        {
            Content = JsonContent.Create(new ServiceTokenRequest(serviceName), options: Core.Json.NnoJson.Options),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        using var response = await client.SendAsync(request, cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            var hint = response.StatusCode == HttpStatusCode.Unauthorized ? " (IAM does not accept this service's client secret)" : string.Empty;
            throw new ServiceTokenRequestException($"IAM answered {(int)response.StatusCode}{hint}");
        }

        var body = await response.Content.ReadFromJsonAsync<ServiceTokenResponse>(ReadOptions, cancellationToken);
        if (body is null || string.IsNullOrEmpty(body.Token) || body.ExpiresIn <= 0)
        {
            throw new ServiceTokenRequestException("IAM's token response is incomplete");
        }

        return new ServiceTokenGrant(body.Token, TimeSpan.FromSeconds(body.ExpiresIn));
    }
}

/// <summary>Puts this service's token on every call through a service binding (unless the call has its own <c>Authorization</c>).</summary>
internal sealed class ServiceTokenHandler(IServiceTokenProvider provider) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Headers.Authorization is null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await provider.GetTokenAsync(cancellationToken));
        }

        return await base.SendAsync(request, cancellationToken);
    }
}

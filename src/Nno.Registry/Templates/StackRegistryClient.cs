using System.Net;
using System.Net.Http.Json;
using Nno.Client;
using Nno.Core.Errors;
using Nno.Core.Services;
using Nno.ServiceDefaults.RequestContext;

namespace Nno.Registry.Templates;

/// <summary>The part of the Stack Registry's <c>Template</c> the Registry reads (stack-registry.md §3.3).</summary>
internal sealed record StackTemplate(string Name, string Status, string? LatestVersion);

/// <summary>The part of <c>TemplateDetail</c> the Registry reads.</summary>
internal sealed record StackTemplateDetail(StackTemplate Template);

/// <summary>The part of <c>TemplateVersion</c> the Registry reads (the definition is Provisioning's business).</summary>
internal sealed record StackTemplateVersion(string TemplateName, string Version, string Status, int FeatureCount, System.Text.Json.JsonElement? Definition = null);

/// <summary>Who a Stack Registry call is made for: the request and trace ids to forward and, when acting for a user, that user.</summary>
internal sealed record StackRegistryCallContext(string RequestId, string TraceId, string? ActingUserId = null)
{
    public static StackRegistryCallContext From(RequestIds ids, string? actingUserId = null)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return new StackRegistryCallContext(ids.RequestId, ids.TraceId, actingUserId);
    }
}

/// <summary>
/// The Registry's reads of the Stack Registry (registry.md §5): through the <c>NNO_STACK_REGISTRY</c> binding, which
/// carries the Registry's own service token (no <c>X-Nno-*</c> identity header), with <c>X-Request-Id</c>/<c>X-Trace-Id</c>
/// forwarded and a 10 s budget on <see cref="TimeProvider"/> per call. A 404 is "unknown" (null); unreachable, 5xx or any
/// other unexpected answer is 502 <c>BAD_GATEWAY</c>, running out of time 504 <c>UPSTREAM_TIMEOUT</c>. An unreachable
/// service or a 5xx is tried once more (synchronous paths retry once, §5); a timeout is not, so a caller waits 10 s at most
/// per read.
/// </summary>
internal sealed class StackRegistryClient(IHttpClientFactory httpClients, TimeProvider time)
    : NnoApiClient(httpClients.CreateClient(NnoServices.StackRegistryInfo.BindingName))
{
    /// <summary>The budget of one call (registry.md §5).</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private const string ActingUserHeader = "X-Nno-Acting-User-Id";

    /// <summary>The template named <paramref name="name"/>, or null when the Stack Registry does not know it.</summary>
    public async Task<StackTemplate?> GetTemplateAsync(string name, StackRegistryCallContext call, CancellationToken cancellationToken)
    {
        var detail = await GetAsync<StackTemplateDetail>($"api/v1/stacks/{Uri.EscapeDataString(name)}", call, cancellationToken);
        return detail?.Template;
    }

    /// <summary>
    /// Version <paramref name="version"/> (or <c>latest</c>) of template <paramref name="name"/>, or null when unknown (or
    /// <c>latest</c> with no active version).
    /// </summary>
    public Task<StackTemplateVersion?> GetVersionAsync(string name, string version, StackRegistryCallContext call, CancellationToken cancellationToken) =>
        GetAsync<StackTemplateVersion>($"api/v1/stacks/{Uri.EscapeDataString(name)}/versions/{Uri.EscapeDataString(version)}", call, cancellationToken);

    private async Task<T?> GetAsync<T>(string path, StackRegistryCallContext call, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(call);
        for (var attempt = 1; ; attempt++)
        {
            using var budget = new CancellationTokenSource(Timeout, time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, budget.Token);
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, path);
                request.Headers.TryAddWithoutValidation(RequestIds.RequestIdHeader, call.RequestId);
                request.Headers.TryAddWithoutValidation(RequestIds.TraceIdHeader, call.TraceId);
                if (call.ActingUserId is not null)
                {
                    request.Headers.TryAddWithoutValidation(ActingUserHeader, call.ActingUserId);
                }

                using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
                if (response.StatusCode == HttpStatusCode.NotFound)
                {
                    return null;
                }

                if ((int)response.StatusCode >= 500 && attempt == 1)
                {
                    continue;
                }

                if (!response.IsSuccessStatusCode)
                {
                    throw BadGateway($"The Stack Registry answered {(int)response.StatusCode}.");
                }

                T? body;
                try
                {
                    body = await response.Content.ReadFromJsonAsync<T>(ResponseOptions, linked.Token);
                }
                catch (System.Text.Json.JsonException)
                {
                    body = null;
                }

                // Upstream bodies are untrusted (§5): an answer without the fields the check reads is a bad gateway, not a pass.
                return body ?? throw BadGateway("The Stack Registry's answer could not be read.");
            }
            catch (OperationCanceledException) when (budget.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new ApiException(ErrorCodes.UpstreamTimeout, $"The Stack Registry did not answer within {Timeout.TotalSeconds:0} s.", new { service = NnoServices.StackRegistry });
            }
            catch (HttpRequestException) when (!cancellationToken.IsCancellationRequested)
            {
                if (attempt == 1)
                {
                    continue;
                }

                throw BadGateway("The Stack Registry is not reachable.");
            }
        }
    }

    private static ApiException BadGateway(string message) =>
        new(ErrorCodes.BadGateway, message, new { service = NnoServices.StackRegistry });
}

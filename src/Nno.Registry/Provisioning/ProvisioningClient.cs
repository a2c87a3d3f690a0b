using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Nno.Client;
using Nno.Core.Errors;
using Nno.Core.Services;
using Nno.Registry.Objects;
using Nno.ServiceDefaults.RequestContext;

namespace Nno.Registry.Provisioning;

/// <summary>P1 body (registry.md §5): <c>{ platformId, planTier, billingEmail, defaultEntityId, environment }</c>.</summary>
internal sealed record ProvisionPlatformBody(string PlatformId, string PlanTier, string BillingEmail, string? DefaultEntityId, string Environment);

/// <summary>P2 body: <c>{ platformId, environment?, reason, purgeData }</c> (no <c>environment</c> = every environment).</summary>
internal sealed record DeprovisionBody(
    string PlatformId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Environment,
    string Reason,
    bool PurgeData);

/// <summary>P4 body: <c>{ platformId, entityId, stackId, featureId, featureVersion, environment, config }</c>.</summary>
internal sealed record ActivateFeatureBody(
    string PlatformId, string EntityId, string StackId, string FeatureId, string FeatureVersion, string Environment, JsonElement Config);

/// <summary>P5 body: <c>{ platformId, entityId, stackId, featureId, environment, deleteData }</c>.</summary>
internal sealed record DeactivateFeatureBody(string PlatformId, string EntityId, string StackId, string FeatureId, string Environment, bool DeleteData);

/// <summary>P6 body: exactly one of <c>templateName</c> (+ <c>templateVersion</c>) or <c>definition</c>.</summary>
internal sealed record ActivateStackBody(
    string PlatformId,
    string StackId,
    string EntityId,
    string Environment,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? TemplateName,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? TemplateVersion,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonElement? Definition);

/// <summary>P7 body: <c>{ platformId, stackId, deleteData }</c>.</summary>
internal sealed record DeactivateStackBody(string PlatformId, string StackId, bool DeleteData);

/// <summary>P8 body: <c>{ platformId, customDomainId, domain, targetHostname }</c>.</summary>
internal sealed record AddCustomDomainBody(string PlatformId, string CustomDomainId, string Domain, string TargetHostname);

/// <summary>P9 body: <c>{ platformId, customDomainId }</c>.</summary>
internal sealed record RemoveCustomDomainBody(string PlatformId, string CustomDomainId);

/// <summary>P15 body: the secret value, which only ever lives in this request.</summary>
internal sealed record FeatureSecretBody(string Value);

/// <summary>The 202 of P1–P9: <c>{ jobId, status }</c>.</summary>
internal sealed record ProvisionJobAccepted(string? JobId, string? Status);

/// <summary>The part of a Provisioning Job (P11) the job watcher reads.</summary>
internal sealed record ProvisionJobError(string? Code, string? Message);

/// <summary>The part of a Provisioning Job (P11) the job watcher reads.</summary>
internal sealed record ProvisionJob(string? JobId, string? Status, int RunNumber, ProvisionJobError? Error);

/// <summary>Who a synchronous call is made for: the request and trace ids to forward and, when acting for a user, that user.</summary>
internal sealed record ProvisioningCallContext(string RequestId, string TraceId, string? ActingUserId)
{
    public static ProvisioningCallContext From(RequestIds ids, string? actingUserId) => new(ids.RequestId, ids.TraceId, actingUserId);
}

/// <summary>
/// The Registry's calls to Provisioning (registry.md §5, provisioning.md §3) through the <c>NNO_PROVISIONING</c> binding,
/// which carries the Registry's own service token. Relayed calls (P2, P4–P9) come back raw for the outbox relay to
/// classify; the job read (P11) is the watcher's; the synchronous calls of request paths (P1, P15, P16) have a 10 s budget
/// per call on <see cref="TimeProvider"/>, are tried once more when Provisioning is unreachable or answers 5xx, and turn
/// an upstream failure into 502 <c>BAD_GATEWAY</c> (504 <c>UPSTREAM_TIMEOUT</c> when out of time).
/// </summary>
internal sealed class ProvisioningClient(IHttpClientFactory httpClients, TimeProvider time)
    : NnoApiClient(httpClients.CreateClient(NnoServices.ProvisioningInfo.BindingName))
{
    /// <summary>The budget of one synchronous call (registry.md §5).</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private const string ActingUserHeader = "X-Nno-Acting-User-Id";

    public Task<HttpResponseMessage> DeprovisionAsync(DeprovisionBody body, string idempotencyKey, CancellationToken cancellationToken) =>
        SendRawAsync(HttpMethod.Post, "api/v1/provision/platform/deprovision", body, idempotencyKey, cancellationToken);

    public Task<HttpResponseMessage> ActivateFeatureAsync(ActivateFeatureBody body, string idempotencyKey, CancellationToken cancellationToken) =>
        SendRawAsync(HttpMethod.Post, "api/v1/provision/feature/activate", body, idempotencyKey, cancellationToken);

    public Task<HttpResponseMessage> DeactivateFeatureAsync(DeactivateFeatureBody body, string idempotencyKey, CancellationToken cancellationToken) =>
        SendRawAsync(HttpMethod.Post, "api/v1/provision/feature/deactivate", body, idempotencyKey, cancellationToken);

    public Task<HttpResponseMessage> ActivateStackAsync(ActivateStackBody body, string idempotencyKey, CancellationToken cancellationToken) =>
        SendRawAsync(HttpMethod.Post, "api/v1/provision/stack/activate", body, idempotencyKey, cancellationToken);

    public Task<HttpResponseMessage> DeactivateStackAsync(DeactivateStackBody body, string idempotencyKey, CancellationToken cancellationToken) =>
        SendRawAsync(HttpMethod.Post, "api/v1/provision/stack/deactivate", body, idempotencyKey, cancellationToken);

    public Task<HttpResponseMessage> AddCustomDomainAsync(AddCustomDomainBody body, string idempotencyKey, CancellationToken cancellationToken) =>
        SendRawAsync(HttpMethod.Post, "api/v1/provision/custom-domain/add", body, idempotencyKey, cancellationToken);

    public Task<HttpResponseMessage> RemoveCustomDomainAsync(RemoveCustomDomainBody body, string idempotencyKey, CancellationToken cancellationToken) =>
        SendRawAsync(HttpMethod.Post, "api/v1/provision/custom-domain/remove", body, idempotencyKey, cancellationToken);

    /// <summary>P11, raw: the watcher tells a lost job (404 <c>details.resource: "job"</c>) from a missing route.</summary>
    public Task<HttpResponseMessage> GetJobAsync(string jobId, CancellationToken cancellationToken) =>
        SendRawAsync(HttpMethod.Get, $"api/v1/provision/jobs/{Uri.EscapeDataString(jobId)}", null, null, cancellationToken);

    /// <summary>
    /// P1, synchronous: the job id of the PROVISION_PLATFORM job. A refusal (4xx) comes back as 502 with Provisioning's code
    /// in <c>details.upstreamCode</c>; unreachable or 5xx as 502; out of time as 504.
    /// </summary>
    public async Task<string> ProvisionPlatformAsync(ProvisionPlatformBody body, string idempotencyKey, ProvisioningCallContext call, CancellationToken cancellationToken)
    {
        using var response = await SendSyncAsync(HttpMethod.Post, "api/v1/provision/platform", body, idempotencyKey, call, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw BadGateway($"Provisioning refused to start the job ({(int)response.StatusCode}).", await UpstreamCodeAsync(response, cancellationToken));
        }

        return await JobIdOfAsync(response, cancellationToken) ?? throw BadGateway("Provisioning's answer has no valid job id.", null);
    }

    /// <summary>
    /// P15 (<paramref name="value"/> set) or P16 (null): writes or deletes a customer secret on a feature Worker. True on
    /// success, false when Provisioning has no Worker for the feature (404 <c>details.resource: "worker"</c>).
    /// </summary>
    public async Task<bool> WriteSecretAsync(
        string platformId, string environment, string stackId, string featureId, string name, string? value, ProvisioningCallContext call,
        CancellationToken cancellationToken)
    {
        var path = $"api/v1/provision/secrets/{Uri.EscapeDataString(platformId)}/{environment}/{Uri.EscapeDataString(stackId)}/{Uri.EscapeDataString(featureId)}/{Uri.EscapeDataString(name)}";
        using var response = value is null
            ? await SendSyncAsync(HttpMethod.Delete, path, null, null, call, cancellationToken)
            : await SendSyncAsync(HttpMethod.Put, path, new FeatureSecretBody(value), null, call, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return true;
        }

        var (code, resource) = await EnvelopeOfAsync(response, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound && resource == "worker")
        {
            return false;
        }

        throw BadGateway($"Provisioning could not write the secret ({(int)response.StatusCode}).", code);
    }

    /// <summary>The job id of a 202 <c>{jobId, status}</c>, validated (upstream bodies are untrusted, §5); null when absent or malformed.</summary>
    public static async Task<string?> JobIdOfAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var accepted = await response.Content.ReadFromJsonAsync<ProvisionJobAccepted>(ResponseOptions, cancellationToken);
            return accepted?.JobId is { } jobId && ReportRules.IsJobId(jobId) ? jobId : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A job (P11) read leniently; null when the body is not one.</summary>
    public static async Task<ProvisionJob?> JobOfAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<ProvisionJob>(ResponseOptions, cancellationToken);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private async Task<HttpResponseMessage> SendSyncAsync(
        HttpMethod method, string path, object? body, string? idempotencyKey, ProvisioningCallContext call, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var budget = new CancellationTokenSource(Timeout, time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, budget.Token);
            HttpResponseMessage? response = null;
            try
            {
                using var request = new HttpRequestMessage(method, path);
                if (body is not null)
                {
                    request.Content = JsonContent.Create(body, body.GetType(), options: Core.Json.NnoJson.Options);
                }

                if (idempotencyKey is not null)
                {
                    request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
                }

                request.Headers.TryAddWithoutValidation(RequestIds.RequestIdHeader, call.RequestId);
                request.Headers.TryAddWithoutValidation(RequestIds.TraceIdHeader, call.TraceId);
                if (call.ActingUserId is not null)
                {
                    request.Headers.TryAddWithoutValidation(ActingUserHeader, call.ActingUserId);
                }

                response = await Http.SendAsync(request, HttpCompletionOption.ResponseContentRead, linked.Token);
                if ((int)response.StatusCode >= 500)
                {
                    var status = (int)response.StatusCode;
                    response.Dispose();
                    if (attempt == 1)
                    {
                        continue;
                    }

                    throw BadGateway($"Provisioning answered {status}.", null);
                }

                return response;
            }
            catch (OperationCanceledException) when (budget.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                response?.Dispose();
                throw new ApiException(ErrorCodes.UpstreamTimeout, $"Provisioning did not answer within {Timeout.TotalSeconds:0} s.", new { service = NnoServices.Provisioning });
            }
            catch (HttpRequestException) when (!cancellationToken.IsCancellationRequested)
            {
                response?.Dispose();
                if (attempt == 1)
                {
                    continue;
                }

                throw BadGateway("Provisioning is not reachable.", null);
            }
        }
    }

    private static async Task<string?> UpstreamCodeAsync(HttpResponseMessage response, CancellationToken cancellationToken) =>
        (await EnvelopeOfAsync(response, cancellationToken)).Code;

    private static async Task<(string? Code, string? Resource)> EnvelopeOfAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
            {
                var code = error.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
                var resource = error.TryGetProperty("details", out var d) && d.ValueKind == JsonValueKind.Object
                    && d.TryGetProperty("resource", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
                return (code, resource);
            }
        }
        catch (JsonException)
        {
            // Not an envelope: the status decides.
        }

        return (null, null);
    }

    private static ApiException BadGateway(string message, string? upstreamCode) =>
        new(ErrorCodes.BadGateway, message, new { service = NnoServices.Provisioning, upstreamCode });
}

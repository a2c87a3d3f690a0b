using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Nno.Client;
using Nno.Core.Errors;
using Nno.Core.Services;

namespace Nno.Registry.Ownership;

/// <summary>
/// Reads a user's platform memberships from IAM (<c>GET /api/nno/users/{userId}/platforms</c>, registry.md §5) for the
/// ownership-transfer target check. A synchronous path: unreachable or 5xx → 502 <c>BAD_GATEWAY</c>, timeout (10 s) →
/// 504 <c>UPSTREAM_TIMEOUT</c>; one retry (§5).
/// </summary>
internal sealed class IamMemberships(IHttpClientFactory httpClients, TimeProvider time, ILogger<IamMemberships> logger)
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>The role of <paramref name="userId"/> on <paramref name="platformId"/>, or null when they are not a member (or unknown to IAM).</summary>
    public async Task<string?> RoleOnAsync(string userId, string platformId, string? requestId, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await ReadAsync(userId, platformId, requestId, cancellationToken);
            }
            catch (ApiException ex) when (attempt == 1 && ex.Code is ErrorCodes.BadGateway or ErrorCodes.UpstreamTimeout)
            {
                logger.LogWarning("IAM membership read failed ({Code}); retrying once", ex.Code);
            }
        }
    }

    private async Task<string?> ReadAsync(string userId, string platformId, string? requestId, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(Timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/nno/users/{Uri.EscapeDataString(userId)}/platforms?limit=100");
            if (requestId is not null)
            {
                request.Headers.TryAddWithoutValidation("X-Request-Id", requestId);
            }

            var client = httpClients.CreateClient(NnoServices.IamInfo.BindingName);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new ApiException(ErrorCodes.BadGateway, $"IAM answered {(int)response.StatusCode} to the membership check.", new { service = "iam" });
            }

            // IAM keeps at most 100 memberships per user, so one page of 100 is the whole list.
            var page = await response.Content.ReadFromJsonAsync<JsonElement>(NnoApiClient.ResponseOptions, linked.Token);
            foreach (var membership in page.GetProperty("data").EnumerateArray())
            {
                if (membership.GetProperty("platformId").GetString() == platformId)
                {
                    return membership.GetProperty("role").GetString();
                }
            }

            return null;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new ApiException(ErrorCodes.UpstreamTimeout, "IAM did not answer the membership check in time.", new { service = "iam" });
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new ApiException(ErrorCodes.BadGateway, "IAM could not be asked about the membership.", new { service = "iam" });
        }
    }
}

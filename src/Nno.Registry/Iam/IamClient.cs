using System.Net.Http.Json;
using System.Text.Json;
using Nno.Client;
using Nno.Core.Services;

namespace Nno.Registry.Iam;

/// <summary>Body of IAM's <c>PUT /api/nno/platforms/{pid}/members/{userId}</c> (registry.md §5).</summary>
internal sealed record IamMemberRoleBody(string Role);

/// <summary>Body of IAM's <c>POST /api/nno/organizations</c> (registry.md §5): the org id is the entity id.</summary>
internal sealed record IamCreateOrganizationBody(
    string Id, string PlatformId, string? ParentId, string Name, string Slug, string OwnerId, string OrgType, IamOrganizationMetadata Metadata);

/// <summary>The metadata the Registry stores on an organization.</summary>
internal sealed record IamOrganizationMetadata(string EntityId, string? ParentEntityId);

/// <summary>Body of IAM's <c>PATCH /api/nno/organizations/{orgId}</c> as the Registry sends it: the name only.</summary>
internal sealed record IamRenameOrganizationBody(string Name);

/// <summary>Body of IAM's <c>POST /api/nno/notifications</c> (registry.md §5, iam.md §3.5).</summary>
internal sealed record IamNotificationBody(string? PlatformId, string Kind, string Audience, string? UserId, Dictionary<string, JsonElement> Data, string DedupeKey);

/// <summary>The part of IAM's organization answer the Registry reads.</summary>
internal sealed record IamOrganization(string Id, string PlatformId, string Slug);

/// <summary>A page of IAM organizations (only <c>data</c> is read).</summary>
internal sealed record IamOrganizationPage(IReadOnlyList<IamOrganization> Data);

/// <summary>
/// The Registry's calls to IAM (registry.md §5) through the IAM binding, which carries the Registry's own service token
/// (IAM sees the <c>registry</c> service; no <c>X-Nno-*</c> identity header is sent). Answers come back raw: the relay
/// classifies them (<see cref="Outbox.OutboxHttp"/>).
/// </summary>
internal sealed class IamClient(IHttpClientFactory httpClients) : NnoApiClient(httpClients.CreateClient(NnoServices.IamInfo.BindingName))
{
    public Task<HttpResponseMessage> PutPlatformMemberAsync(string platformId, string userId, string role, string idempotencyKey, CancellationToken cancellationToken) =>
        SendRawAsync(HttpMethod.Put, $"api/nno/platforms/{Uri.EscapeDataString(platformId)}/members/{Uri.EscapeDataString(userId)}", new IamMemberRoleBody(role), idempotencyKey, cancellationToken);

    public Task<HttpResponseMessage> RemovePlatformAsync(string platformId, string idempotencyKey, CancellationToken cancellationToken) =>
        SendRawAsync(HttpMethod.Delete, $"api/nno/platforms/{Uri.EscapeDataString(platformId)}", null, idempotencyKey, cancellationToken);

    public Task<HttpResponseMessage> CreateOrganizationAsync(IamCreateOrganizationBody body, string idempotencyKey, CancellationToken cancellationToken) =>
        SendRawAsync(HttpMethod.Post, "api/nno/organizations", body, idempotencyKey, cancellationToken);

    public Task<HttpResponseMessage> FindOrganizationsAsync(string platformId, string slug, CancellationToken cancellationToken) =>
        SendRawAsync(HttpMethod.Get, $"api/nno/organizations?platformId={Uri.EscapeDataString(platformId)}&slug={Uri.EscapeDataString(slug)}", null, null, cancellationToken);

    public Task<HttpResponseMessage> RenameOrganizationAsync(string organizationId, string name, string idempotencyKey, CancellationToken cancellationToken) =>
        SendRawAsync(HttpMethod.Patch, $"api/nno/organizations/{Uri.EscapeDataString(organizationId)}", new IamRenameOrganizationBody(name), idempotencyKey, cancellationToken);

    public Task<HttpResponseMessage> DeleteOrganizationAsync(string organizationId, string idempotencyKey, CancellationToken cancellationToken) =>
        SendRawAsync(HttpMethod.Delete, $"api/nno/organizations/{Uri.EscapeDataString(organizationId)}", null, idempotencyKey, cancellationToken);

    public Task<HttpResponseMessage> NotifyAsync(IamNotificationBody body, string idempotencyKey, CancellationToken cancellationToken) =>
        SendRawAsync(HttpMethod.Post, "api/nno/notifications", body, idempotencyKey, cancellationToken);

    /// <summary>Reads a success answer's JSON leniently (IAM may add fields).</summary>
    public static Task<T?> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken) =>
        response.Content.ReadFromJsonAsync<T>(ResponseOptions, cancellationToken);
}

using System.Text.Json;

namespace Nno.Iam.Organizations;

/// <summary>An organization as the API returns it; <c>role</c> is the calling user's tenant role (null for services and non-members).</summary>
internal sealed record OrganizationView(
    string Id,
    string PlatformId,
    string? ParentId,
    string Name,
    string Slug,
    string OrgType,
    string? Logo,
    JsonElement? Metadata,
    string? Role,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public static OrganizationView From(OrganizationRecord o, string? role) => new(
        o.Id, o.PlatformId, o.ParentId, o.Name, o.Slug, o.OrgType, o.Logo, OrganizationRules.Parse(o.Metadata), role,
        DateTimeOffset.FromUnixTimeMilliseconds(o.CreatedAt), DateTimeOffset.FromUnixTimeMilliseconds(o.UpdatedAt));
}

/// <summary>A tenant membership.</summary>
internal sealed record MemberView(string Id, string OrganizationId, string UserId, string Role, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static MemberView From(MemberRecord m) => new(
        m.Id, m.OrganizationId, m.UserId, m.Role, DateTimeOffset.FromUnixTimeMilliseconds(m.CreatedAt), DateTimeOffset.FromUnixTimeMilliseconds(m.UpdatedAt));
}


/// <summary>Body of <c>POST /api/nno/organizations</c>.</summary>
internal sealed record CreateOrganizationRequest(
    string PlatformId,
    string Name,
    string Slug,
    string OwnerId,
    string? Id = null,
    string? ParentId = null,
    string? OrgType = null,
    JsonElement? Metadata = null);

/// <summary>Body of <c>PATCH /api/nno/organizations/{id}</c>; <c>logo</c> and <c>metadata</c> set to null clear them.</summary>
internal sealed record PatchOrganizationRequest(string? Name = null, string? Slug = null, string? Logo = null, JsonElement? Metadata = null);

/// <summary>Body of <c>POST /api/nno/organizations/{id}/members</c>.</summary>
internal sealed record AddMemberRequest(string UserId, string Role);

/// <summary>Body of <c>PATCH /api/nno/organizations/{id}/members/{userId}</c>.</summary>
internal sealed record MemberRoleRequest(string Role);

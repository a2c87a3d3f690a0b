namespace Nno.Registry.Entities;

/// <summary>The Entity representation (registry.md §3.3); also the list item (it has no large fields).</summary>
internal sealed record EntityView(
    string Id,
    string PlatformId,
    string? ParentId,
    string Type,
    int Depth,
    bool IsDefault,
    string Name,
    string Slug,
    string? IamOrgId,
    string Status,
    string? LastError,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? DeletedAt)
{
    public static EntityView From(EntityRecord e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new EntityView(
            e.Id, e.PlatformId, e.ParentId, e.Type, e.Depth, e.IsDefault, e.Name, e.Slug, e.IamOrgId, e.Status, e.LastError,
            DateTimeOffset.FromUnixTimeMilliseconds(e.CreatedAt), DateTimeOffset.FromUnixTimeMilliseconds(e.UpdatedAt),
            e.DeletedAt is { } deleted ? DateTimeOffset.FromUnixTimeMilliseconds(deleted) : null);
    }
}

/// <summary>
/// Body of <c>POST /api/v1/platforms/{pid}/entities</c>. Only these fields exist: <c>status</c>, <c>id</c>, <c>type</c>,
/// <c>depth</c>, <c>isDefault</c> and <c>iamOrgId</c> are unknown properties (400 by strict binding), never assigned.
/// </summary>
internal sealed record CreateEntityRequest
{
    public string? Name { get; init; }

    public string? Slug { get; init; }

    public string? ParentId { get; init; }

    /// <summary>Operators only: the owner of the IAM organization (default: the platform's <c>owner_user_id</c>).</summary>
    public string? OwnerUserId { get; init; }
}

/// <summary>Body of <c>PATCH /api/v1/platforms/{pid}/entities/{eid}</c>: only the name changes.</summary>
internal sealed record PatchEntityRequest
{
    public string? Name { get; init; }
}

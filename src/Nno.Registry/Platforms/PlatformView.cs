using System.Globalization;

namespace Nno.Registry.Platforms;

/// <summary>The Platform representation (registry.md §3.3); also the list item (it has no large fields).</summary>
internal sealed record PlatformView(
    string Id,
    string Name,
    string Slug,
    string Class,
    string Status,
    string Tier,
    string? CfAccountId,
    string? RepoName,
    string? StripeCustomerId,
    string? OwnerUserId,
    string? PendingOwnerUserId,
    DateTimeOffset? TransferExpiresAt,
    DateTimeOffset? SuspendedAt,
    string? SuspensionReason,
    DateTimeOffset? CancelledAt,
    string? CancellationReason,
    DateTimeOffset? CancelEffectiveAt,
    DateTimeOffset? TrialEndsAt,
    DateTimeOffset? BootstrapFailedAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? DeletedAt,
    DateTimeOffset? PurgedAt,
    long Version)
{
    public static PlatformView From(PlatformRecord p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return new PlatformView(
            p.Id, p.Name, p.Slug, p.Class, p.Status, p.Tier, p.CfAccountId, p.RepoName, p.StripeCustomerId, p.OwnerUserId,
            p.PendingOwnerUserId, At(p.TransferExpiresAt), At(p.SuspendedAt), p.SuspensionReason, At(p.CancelledAt), p.CancellationReason,
            At(p.CancelEffectiveAt), At(p.TrialEndsAt), At(p.BootstrapFailedAt), DateTimeOffset.FromUnixTimeMilliseconds(p.CreatedAt),
            DateTimeOffset.FromUnixTimeMilliseconds(p.UpdatedAt), At(p.DeletedAt), At(p.PurgedAt), p.Version);
    }

    /// <summary>The ETag of a platform row: <c>"{version}"</c>.</summary>
    public static string ETagOf(PlatformRecord p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return "\"" + p.Version.ToString(CultureInfo.InvariantCulture) + "\"";
    }

    private static DateTimeOffset? At(long? ms) => ms is { } value ? DateTimeOffset.FromUnixTimeMilliseconds(value) : null;
}

/// <summary>Body of the operator import <c>POST /api/v1/platforms</c>.</summary>
internal sealed record CreatePlatformRequest
{
    public string? Name { get; init; }

    public string? Slug { get; init; }

    public string? OwnerUserId { get; init; }

    public string? Tier { get; init; }

    public string? Class { get; init; }

    public string? CfAccountId { get; init; }

    public string? RepoName { get; init; }

    public string? TrialEndsAt { get; init; }

    public string? DefaultTenantOrgId { get; init; }
}

/// <summary>Body of <c>PATCH /api/v1/platforms/{pid}</c> (which fields were present is read from the raw JSON).</summary>
internal sealed record PatchPlatformRequest
{
    public string? Name { get; init; }

    public string? Tier { get; init; }

    public string? ProrationDate { get; init; }

    public string? CfAccountId { get; init; }

    public string? RepoName { get; init; }

    public string? StripeCustomerId { get; init; }

    public string? OwnerUserId { get; init; }

    public string? TrialEndsAt { get; init; }

    public string? Class { get; init; }
}

/// <summary>Body of the lifecycle POSTs: a reason (required for suspend, cancel and delete).</summary>
internal sealed record LifecycleRequest
{
    public string? Reason { get; init; }
}

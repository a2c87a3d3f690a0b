using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Nno.Core.Platforms;
using Nno.Registry.Data;

namespace Nno.Registry.Platforms;

/// <summary>Platform classes (registry.md §2).</summary>
internal static class PlatformClasses
{
    /// <summary>A customer console with an NNO-managed repo.</summary>
    public const string Platform = "platform";

    /// <summary>An end-user project; only operators create one in this version.</summary>
    public const string UserProject = "user_project";

    public static IReadOnlyList<string> All { get; } = [Platform, UserProject];
}

/// <summary>A row of <c>platforms</c> (registry.md §2): the record and lifecycle state of one customer platform.</summary>
internal sealed class PlatformRecord
{
    public required string Id { get; set; }

    public required string Name { get; set; }

    public required string Slug { get; set; }

    public string Class { get; set; } = PlatformClasses.Platform;

    public required string Status { get; set; }

    public string Tier { get; set; } = PlatformTiers.Starter;

    public string? CfAccountId { get; set; }

    public string? RepoName { get; set; }

    public string? StripeCustomerId { get; set; }

    /// <summary>The billing contact and the key of the platforms-per-owner limit; never a source of access (§3.1).</summary>
    public string? OwnerUserId { get; set; }

    public string? PendingOwnerUserId { get; set; }

    public long? TransferExpiresAt { get; set; }

    public long? SuspendedAt { get; set; }

    public string? SuspensionReason { get; set; }

    public string? SuspendedBy { get; set; }

    public long? CancelledAt { get; set; }

    public string? CancellationReason { get; set; }

    public long? CancelEffectiveAt { get; set; }

    public long? TrialEndsAt { get; set; }

    public long? BootstrapFailedAt { get; set; }

    public string? DeprovisionJobId { get; set; }

    public long? PurgedAt { get; set; }

    /// <summary>+1 on every change; the ETag is <c>"{version}"</c>.</summary>
    public long Version { get; set; } = 1;

    public long CreatedAt { get; set; }

    public long UpdatedAt { get; set; }

    public long? DeletedAt { get; set; }

    /// <summary>True when the platform has a Billing subscription (registry.md §3.4 "Tier").</summary>
    public bool HasSubscription => StripeCustomerId is not null;
}

internal sealed class PlatformRecordConfiguration : IEntityTypeConfiguration<PlatformRecord>
{
    public void Configure(EntityTypeBuilder<PlatformRecord> builder)
    {
        builder.ToTable("platforms");
        builder.HasKey(p => p.Id);
        builder.Property(p => p.Id).HasMaxLength(10);
        builder.Property(p => p.Name).HasMaxLength(100);
        builder.Property(p => p.Slug).HasMaxLength(63);
        builder.Property(p => p.Class).HasDefaultValue(PlatformClasses.Platform);
        builder.Property(p => p.Tier).HasDefaultValue(PlatformTiers.Starter);
        builder.Property(p => p.Version).HasDefaultValue(1L);
        builder.HasEnumCheck("class", PlatformClasses.All);
        builder.HasEnumCheck("status", PlatformStatuses.All);
        builder.HasEnumCheck("tier", PlatformTiers.All);

        // A deleted platform frees its slug.
        builder.HasIndex(p => p.Slug).IsUnique().HasFilter(ModelConventions.Live).HasDatabaseName("ux_platforms_slug_live");
        builder.HasIndex(p => new { p.CreatedAt, p.Id });
        builder.HasIndex(p => new { p.OwnerUserId, p.CreatedAt, p.Id });
        builder.HasIndex(p => new { p.Status, p.CreatedAt, p.Id });
        builder.HasIndex(p => new { p.Status, p.CancelEffectiveAt });
        // The lifecycle sweep: deleted platforms still to purge, and pending ownership transfers by expiry.
        builder.HasIndex(p => new { p.Status, p.DeletedAt }).HasFilter("purged_at IS NULL").HasDatabaseName("ix_platforms_status_deleted_at_unpurged");
        builder.HasIndex(p => p.TransferExpiresAt).HasFilter("pending_owner_user_id IS NOT NULL").HasDatabaseName("ix_platforms_transfer_expires_at_pending");
    }
}

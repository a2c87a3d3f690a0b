using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Nno.Registry.Data;
using Nno.Registry.Entities;
using Nno.Registry.Environments;
using Nno.Registry.Platforms;

namespace Nno.Registry.Features;

/// <summary>How a feature got activated: on its own, or as part of a stack's definition.</summary>
internal static class ActivationSources
{
    public const string Standalone = "standalone";
    public const string Stack = "stack";

    public static IReadOnlyList<string> All { get; } = [Standalone, Stack];
}

/// <summary>Feature activation statuses (registry.md §4.4).</summary>
internal static class ActivationStatuses
{
    public const string Pending = "pending";
    public const string Provisioning = "provisioning";
    public const string Active = "active";
    public const string Deactivating = "deactivating";
    public const string Inactive = "inactive";
    public const string Failed = "failed";

    public static IReadOnlyList<string> All { get; } = [Pending, Provisioning, Active, Deactivating, Inactive, Failed];
}

/// <summary>
/// A row of <c>feature_activations</c>: one entity using one feature in one stack and environment. A re-activation reuses
/// the row; every live row of a (stack, feature, environment) triple carries the same version (registry.md §3.7).
/// </summary>
internal sealed class FeatureActivationRecord
{
    /// <summary><c>fa_…</c>.</summary>
    public required string Id { get; set; }

    public required string PlatformId { get; set; }

    public required string EntityId { get; set; }

    /// <summary><c>default</c> for standalone activations.</summary>
    public required string StackId { get; set; }

    public required string FeatureId { get; set; }

    public required string FeatureVersion { get; set; }

    public required string Environment { get; set; }

    public required string Source { get; set; }

    public required string Status { get; set; }

    /// <summary>JSON object, at most 16 KiB.</summary>
    public required string Config { get; set; }

    public string? ProvisionJobId { get; set; }

    /// <summary>JSON <c>{code,message,runNumber}</c>.</summary>
    public string? LastError { get; set; }

    public long? ActivatedAt { get; set; }

    public long? DeactivatedAt { get; set; }

    public required string CreatedBy { get; set; }

    public long CreatedAt { get; set; }

    public long UpdatedAt { get; set; }
}

internal sealed class FeatureActivationRecordConfiguration : IEntityTypeConfiguration<FeatureActivationRecord>
{
    public void Configure(EntityTypeBuilder<FeatureActivationRecord> builder)
    {
        builder.ToTable("feature_activations");
        builder.HasKey(a => a.Id);
        builder.Property(a => a.FeatureId).HasMaxLength(32);
        builder.Property(a => a.FeatureVersion).HasMaxLength(64);
        builder.Property(a => a.StackId).HasDefaultValue("default");
        builder.HasEnumCheck("source", ActivationSources.All);
        builder.HasEnumCheck("status", ActivationStatuses.All);
        builder.HasEnumCheck("environment", PlatformEnvironments.All);
        builder.HasOne<PlatformRecord>().WithMany().HasForeignKey(a => a.PlatformId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<EntityRecord>().WithMany().HasForeignKey(a => a.EntityId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(a => new { a.EntityId, a.StackId, a.FeatureId, a.Environment }).IsUnique();
        builder.HasIndex(a => new { a.PlatformId, a.Status, a.FeatureId });
        builder.HasIndex(a => new { a.PlatformId, a.EntityId, a.CreatedAt, a.Id });
        builder.HasIndex(a => new { a.PlatformId, a.StackId, a.FeatureId, a.Environment });
        builder.HasIndex(a => a.ProvisionJobId);
        builder.HasIndex(a => new { a.PlatformId, a.CreatedAt, a.Id });
    }
}

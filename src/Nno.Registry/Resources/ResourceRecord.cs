using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Nno.Registry.Data;
using Nno.Registry.Environments;
using Nno.Registry.Platforms;

namespace Nno.Registry.Resources;

/// <summary>Cloudflare resource types (registry.md §2).</summary>
internal static class ResourceTypes
{
    public const string Worker = "worker";
    public const string Pages = "pages";
    public const string D1 = "d1";
    public const string R2 = "r2";
    public const string Kv = "kv";
    public const string Queue = "queue";

    public static IReadOnlyList<string> All { get; } = [Worker, Pages, D1, R2, Kv, Queue];
}

/// <summary>Resource statuses (registry.md §4.4); <c>deleted</c> is final.</summary>
internal static class ResourceStatuses
{
    public const string Pending = "pending";
    public const string Provisioning = "provisioning";
    public const string Active = "active";
    public const string Failed = "failed";
    public const string Deleting = "deleting";
    public const string Deleted = "deleted";

    public static IReadOnlyList<string> All { get; } = [Pending, Provisioning, Active, Failed, Deleting, Deleted];
}

/// <summary>A row of <c>resources</c>: a Cloudflare resource Provisioning created for a platform.</summary>
internal sealed class ResourceRecord
{
    /// <summary><c>res_…</c>.</summary>
    public required string Id { get; set; }

    public required string PlatformId { get; set; }

    /// <summary>Standalone features live in the <c>default</c> stack.</summary>
    public required string StackId { get; set; }

    public string? EntityId { get; set; }

    public string? FeatureId { get; set; }

    public required string Type { get; set; }

    /// <summary><c>^[a-z0-9-]{1,40}$</c>, e.g. <c>auth</c>, <c>auth-db</c>.</summary>
    public required string LogicalName { get; set; }

    public required string CfName { get; set; }

    public string? CfResourceId { get; set; }

    public required string Environment { get; set; }

    public required string Status { get; set; }

    public string? ProvisionJobId { get; set; }

    /// <summary>JSON <c>{code,message,runNumber}</c>.</summary>
    public string? LastError { get; set; }

    public long CreatedAt { get; set; }

    public long UpdatedAt { get; set; }

    public long? DeletedAt { get; set; }
}

internal sealed class ResourceRecordConfiguration : IEntityTypeConfiguration<ResourceRecord>
{
    public void Configure(EntityTypeBuilder<ResourceRecord> builder)
    {
        builder.ToTable("resources");
        builder.HasKey(r => r.Id);
        builder.Property(r => r.LogicalName).HasMaxLength(40);
        builder.Property(r => r.CfName).HasMaxLength(63);
        builder.HasEnumCheck("type", ResourceTypes.All);
        builder.HasEnumCheck("status", ResourceStatuses.All);
        builder.HasEnumCheck("environment", PlatformEnvironments.All);
        builder.HasOne<PlatformRecord>().WithMany().HasForeignKey(r => r.PlatformId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(r => new { r.PlatformId, r.Environment, r.Type, r.CfName }).IsUnique().HasFilter(ModelConventions.Live)
            .HasDatabaseName("ux_resources_platform_id_environment_type_cf_name_live");
        builder.HasIndex(r => new { r.PlatformId, r.StackId, r.Environment });
        builder.HasIndex(r => new { r.PlatformId, r.CreatedAt, r.Id });
        builder.HasIndex(r => r.ProvisionJobId);
    }
}

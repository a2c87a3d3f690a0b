using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Nno.Registry.Data;
using Nno.Registry.Platforms;

namespace Nno.Registry.Entities;

/// <summary>Entity types: a tenant has no parent, a sub-tenant has one (registry.md §2).</summary>
internal static class EntityTypes
{
    public const string Tenant = "tenant";
    public const string SubTenant = "sub_tenant";

    public static IReadOnlyList<string> All { get; } = [Tenant, SubTenant];
}

/// <summary>Entity statuses: <c>pending</c> until the IAM organization exists.</summary>
internal static class EntityStatuses
{
    public const string Pending = "pending";
    public const string Active = "active";
    public const string Deleted = "deleted";

    public static IReadOnlyList<string> All { get; } = [Pending, Active, Deleted];
}

/// <summary>A row of <c>entities</c>: a tenant or sub-tenant of a platform, mirrored as an IAM organization.</summary>
internal sealed class EntityRecord
{
    /// <summary>The reserved slug of every platform's default entity.</summary>
    public const string DefaultSlug = "default";

    public required string Id { get; set; }

    public required string PlatformId { get; set; }

    public string? ParentId { get; set; }

    public required string Type { get; set; }

    /// <summary>0 for tenants, 1–2 for sub-tenants.</summary>
    public int Depth { get; set; }

    public bool IsDefault { get; set; }

    public required string Name { get; set; }

    public required string Slug { get; set; }

    public string? IamOrgId { get; set; }

    public required string Status { get; set; }

    public string? LastError { get; set; }

    public required string CreatedBy { get; set; }

    public long CreatedAt { get; set; }

    public long UpdatedAt { get; set; }

    public long? DeletedAt { get; set; }
}

internal sealed class EntityRecordConfiguration : IEntityTypeConfiguration<EntityRecord>
{
    public void Configure(EntityTypeBuilder<EntityRecord> builder)
    {
        builder.ToTable("entities");
        builder.HasKey(e => e.Id);
        builder.Property(e => e.Id).HasMaxLength(10);
        builder.Property(e => e.Name).HasMaxLength(100);
        builder.Property(e => e.Slug).HasMaxLength(63);
        builder.HasEnumCheck("type", EntityTypes.All);
        builder.HasEnumCheck("status", EntityStatuses.All);
        builder.ToTable(t => t.HasCheckConstraint("ck_entities_depth", "depth BETWEEN 0 AND 2"));
        builder.HasOne<PlatformRecord>().WithMany().HasForeignKey(e => e.PlatformId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<EntityRecord>().WithMany().HasForeignKey(e => e.ParentId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(e => new { e.PlatformId, e.Slug }).IsUnique().HasFilter(ModelConventions.Live).HasDatabaseName("ux_entities_platform_id_slug_live");
        builder.HasIndex(e => e.PlatformId).IsUnique().HasFilter("is_default = 1").HasDatabaseName("ux_entities_platform_id_default");
        builder.HasIndex(e => e.IamOrgId).IsUnique().HasFilter("iam_org_id IS NOT NULL").HasDatabaseName("ux_entities_iam_org_id");
        builder.HasIndex(e => new { e.PlatformId, e.ParentId, e.CreatedAt, e.Id });

        // The unfiltered entity list (keyset on created_at, id within a platform).
        builder.HasIndex(e => new { e.PlatformId, e.CreatedAt, e.Id });
        builder.HasIndex(e => e.ParentId);
    }
}

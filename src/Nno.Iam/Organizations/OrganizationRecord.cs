using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Nno.Iam.Organizations;

/// <summary>A row of <c>organizations</c> (iam.md §2): a tenant of a platform, or the single <c>nno-operator</c> organization.</summary>
internal sealed class OrganizationRecord
{
    /// <summary>A 10-character id (00-system §8).</summary>
    public required string Id { get; set; }

    public required string PlatformId { get; set; }

    /// <summary>No cascade: children must be deleted first.</summary>
    public string? ParentId { get; set; }

    public required string Name { get; set; }

    /// <summary>Unique per platform among organizations that are not deleted.</summary>
    public required string Slug { get; set; }

    /// <summary><c>nno-operator</c> or <c>tenant</c>.</summary>
    public required string OrgType { get; set; }

    public string? Logo { get; set; }

    /// <summary>JSON, at most 4 KiB.</summary>
    public string? Metadata { get; set; }

    public long CreatedAt { get; set; }

    public long UpdatedAt { get; set; }

    public long? DeletedAt { get; set; }
}

/// <summary>Values of <c>organizations.org_type</c>.</summary>
internal static class OrganizationTypes
{
    public const string NnoOperator = "nno-operator";
    public const string Tenant = "tenant";
}

internal sealed class OrganizationRecordConfiguration : IEntityTypeConfiguration<OrganizationRecord>
{
    public void Configure(EntityTypeBuilder<OrganizationRecord> builder)
    {
        builder.ToTable("organizations");
        builder.HasKey(o => o.Id);
        builder.Property(o => o.Id).HasMaxLength(10);
        builder.Property(o => o.PlatformId).HasMaxLength(10);
        builder.Property(o => o.ParentId).HasMaxLength(10);
        builder.Property(o => o.Name).HasMaxLength(100);
        builder.HasOne<OrganizationRecord>().WithMany().HasForeignKey(o => o.ParentId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(o => new { o.PlatformId, o.Slug }).IsUnique().HasFilter("deleted_at IS NULL");
        builder.HasIndex(o => o.OrgType).IsUnique().HasFilter("org_type = 'nno-operator'");
        builder.HasIndex(o => new { o.PlatformId, o.CreatedAt, o.Id });
    }
}

using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Nno.Iam.Organizations;
using Nno.Iam.Users;

namespace Nno.Iam.Permissions;

/// <summary>A row of <c>permission_grants</c> (iam.md §2, §4.7): one permission granted to or denied a user in an organization.</summary>
internal sealed class PermissionGrantRecord
{
    public required string Id { get; set; }

    public required string OrganizationId { get; set; }

    public required string UserId { get; set; }

    public required string Permission { get; set; }

    /// <summary>True for a grant, false for a denial.</summary>
    public bool Granted { get; set; }

    public required string GrantedBy { get; set; }

    public long? ExpiresAt { get; set; }

    public long CreatedAt { get; set; }
}

internal sealed class PermissionGrantRecordConfiguration : IEntityTypeConfiguration<PermissionGrantRecord>
{
    public void Configure(EntityTypeBuilder<PermissionGrantRecord> builder)
    {
        builder.ToTable("permission_grants");
        builder.HasKey(g => g.Id);
        builder.HasOne<OrganizationRecord>().WithMany().HasForeignKey(g => g.OrganizationId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<UserRecord>().WithMany().HasForeignKey(g => g.UserId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(g => new { g.OrganizationId, g.UserId, g.Permission }).IsUnique();
        builder.HasIndex(g => new { g.OrganizationId, g.UserId });
    }
}

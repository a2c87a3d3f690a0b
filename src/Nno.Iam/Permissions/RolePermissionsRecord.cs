using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Nno.Iam.Organizations;

namespace Nno.Iam.Permissions;

/// <summary>A row of <c>role_permissions</c> (iam.md §2, §4.7): the permissions a role carries in one organization.</summary>
internal sealed class RolePermissionsRecord
{
    public required string OrganizationId { get; set; }

    public required string Role { get; set; }

    /// <summary>JSON: a sorted array of unique strings, at most 200.</summary>
    public required string Permissions { get; set; }

    public required string UpdatedBy { get; set; }

    public long UpdatedAt { get; set; }
}

internal sealed class RolePermissionsRecordConfiguration : IEntityTypeConfiguration<RolePermissionsRecord>
{
    public void Configure(EntityTypeBuilder<RolePermissionsRecord> builder)
    {
        builder.ToTable("role_permissions");
        builder.HasKey(r => new { r.OrganizationId, r.Role });
        builder.HasOne<OrganizationRecord>().WithMany().HasForeignKey(r => r.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }
}

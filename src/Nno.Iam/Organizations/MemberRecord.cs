using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Nno.Iam.Users;

namespace Nno.Iam.Organizations;

/// <summary>A row of <c>members</c> (iam.md §2): a user's role in a tenant organization.</summary>
internal sealed class MemberRecord
{
    public required string Id { get; set; }

    public required string OrganizationId { get; set; }

    public required string UserId { get; set; }

    /// <summary><c>owner</c>, <c>admin</c> or <c>member</c>.</summary>
    public required string Role { get; set; }

    public long CreatedAt { get; set; }

    public long UpdatedAt { get; set; }
}

internal sealed class MemberRecordConfiguration : IEntityTypeConfiguration<MemberRecord>
{
    public void Configure(EntityTypeBuilder<MemberRecord> builder)
    {
        builder.ToTable("members");
        builder.HasKey(m => m.Id);
        builder.HasOne<OrganizationRecord>().WithMany().HasForeignKey(m => m.OrganizationId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<UserRecord>().WithMany().HasForeignKey(m => m.UserId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(m => new { m.OrganizationId, m.UserId }).IsUnique();
        builder.HasIndex(m => m.UserId);
    }
}

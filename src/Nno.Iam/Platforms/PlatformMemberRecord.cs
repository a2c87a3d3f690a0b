using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Nno.Iam.Users;

namespace Nno.Iam.Platforms;

/// <summary>A row of <c>platform_members</c> (iam.md §2): a user's role on a platform (at most 100 rows per user).</summary>
internal sealed class PlatformMemberRecord
{
    public required string PlatformId { get; set; }

    public required string UserId { get; set; }

    /// <summary><c>owner</c>, <c>admin</c> or <c>member</c>.</summary>
    public required string Role { get; set; }

    public required string AddedBy { get; set; }

    public long CreatedAt { get; set; }

    public long UpdatedAt { get; set; }
}

internal sealed class PlatformMemberRecordConfiguration : IEntityTypeConfiguration<PlatformMemberRecord>
{
    public void Configure(EntityTypeBuilder<PlatformMemberRecord> builder)
    {
        builder.ToTable("platform_members");
        builder.HasKey(m => new { m.PlatformId, m.UserId });
        builder.Property(m => m.PlatformId).HasMaxLength(10);
        builder.HasOne<UserRecord>().WithMany().HasForeignKey(m => m.UserId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(m => new { m.UserId, m.CreatedAt });
    }
}

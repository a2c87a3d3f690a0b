using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Nno.Iam.Bootstrap;

/// <summary>The single row of <c>bootstrap_state</c> (iam.md §2, §4.12): the one-time operator bootstrap happened.</summary>
internal sealed class BootstrapStateRecord
{
    /// <summary>Always 1 (CHECK constraint): a second bootstrap fails on the primary key.</summary>
    public const int SingletonId = 1;

    public int Id { get; set; } = SingletonId;

    public required string UserId { get; set; }

    public required string OrganizationId { get; set; }

    public long CompletedAt { get; set; }
}

internal sealed class BootstrapStateRecordConfiguration : IEntityTypeConfiguration<BootstrapStateRecord>
{
    public void Configure(EntityTypeBuilder<BootstrapStateRecord> builder)
    {
        builder.ToTable("bootstrap_state", t => t.HasCheckConstraint("ck_bootstrap_state_singleton", "id = 1"));
        builder.HasKey(b => b.Id);
        builder.Property(b => b.Id).ValueGeneratedNever();
    }
}

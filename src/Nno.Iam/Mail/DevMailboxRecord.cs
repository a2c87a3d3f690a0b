using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Nno.Iam.Mail;

/// <summary>A row of <c>dev_mailbox</c> (iam.md §2, §3.7): an email the local/dev sender kept instead of delivering.</summary>
internal sealed class DevMailboxRecord
{
    public required string Id { get; set; }

    public required string ToNormalized { get; set; }

    public required string Subject { get; set; }

    public required string TextBody { get; set; }

    public required string HtmlBody { get; set; }

    public long CreatedAt { get; set; }
}

internal sealed class DevMailboxRecordConfiguration : IEntityTypeConfiguration<DevMailboxRecord>
{
    public void Configure(EntityTypeBuilder<DevMailboxRecord> builder)
    {
        builder.ToTable("dev_mailbox");
        builder.HasKey(m => m.Id);
        builder.HasIndex(m => new { m.ToNormalized, m.CreatedAt });
        // The unfiltered list (newest first) and the cleanup job read by age.
        builder.HasIndex(m => new { m.CreatedAt, m.Id });
    }
}

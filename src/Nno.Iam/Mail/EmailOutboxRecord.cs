using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Nno.Iam.Mail;

/// <summary>A row of <c>email_outbox</c> (iam.md §2, §4.10): one email waiting for, or past, delivery.</summary>
internal sealed class EmailOutboxRecord
{
    public required string Id { get; set; }

    public required string ToAddress { get; set; }

    /// <summary><c>magic-link</c>, <c>verify-email</c>, <c>invitation</c>, <c>lockout-notice</c> or <c>notification</c>.</summary>
    public required string Template { get; set; }

    /// <summary>With <see cref="ToAddress"/>, unique when set: the same notification is queued once.</summary>
    public string? DedupeKey { get; set; }

    // The content is cleared (null) once sent: links in it are secrets.
    public string? Subject { get; set; }

    public string? TextBody { get; set; }

    public string? HtmlBody { get; set; }

    /// <summary><c>pending</c>, <c>sending</c>, <c>sent</c> or <c>failed</c>.</summary>
    public required string Status { get; set; }

    public int Attempts { get; set; }

    public long NextAttemptAt { get; set; }

    public long? ClaimedUntil { get; set; }

    public string? LastError { get; set; }

    public long CreatedAt { get; set; }

    public long? SentAt { get; set; }
}

internal sealed class EmailOutboxRecordConfiguration : IEntityTypeConfiguration<EmailOutboxRecord>
{
    public void Configure(EntityTypeBuilder<EmailOutboxRecord> builder)
    {
        builder.ToTable("email_outbox");
        builder.HasKey(e => e.Id);
        builder.HasIndex(e => new { e.Status, e.NextAttemptAt });
        builder.HasIndex(e => new { e.DedupeKey, e.ToAddress }).IsUnique().HasFilter("dedupe_key IS NOT NULL");
    }
}

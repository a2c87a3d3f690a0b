using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Nno.Iam.Audit;

/// <summary>A row of <c>audit_events</c> (iam.md §2, §4.13).</summary>
internal sealed class AuditEventRecord
{
    public required string Id { get; set; }

    public long OccurredAt { get; set; }

    public required string Type { get; set; }

    /// <summary><c>success</c> or <c>failure</c>.</summary>
    public required string Outcome { get; set; }

    /// <summary><c>user</c>, <c>apikey</c>, <c>service</c>, <c>anonymous</c> or <c>system</c>.</summary>
    public required string ActorKind { get; set; }

    public string? ActorUserId { get; set; }

    public string? ActorKeyId { get; set; }

    public string? SubjectUserId { get; set; }

    public string? PlatformId { get; set; }

    public string? OrganizationId { get; set; }

    public string? Ip { get; set; }

    public string? UserAgent { get; set; }

    public string? RequestId { get; set; }

    /// <summary>JSON object, at most 4 KiB, never secrets.</summary>
    public required string Metadata { get; set; }
}

internal sealed class AuditEventRecordConfiguration : IEntityTypeConfiguration<AuditEventRecord>
{
    public void Configure(EntityTypeBuilder<AuditEventRecord> builder)
    {
        builder.ToTable("audit_events");
        builder.HasKey(e => e.Id);
        builder.HasIndex(e => new { e.OccurredAt, e.Id });
        builder.HasIndex(e => new { e.PlatformId, e.OccurredAt, e.Id });
        builder.HasIndex(e => new { e.ActorUserId, e.OccurredAt, e.Id });
        builder.HasIndex(e => new { e.SubjectUserId, e.OccurredAt, e.Id });
        builder.HasIndex(e => new { e.Type, e.OccurredAt, e.Id });
    }
}

using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Nno.Registry.Data;
using Nno.Registry.Lifecycle;

namespace Nno.Registry.Audit;

/// <summary>How the actor of an audit entry was authenticated (registry.md §2).</summary>
internal static class ActorAuths
{
    public const string Session = "session";
    public const string ApiKey = "apikey";
    public const string Service = "service";
    public const string System = "system";

    public static IReadOnlyList<string> All { get; } = [Session, ApiKey, Service, System];
}

/// <summary>A row of <c>audit_log</c> (append-only; deletable only past <c>Registry:AuditRetentionDays</c>).</summary>
internal sealed class AuditLogRecord
{
    /// <summary><c>aud_…</c>.</summary>
    public required string Id { get; set; }

    public string? PlatformId { get; set; }

    public required string ActorType { get; set; }

    public required string ActorId { get; set; }

    public required string ActorAuth { get; set; }

    /// <summary><c>&lt;object&gt;.&lt;verb&gt;</c>, at most 64 characters.</summary>
    public required string Action { get; set; }

    public required string TargetType { get; set; }

    public required string TargetId { get; set; }

    public string? RequestId { get; set; }

    public string? TraceId { get; set; }

    /// <summary>JSON object, at most 16 KiB; never secrets, emails masked.</summary>
    public required string Details { get; set; }

    public long CreatedAt { get; set; }
}

internal sealed class AuditLogRecordConfiguration : IEntityTypeConfiguration<AuditLogRecord>
{
    public void Configure(EntityTypeBuilder<AuditLogRecord> builder)
    {
        builder.ToTable("audit_log");
        builder.HasKey(e => e.Id);
        builder.Property(e => e.Action).HasMaxLength(64);
        builder.HasEnumCheck("actor_type", ActorTypes.All);
        builder.HasEnumCheck("actor_auth", ActorAuths.All);
        builder.HasIndex(e => new { e.PlatformId, e.CreatedAt, e.Id }).IsDescending(false, true, true)
            .HasDatabaseName("ix_audit_log_platform_id_created_at_id");
        builder.HasIndex(e => new { e.Action, e.CreatedAt });
        builder.HasIndex(e => new { e.ActorId, e.CreatedAt });
        // The operator's GET /audit-log without filters pages over every platform, newest first.
        builder.HasIndex(e => new { e.CreatedAt, e.Id });
    }
}

using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Nno.Core.Platforms;
using Nno.Registry.Data;
using Nno.Registry.Platforms;

namespace Nno.Registry.Lifecycle;

/// <summary>The lifecycle events of registry.md §2.</summary>
internal static class LifecycleEvents
{
    public const string Created = "created";
    public const string Bootstrap = "bootstrap";
    public const string Complete = "complete";
    public const string Suspend = "suspend";
    public const string Restore = "restore";
    public const string Cancel = "cancel";
    public const string Resume = "resume";
    public const string PeriodEnd = "period_end";
    public const string Delete = "delete";
    public const string Purge = "purge";
    public const string OwnerChanged = "owner_changed";

    public static IReadOnlyList<string> All { get; } = [Created, Bootstrap, Complete, Suspend, Restore, Cancel, Resume, PeriodEnd, Delete, Purge, OwnerChanged];
}

/// <summary>Who did something (lifecycle events and the audit log).</summary>
internal static class ActorTypes
{
    public const string User = "user";
    public const string Operator = "operator";
    public const string Service = "service";
    public const string System = "system";

    public static IReadOnlyList<string> All { get; } = [User, Operator, Service, System];
}

/// <summary>A row of <c>platform_lifecycle_events</c> (append-only: triggers refuse UPDATE and DELETE).</summary>
internal sealed class LifecycleEventRecord
{
    /// <summary><c>ple_…</c>.</summary>
    public required string Id { get; set; }

    public required string PlatformId { get; set; }

    public required string Event { get; set; }

    public string? FromStatus { get; set; }

    public required string ToStatus { get; set; }

    /// <summary>At most 500 characters.</summary>
    public string? Reason { get; set; }

    public required string ActorType { get; set; }

    public string? ActorId { get; set; }

    public string? RequestId { get; set; }

    public long CreatedAt { get; set; }
}

internal sealed class LifecycleEventRecordConfiguration : IEntityTypeConfiguration<LifecycleEventRecord>
{
    public void Configure(EntityTypeBuilder<LifecycleEventRecord> builder)
    {
        builder.ToTable("platform_lifecycle_events");
        builder.HasKey(e => e.Id);
        builder.Property(e => e.Reason).HasMaxLength(500);
        builder.HasEnumCheck("event", LifecycleEvents.All);
        builder.HasEnumCheck("from_status", PlatformStatuses.All, nullable: true);
        builder.HasEnumCheck("to_status", PlatformStatuses.All);
        builder.HasEnumCheck("actor_type", ActorTypes.All);
        builder.HasOne<PlatformRecord>().WithMany().HasForeignKey(e => e.PlatformId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(e => new { e.PlatformId, e.CreatedAt, e.Id }).IsDescending(false, true, true)
            .HasDatabaseName("ix_platform_lifecycle_events_platform_id_created_at_id");
    }
}

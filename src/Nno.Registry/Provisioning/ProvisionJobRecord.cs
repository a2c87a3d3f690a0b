using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Nno.Registry.Data;
using Nno.Registry.Platforms;

namespace Nno.Registry.Provisioning;

/// <summary>What a Provisioning job does for the Registry's objects (one per job type the Registry starts).</summary>
internal static class JobOperations
{
    public const string ProvisionPlatform = "provision_platform";
    public const string Deprovision = "deprovision";
    public const string ActivateStack = "activate_stack";
    public const string DeactivateStack = "deactivate_stack";
    public const string ActivateFeature = "activate_feature";
    public const string DeactivateFeature = "deactivate_feature";
    public const string AddCustomDomain = "add_custom_domain";
    public const string RemoveCustomDomain = "remove_custom_domain";

    public static IReadOnlyList<string> All { get; } =
        [ProvisionPlatform, Deprovision, ActivateStack, DeactivateStack, ActivateFeature, DeactivateFeature, AddCustomDomain, RemoveCustomDomain];
}

/// <summary>Job statuses as Provisioning reports them (provisioning.md §4.1).</summary>
internal static class JobStatuses
{
    public const string Pending = "PENDING";
    public const string Queued = "QUEUED";
    public const string Running = "RUNNING";
    public const string Completed = "COMPLETED";
    public const string Failed = "FAILED";
    public const string RollingBack = "ROLLING_BACK";
    public const string RolledBack = "ROLLED_BACK";
    public const string RollbackFailed = "ROLLBACK_FAILED";

    /// <summary>The statuses <c>POST /provision-events</c> accepts (registry.md §3.8).</summary>
    public static IReadOnlyList<string> Reported { get; } = [Queued, Running, Completed, Failed, RolledBack, RollbackFailed];

    /// <summary>A run that ended (for the Registry's objects: done or failed).</summary>
    public static bool IsTerminal(string? status) => status is Completed or Failed or RolledBack or RollbackFailed;

    public static bool IsFailure(string? status) => status is Failed or RolledBack or RollbackFailed;
}

/// <summary>
/// A row of <c>provision_jobs</c>: a Provisioning job the Registry knows of (started by the relay or a synchronous call,
/// or first seen in an event), with the last run and status applied. It records what the job does for its objects (an
/// activation's job may activate or deactivate it), lets a late event of an older run or a late non-terminal event be
/// ignored, and gives the job watcher its in-flight range (registry.md §4.4).
/// </summary>
internal sealed class ProvisionJobRecord
{
    /// <summary><c>job_…</c>.</summary>
    public required string JobId { get; set; }

    public required string PlatformId { get; set; }

    /// <summary>One of <see cref="JobOperations"/>.</summary>
    public required string Operation { get; set; }

    /// <summary>The object the job was started for (stack id, activation id, custom domain id, environment), when one.</summary>
    public string? TargetId { get; set; }

    /// <summary>The last status applied (null until the first event or poll).</summary>
    public string? Status { get; set; }

    /// <summary>The run of <see cref="Status"/> (0 before any).</summary>
    public int RunNumber { get; set; }

    /// <summary>True until a terminal status arrives; the watcher polls these.</summary>
    public bool InFlight { get; set; }

    /// <summary>When the watcher first got 404 <c>details.resource: "job"</c> for it (cleared by any answer or event).</summary>
    public long? NotFoundSince { get; set; }

    public long CreatedAt { get; set; }

    /// <summary>Last event or poll that told something new; the watcher polls in-flight jobs quiet for 60 s.</summary>
    public long UpdatedAt { get; set; }

    /// <summary>Last time the watcher asked Provisioning (so a job is polled once per period, not once per tick).</summary>
    public long? CheckedAt { get; set; }
}

internal sealed class ProvisionJobRecordConfiguration : IEntityTypeConfiguration<ProvisionJobRecord>
{
    public void Configure(EntityTypeBuilder<ProvisionJobRecord> builder)
    {
        builder.ToTable("provision_jobs");
        builder.HasKey(j => j.JobId);
        builder.Property(j => j.JobId).HasMaxLength(64);
        builder.HasEnumCheck("operation", JobOperations.All);
        builder.HasOne<PlatformRecord>().WithMany().HasForeignKey(j => j.PlatformId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(j => j.PlatformId);
        // The watcher's range: in-flight jobs by last activity.
        builder.HasIndex(j => j.UpdatedAt).HasFilter("in_flight = 1").HasDatabaseName("ix_provision_jobs_in_flight_updated_at");
    }
}

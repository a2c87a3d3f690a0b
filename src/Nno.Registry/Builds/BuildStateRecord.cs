using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Nno.Registry.Data;
using Nno.Registry.Environments;
using Nno.Registry.Platforms;

namespace Nno.Registry.Builds;

/// <summary>Shell build statuses, as the CLI service reports them.</summary>
internal static class BuildStatuses
{
    public const string None = "none";
    public const string Queued = "queued";
    public const string Building = "building";
    public const string Success = "success";
    public const string Failure = "failure";

    public static IReadOnlyList<string> All { get; } = [None, Queued, Building, Success, Failure];
}

/// <summary>A row of <c>platform_build_state</c>: the shell build of one environment, written only from CLI service reads.</summary>
internal sealed class BuildStateRecord
{
    public required string PlatformId { get; set; }

    public required string Environment { get; set; }

    public string? RepoFullName { get; set; }

    public string? DefaultBranch { get; set; }

    /// <summary><c>{platformId}-{env}-portal</c>.</summary>
    public string? PagesProject { get; set; }

    public string? LastBuildId { get; set; }

    public string? LastCommitSha { get; set; }

    public required string Status { get; set; }

    public string? Url { get; set; }

    public long? StartedAt { get; set; }

    public long? FinishedAt { get; set; }

    /// <summary>JSON error from the CLI service.</summary>
    public string? LastError { get; set; }

    public long UpdatedAt { get; set; }
}

internal sealed class BuildStateRecordConfiguration : IEntityTypeConfiguration<BuildStateRecord>
{
    public void Configure(EntityTypeBuilder<BuildStateRecord> builder)
    {
        builder.ToTable("platform_build_state");
        builder.HasKey(b => new { b.PlatformId, b.Environment });
        builder.HasEnumCheck("status", BuildStatuses.All);
        builder.HasEnumCheck("environment", PlatformEnvironments.All);
        builder.HasOne<PlatformRecord>().WithMany().HasForeignKey(b => b.PlatformId).OnDelete(DeleteBehavior.Restrict);
        // The build watcher reads only environments with a build in flight.
        builder.HasIndex(b => b.Status).HasFilter("status IN ('queued', 'building')").HasDatabaseName("ix_platform_build_state_status_in_flight");
    }
}

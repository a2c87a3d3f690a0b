using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Nno.Registry.Data;
using Nno.Registry.Platforms;

namespace Nno.Registry.Environments;

/// <summary>The environments a platform has (registry.md §3.2 <c>environment</c>): exact, lower-case names.</summary>
internal static class PlatformEnvironments
{
    public const string Dev = "dev";
    public const string Stg = "stg";
    public const string Prod = "prod";

    public static IReadOnlyList<string> All { get; } = [Dev, Stg, Prod];

    public static bool IsValid(string? value) => value is Dev or Stg or Prod;
}

/// <summary>Statuses of a platform environment (registry.md §2, §4.4).</summary>
internal static class EnvironmentStatuses
{
    public const string Provisioning = "provisioning";
    public const string Active = "active";
    public const string Failed = "failed";
    public const string Removing = "removing";
    public const string Removed = "removed";

    public static IReadOnlyList<string> All { get; } = [Provisioning, Active, Failed, Removing, Removed];
}

/// <summary>A row of <c>platform_environments</c>: whether <c>dev</c>/<c>stg</c>/<c>prod</c> of a platform is provisioned.</summary>
internal sealed class PlatformEnvironmentRecord
{
    public required string PlatformId { get; set; }

    public required string Environment { get; set; }

    public required string Status { get; set; }

    public string? ProvisionJobId { get; set; }

    public long? ProvisionedAt { get; set; }

    /// <summary>JSON <c>{code,message,runNumber}</c>.</summary>
    public string? LastError { get; set; }

    /// <summary>How many times <c>POST /environments</c> started this environment (n of <c>env:{pid}:{env}:{n}</c>).</summary>
    public int ProvisionAttempts { get; set; }

    public long CreatedAt { get; set; }

    public long UpdatedAt { get; set; }
}

internal sealed class PlatformEnvironmentRecordConfiguration : IEntityTypeConfiguration<PlatformEnvironmentRecord>
{
    public void Configure(EntityTypeBuilder<PlatformEnvironmentRecord> builder)
    {
        builder.ToTable("platform_environments");
        builder.HasKey(e => new { e.PlatformId, e.Environment });
        builder.HasEnumCheck("environment", PlatformEnvironments.All);
        builder.HasEnumCheck("status", EnvironmentStatuses.All);
        builder.HasOne<PlatformRecord>().WithMany().HasForeignKey(e => e.PlatformId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(e => e.ProvisionJobId);
        builder.Property(e => e.ProvisionAttempts).HasDefaultValue(0);
    }
}

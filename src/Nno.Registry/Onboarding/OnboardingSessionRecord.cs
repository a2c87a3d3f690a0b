using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Nno.Core.Platforms;
using Nno.Registry.Data;
using Nno.Registry.Environments;
using Nno.Registry.Platforms;

namespace Nno.Registry.Onboarding;

/// <summary>Onboarding session statuses (registry.md §2, §4.3).</summary>
internal static class OnboardingStatuses
{
    public const string Pending = "pending";
    public const string Running = "running";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    public static IReadOnlyList<string> All { get; } = [Pending, Running, Completed, Failed, Cancelled];
}

/// <summary>The five onboarding steps, in order (registry.md §4.3).</summary>
internal static class OnboardingSteps
{
    public const string CreatePlatform = "create_platform";
    public const string ProvisionInfra = "provision_infra";
    public const string SetupRepo = "setup_repo";
    public const string DeployServices = "deploy_services";
    public const string Verify = "verify";

    public static IReadOnlyList<string> All { get; } = [CreatePlatform, ProvisionInfra, SetupRepo, DeployServices, Verify];
}

/// <summary>A row of <c>onboarding_sessions</c>: the pipeline that creates one platform end to end.</summary>
internal sealed class OnboardingSessionRecord
{
    /// <summary><c>onb_…</c>.</summary>
    public required string Id { get; set; }

    public required string PlatformId { get; set; }

    public required string OwnerUserId { get; set; }

    public required string CreatedBy { get; set; }

    public string? IdempotencyKey { get; set; }

    public required string RequestHash { get; set; }

    public required string PlatformName { get; set; }

    public required string Slug { get; set; }

    public required string Tier { get; set; }

    public required string BillingEmail { get; set; }

    public string? StackTemplateId { get; set; }

    public string? StackTemplateVersion { get; set; }

    public required string Environment { get; set; }

    public required string Status { get; set; }

    /// <summary>JSON array of 5 step entries <c>{name,status,attempts,startedAt,completedAt,error}</c>.</summary>
    public required string Steps { get; set; }

    public string? CurrentStep { get; set; }

    /// <summary>Retry generation (part of the Provisioning idempotency key).</summary>
    public int Attempt { get; set; }

    public string? ProvisionJobId { get; set; }

    public string? BuildId { get; set; }

    public string? TemplateStackId { get; set; }

    /// <summary>JSON <c>{step,code,message}</c>.</summary>
    public string? Error { get; set; }

    public string? LeaseOwner { get; set; }

    public long? LeaseUntil { get; set; }

    public long? NextRunAt { get; set; }

    public bool CleanupDone { get; set; }

    public long CreatedAt { get; set; }

    public long UpdatedAt { get; set; }

    public long? CompletedAt { get; set; }
}

internal sealed class OnboardingSessionRecordConfiguration : IEntityTypeConfiguration<OnboardingSessionRecord>
{
    public void Configure(EntityTypeBuilder<OnboardingSessionRecord> builder)
    {
        builder.ToTable("onboarding_sessions");
        builder.HasKey(s => s.Id);
        builder.Property(s => s.PlatformName).HasMaxLength(100);
        builder.Property(s => s.Slug).HasMaxLength(63);
        builder.Property(s => s.BillingEmail).HasMaxLength(254);
        builder.HasEnumCheck("status", OnboardingStatuses.All);
        builder.HasEnumCheck("tier", PlatformTiers.All);
        builder.HasEnumCheck("environment", PlatformEnvironments.All);
        builder.HasEnumCheck("current_step", OnboardingSteps.All, nullable: true);
        builder.HasOne<PlatformRecord>().WithOne().HasForeignKey<OnboardingSessionRecord>(s => s.PlatformId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(s => s.PlatformId).IsUnique();
        builder.HasIndex(s => new { s.CreatedBy, s.IdempotencyKey }).IsUnique().HasFilter("idempotency_key IS NOT NULL")
            .HasDatabaseName("ux_onboarding_sessions_created_by_idempotency_key");
        builder.HasIndex(s => new { s.Status, s.NextRunAt });
        builder.HasIndex(s => new { s.CreatedBy, s.CreatedAt });
        builder.HasIndex(s => new { s.OwnerUserId, s.Status });
    }
}

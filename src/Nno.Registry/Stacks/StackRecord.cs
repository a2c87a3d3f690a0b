using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Nno.Registry.Data;
using Nno.Registry.Entities;
using Nno.Registry.Environments;
using Nno.Registry.Platforms;

namespace Nno.Registry.Stacks;

/// <summary>Where a stack's definition comes from (registry.md §2).</summary>
internal static class StackSources
{
    public const string Default = "default";
    public const string Template = "template";
    public const string Custom = "custom";

    public static IReadOnlyList<string> All { get; } = [Default, Template, Custom];
}

/// <summary>Stack statuses (registry.md §4.4).</summary>
internal static class StackStatuses
{
    public const string Pending = "pending";
    public const string Provisioning = "provisioning";
    public const string Active = "active";
    public const string Failed = "failed";
    public const string Deprovisioning = "deprovisioning";
    public const string Deleted = "deleted";

    public static IReadOnlyList<string> All { get; } = [Pending, Provisioning, Active, Failed, Deprovisioning, Deleted];
}

/// <summary>A row of <c>stacks</c>: keyed by (platform, id); the id is 10 characters or <c>default</c>.</summary>
internal sealed class StackRecord
{
    /// <summary>The id and name of every platform's default stack.</summary>
    public const string DefaultId = Nno.Core.Ids.IdFormat.DefaultStackId;

    public required string PlatformId { get; set; }

    public required string Id { get; set; }

    /// <summary>The owning entity (API name <c>tenantId</c>).</summary>
    public required string EntityId { get; set; }

    public required string Name { get; set; }

    public required string DisplayName { get; set; }

    public bool IsDefault { get; set; }

    public required string Source { get; set; }

    public string? TemplateId { get; set; }

    public string? TemplateVersion { get; set; }

    /// <summary>JSON: the Path B input or the resolved manifest.</summary>
    public string? Definition { get; set; }

    public required string Environment { get; set; }

    public required string Status { get; set; }

    public string? ProvisionJobId { get; set; }

    /// <summary>JSON <c>{code,message,runNumber}</c>.</summary>
    public string? LastError { get; set; }

    public required string CreatedBy { get; set; }

    public long CreatedAt { get; set; }

    public long UpdatedAt { get; set; }

    public long? DeletedAt { get; set; }
}

internal sealed class StackRecordConfiguration : IEntityTypeConfiguration<StackRecord>
{
    public void Configure(EntityTypeBuilder<StackRecord> builder)
    {
        builder.ToTable("stacks");
        builder.HasKey(s => new { s.PlatformId, s.Id });
        builder.Property(s => s.Id).HasMaxLength(10);
        builder.Property(s => s.Name).HasMaxLength(63);
        builder.Property(s => s.DisplayName).HasMaxLength(100);
        builder.HasEnumCheck("source", StackSources.All);
        builder.HasEnumCheck("status", StackStatuses.All);
        builder.HasEnumCheck("environment", PlatformEnvironments.All);
        builder.HasOne<PlatformRecord>().WithMany().HasForeignKey(s => s.PlatformId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<EntityRecord>().WithMany().HasForeignKey(s => s.EntityId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(s => new { s.PlatformId, s.Name }).IsUnique().HasFilter(ModelConventions.Live).HasDatabaseName("ux_stacks_platform_id_name_live");
        builder.HasIndex(s => s.PlatformId).IsUnique().HasFilter("is_default = 1").HasDatabaseName("ux_stacks_platform_id_default");
        builder.HasIndex(s => s.ProvisionJobId);
        builder.HasIndex(s => new { s.PlatformId, s.CreatedAt, s.Id });
        builder.HasIndex(s => s.EntityId);
    }
}

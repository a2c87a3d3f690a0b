using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Nno.Registry.Data;
using Nno.Registry.Environments;
using Nno.Registry.Platforms;

namespace Nno.Registry.Resources;

/// <summary>Who sets a secret: a job (<c>system</c>) or the customer through feature secrets.</summary>
internal static class SecretSources
{
    public const string System = "system";
    public const string Customer = "customer";

    public static IReadOnlyList<string> All { get; } = [System, Customer];
}

/// <summary>Secret metadata statuses.</summary>
internal static class SecretStatuses
{
    public const string Pending = "pending";
    public const string Set = "set";
    public const string Failed = "failed";
    public const string Deleted = "deleted";

    public static IReadOnlyList<string> All { get; } = [Pending, Set, Failed, Deleted];
}

/// <summary>A row of <c>secrets</c>: metadata only — no value, hash or fingerprint is ever stored.</summary>
internal sealed class SecretRecord
{
    /// <summary><c>sec_…</c>.</summary>
    public required string Id { get; set; }

    public required string PlatformId { get; set; }

    public required string ResourceId { get; set; }

    /// <summary><c>^[A-Z][A-Z0-9_]{0,127}$</c>.</summary>
    public required string Name { get; set; }

    /// <summary>Copied from the resource.</summary>
    public required string Environment { get; set; }

    public required string Source { get; set; }

    public required string Status { get; set; }

    /// <summary>+1 per set.</summary>
    public int Version { get; set; }

    public long? LastSetAt { get; set; }

    /// <summary>A job id or <c>user:{id}</c>.</summary>
    public string? LastSetBy { get; set; }

    public long CreatedAt { get; set; }

    public long UpdatedAt { get; set; }
}

internal sealed class SecretRecordConfiguration : IEntityTypeConfiguration<SecretRecord>
{
    public void Configure(EntityTypeBuilder<SecretRecord> builder)
    {
        builder.ToTable("secrets");
        builder.HasKey(s => s.Id);
        builder.Property(s => s.Name).HasMaxLength(128);
        builder.HasEnumCheck("source", SecretSources.All);
        builder.HasEnumCheck("status", SecretStatuses.All);
        builder.HasEnumCheck("environment", PlatformEnvironments.All);
        builder.HasOne<PlatformRecord>().WithMany().HasForeignKey(s => s.PlatformId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<ResourceRecord>().WithMany().HasForeignKey(s => s.ResourceId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(s => new { s.ResourceId, s.Name }).IsUnique();
        builder.HasIndex(s => new { s.PlatformId, s.CreatedAt, s.Id });
    }
}

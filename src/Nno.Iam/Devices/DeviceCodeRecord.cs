using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Nno.Iam.Devices;

/// <summary>A row of <c>device_codes</c> (iam.md §2, §4.9): one OAuth 2.0 device authorization (RFC 8628).</summary>
internal sealed class DeviceCodeRecord
{
    public required string Id { get; set; }

    /// <summary>SHA-256 of the device code (32 bytes).</summary>
    public required byte[] DeviceCodeHash { get; set; }

    /// <summary>Normalized, 8 characters; unique among pending and approved codes only.</summary>
    public required string UserCode { get; set; }

    public required string ClientId { get; set; }

    public string? Scope { get; set; }

    /// <summary><c>pending</c>, <c>approved</c>, <c>denied</c>, <c>consumed</c> or <c>expired</c>.</summary>
    public required string Status { get; set; }

    /// <summary>5–60.</summary>
    public int IntervalSeconds { get; set; }

    public long? LastPolledAt { get; set; }

    public long ExpiresAt { get; set; }

    public string? UserId { get; set; }

    public long? DecidedAt { get; set; }

    public string? SessionId { get; set; }

    public required string RequesterIp { get; set; }

    public required string RequesterUserAgent { get; set; }

    public long CreatedAt { get; set; }
}

internal sealed class DeviceCodeRecordConfiguration : IEntityTypeConfiguration<DeviceCodeRecord>
{
    public void Configure(EntityTypeBuilder<DeviceCodeRecord> builder)
    {
        builder.ToTable("device_codes");
        builder.HasKey(d => d.Id);
        builder.Property(d => d.DeviceCodeHash).HasMaxLength(32);
        builder.Property(d => d.UserCode).HasMaxLength(8);
        builder.HasIndex(d => d.DeviceCodeHash).IsUnique();
        builder.HasIndex(d => d.UserCode).IsUnique().HasFilter("status IN ('pending', 'approved')");
        builder.HasIndex(d => d.ExpiresAt);
    }
}

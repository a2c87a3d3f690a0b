using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Nno.Iam.Users;

namespace Nno.Iam.Sessions;

/// <summary>A row of <c>sessions</c> (iam.md §2, §4.3). Only the SHA-256 of the token is stored.</summary>
internal sealed class SessionRecord
{
    public required string Id { get; set; }

    public required string UserId { get; set; }

    /// <summary>SHA-256 of the session token (32 bytes).</summary>
    public required byte[] TokenHash { get; set; }

    /// <summary><c>password</c>, <c>sign-up</c>, <c>magic-link</c> or <c>device</c>.</summary>
    public required string AuthMethod { get; set; }

    public bool MfaVerified { get; set; }

    public string? ClientId { get; set; }

    public bool RememberMe { get; set; }

    public string? IpAddress { get; set; }

    /// <summary>At most 512 characters.</summary>
    public string? UserAgent { get; set; }

    public string? ActivePlatformId { get; set; }

    public string? ActiveOrganizationId { get; set; }

    public long CreatedAt { get; set; }

    public long UpdatedAt { get; set; }

    public long LastSeenAt { get; set; }

    public long ExpiresAt { get; set; }

    public long AbsoluteExpiresAt { get; set; }

    public long? RevokedAt { get; set; }

    /// <summary><c>sign-out</c>, <c>user</c>, <c>admin</c>, <c>password-change</c>, <c>user-disabled</c>, <c>membership-removed</c>, <c>limit</c> or <c>account-deleted</c>.</summary>
    public string? RevokedReason { get; set; }
}

internal sealed class SessionRecordConfiguration : IEntityTypeConfiguration<SessionRecord>
{
    public void Configure(EntityTypeBuilder<SessionRecord> builder)
    {
        builder.ToTable("sessions");
        builder.HasKey(s => s.Id);
        builder.HasOne<UserRecord>().WithMany().HasForeignKey(s => s.UserId).OnDelete(DeleteBehavior.Cascade);
        builder.Property(s => s.TokenHash).HasMaxLength(32);
        builder.Property(s => s.MfaVerified).HasDefaultValue(false);
        builder.Property(s => s.UserAgent).HasMaxLength(512);
        builder.HasIndex(s => s.TokenHash).IsUnique();
        builder.HasIndex(s => new { s.UserId, s.RevokedAt, s.ExpiresAt });
        builder.HasIndex(s => s.ExpiresAt);
        // The cleanup job's OR of three expiry conditions: one index per column lets SQLite use its OR optimisation.
        builder.HasIndex(s => s.AbsoluteExpiresAt);
        builder.HasIndex(s => s.RevokedAt);
    }
}

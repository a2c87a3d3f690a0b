using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Nno.Iam.Verifications;

/// <summary>A row of <c>verifications</c> (iam.md §2, §4.10): a single-use emailed or second-factor token, stored hashed.</summary>
internal sealed class VerificationRecord
{
    public required string Id { get; set; }

    /// <summary><c>magic-link</c>, <c>verify-email</c>, <c>invitation</c> or <c>two-factor</c>.</summary>
    public required string Purpose { get; set; }

    /// <summary>The normalized email; the user id for <c>two-factor</c>.</summary>
    public required string Identifier { get; set; }

    /// <summary>SHA-256 of the token (32 bytes).</summary>
    public required byte[] TokenHash { get; set; }

    public string? CallbackUrl { get; set; }

    public string? NewUserName { get; set; }

    public string? InvitationId { get; set; }

    /// <summary>JSON; for <c>two-factor</c> the pending sign-in's <c>authMethod</c> and <c>rememberMe</c>.</summary>
    public string? SessionHint { get; set; }

    public int Attempts { get; set; }

    public long ExpiresAt { get; set; }

    public long? ConsumedAt { get; set; }

    public long CreatedAt { get; set; }
}

internal sealed class VerificationRecordConfiguration : IEntityTypeConfiguration<VerificationRecord>
{
    public void Configure(EntityTypeBuilder<VerificationRecord> builder)
    {
        builder.ToTable("verifications");
        builder.HasKey(v => v.Id);
        builder.Property(v => v.TokenHash).HasMaxLength(32);
        builder.Property(v => v.Attempts).HasDefaultValue(0);
        builder.HasIndex(v => v.TokenHash).IsUnique();
        builder.HasIndex(v => new { v.Identifier, v.CreatedAt });
        builder.HasIndex(v => v.ExpiresAt);
    }
}

using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Nno.Iam.Users;

namespace Nno.Iam.Mfa;

/// <summary>A row of <c>mfa_factors</c> (iam.md §2, §4.15): a user's TOTP factor.</summary>
internal sealed class MfaFactorRecord
{
    public required string UserId { get; set; }

    /// <summary>The TOTP key, encrypted with ASP.NET Core Data Protection.</summary>
    public required byte[] Secret { get; set; }

    public long? ConfirmedAt { get; set; }

    /// <summary>The last accepted 30 s step: each step is accepted once.</summary>
    public long? LastUsedStep { get; set; }

    /// <summary>JSON: SHA-256 of the 10 single-use recovery codes, each with <c>usedAt</c>.</summary>
    public required string RecoveryCodes { get; set; }

    public long CreatedAt { get; set; }

    public long UpdatedAt { get; set; }
}

internal sealed class MfaFactorRecordConfiguration : IEntityTypeConfiguration<MfaFactorRecord>
{
    public void Configure(EntityTypeBuilder<MfaFactorRecord> builder)
    {
        builder.ToTable("mfa_factors");
        builder.HasKey(f => f.UserId);
        builder.HasOne<UserRecord>().WithOne().HasForeignKey<MfaFactorRecord>(f => f.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}

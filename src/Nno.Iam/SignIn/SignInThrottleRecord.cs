using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Nno.Iam.SignIn;

/// <summary>A row of <c>sign_in_throttle</c> (iam.md §2, §4.5): failed sign-ins and lockouts per normalized email.</summary>
internal sealed class SignInThrottleRecord
{
    public required string EmailNormalized { get; set; }

    public int FailedCount { get; set; }

    public long WindowStartedAt { get; set; }

    public long? LockedUntil { get; set; }

    public int LockoutCount { get; set; }

    public long? LastLockoutAt { get; set; }

    public long UpdatedAt { get; set; }
}

internal sealed class SignInThrottleRecordConfiguration : IEntityTypeConfiguration<SignInThrottleRecord>
{
    public void Configure(EntityTypeBuilder<SignInThrottleRecord> builder)
    {
        builder.ToTable("sign_in_throttle");
        builder.HasKey(t => t.EmailNormalized);
    }
}

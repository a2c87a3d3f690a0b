using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Nno.Iam.Users;

/// <summary>A row of <c>accounts</c> (iam.md §2): how a user signs in (<c>credential</c> only; room for OAuth later).</summary>
internal sealed class AccountRecord
{
    public required string Id { get; set; }

    public required string UserId { get; set; }

    public required string ProviderId { get; set; }

    /// <summary>The user id for <c>credential</c>.</summary>
    public required string AccountId { get; set; }

    /// <summary>ASP.NET Core Identity V3 hash.</summary>
    public string? PasswordHash { get; set; }

    public long CreatedAt { get; set; }

    public long UpdatedAt { get; set; }
}

internal sealed class AccountRecordConfiguration : IEntityTypeConfiguration<AccountRecord>
{
    public void Configure(EntityTypeBuilder<AccountRecord> builder)
    {
        builder.ToTable("accounts");
        builder.HasKey(a => a.Id);
        builder.HasOne<UserRecord>().WithMany().HasForeignKey(a => a.UserId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(a => new { a.ProviderId, a.AccountId }).IsUnique();
        builder.HasIndex(a => new { a.UserId, a.ProviderId }).IsUnique();
    }
}

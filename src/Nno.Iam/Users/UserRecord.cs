using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Nno.Iam.Users;

/// <summary>A row of <c>users</c> (iam.md §2).</summary>
internal sealed class UserRecord
{
    public required string Id { get; set; }

    /// <summary>As entered: trimmed, NFC, at most 254 characters.</summary>
    public required string Email { get; set; }

    /// <summary>The form used for lookups and uniqueness.</summary>
    public required string EmailNormalized { get; set; }

    public required string Name { get; set; }

    /// <summary>An https URL, at most 2048 characters.</summary>
    public string? Image { get; set; }

    public bool EmailVerified { get; set; }

    /// <summary><c>platform-admin</c> or <c>user</c>.</summary>
    public string Role { get; set; } = UserRoles.User;

    public long? DisabledAt { get; set; }

    public long CreatedAt { get; set; }

    public long UpdatedAt { get; set; }
}

/// <summary>Values of <c>users.role</c>.</summary>
internal static class UserRoles
{
    public const string PlatformAdmin = "platform-admin";
    public const string User = "user";
}

internal sealed class UserRecordConfiguration : IEntityTypeConfiguration<UserRecord>
{
    public void Configure(EntityTypeBuilder<UserRecord> builder)
    {
        builder.ToTable("users");
        builder.HasKey(u => u.Id);
        builder.Property(u => u.Email).HasMaxLength(254);
        builder.Property(u => u.Name).HasMaxLength(100);
        builder.Property(u => u.Image).HasMaxLength(2048);
        builder.Property(u => u.EmailVerified).HasDefaultValue(false);
        builder.Property(u => u.Role).HasDefaultValue(UserRoles.User);
        builder.HasIndex(u => u.EmailNormalized).IsUnique();
        builder.HasIndex(u => new { u.Role, u.CreatedAt, u.Id });
        builder.HasIndex(u => new { u.CreatedAt, u.Id });
    }
}

using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Nno.Iam.Users;

namespace Nno.Iam.ApiKeys;

/// <summary>A row of <c>api_keys</c> (iam.md §2, §4.6). Only the SHA-256 of the key is stored.</summary>
internal sealed class ApiKeyRecord
{
    public required string Id { get; set; }

    public required string UserId { get; set; }

    /// <summary>Null only for an unbound key an operator created.</summary>
    public string? PlatformId { get; set; }

    public required string Name { get; set; }

    /// <summary>The non-secret start of the key shown in lists (e.g. <c>nno_prod_7Gk2</c>).</summary>
    public required string DisplayPrefix { get; set; }

    /// <summary>SHA-256 of the key (32 bytes).</summary>
    public required byte[] KeyHash { get; set; }

    /// <summary>JSON array of scopes.</summary>
    public required string Scopes { get; set; }

    /// <summary>The creating session had passed the second factor.</summary>
    public bool MfaVerified { get; set; }

    public long ExpiresAt { get; set; }

    public long? LastUsedAt { get; set; }

    public string? LastUsedIp { get; set; }

    public long CreatedAt { get; set; }

    public long? RevokedAt { get; set; }

    public string? RevokedBy { get; set; }
}

internal sealed class ApiKeyRecordConfiguration : IEntityTypeConfiguration<ApiKeyRecord>
{
    public void Configure(EntityTypeBuilder<ApiKeyRecord> builder)
    {
        builder.ToTable("api_keys");
        builder.HasKey(k => k.Id);
        builder.HasOne<UserRecord>().WithMany().HasForeignKey(k => k.UserId).OnDelete(DeleteBehavior.Cascade);
        builder.Property(k => k.PlatformId).HasMaxLength(10);
        builder.Property(k => k.Name).HasMaxLength(100);
        builder.Property(k => k.KeyHash).HasMaxLength(32);
        builder.HasIndex(k => k.KeyHash).IsUnique();
        builder.HasIndex(k => new { k.UserId, k.CreatedAt });
        builder.HasIndex(k => new { k.PlatformId, k.CreatedAt });
    }
}

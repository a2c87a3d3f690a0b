using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Nno.Iam.Invitations;

/// <summary>A row of <c>invitations</c> (iam.md §2, §4.11): to a platform (<see cref="OrganizationId"/> null) or to a tenant.</summary>
internal sealed class InvitationRecord
{
    /// <summary>
    /// The partial unique index UNIQUE(platform_id, COALESCE(organization_id, ''), email_normalized) WHERE status = 'pending'
    /// is an expression index EF cannot model; the IamDataModel migration creates it with raw SQL.
    /// </summary>
    public const string PendingUniqueIndex = "ux_invitations_pending";

    public required string Id { get; set; }

    public required string PlatformId { get; set; }

    /// <summary>Null for a platform invitation.</summary>
    public string? OrganizationId { get; set; }

    public required string Email { get; set; }

    public required string EmailNormalized { get; set; }

    public required string Role { get; set; }

    /// <summary><c>pending</c>, <c>accepted</c>, <c>rejected</c>, <c>canceled</c> or <c>expired</c>.</summary>
    public required string Status { get; set; }

    public required string InviterId { get; set; }

    /// <summary>Creation + 7 days.</summary>
    public long ExpiresAt { get; set; }

    public long CreatedAt { get; set; }

    public long? RespondedAt { get; set; }
}

internal sealed class InvitationRecordConfiguration : IEntityTypeConfiguration<InvitationRecord>
{
    public void Configure(EntityTypeBuilder<InvitationRecord> builder)
    {
        builder.ToTable("invitations");
        builder.HasKey(i => i.Id);
        builder.Property(i => i.PlatformId).HasMaxLength(10);
        builder.Property(i => i.OrganizationId).HasMaxLength(10);
        builder.HasIndex(i => new { i.EmailNormalized, i.Status });
        // Platform lists (keyset on created_at, id), the daily invitation cap, and the cleanup job's expiry sweep.
        builder.HasIndex(i => new { i.PlatformId, i.CreatedAt, i.Id });
        builder.HasIndex(i => new { i.Status, i.ExpiresAt });
    }
}

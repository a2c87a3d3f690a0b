using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Nno.Registry.Data;

namespace Nno.Registry.Outbox;

/// <summary>The outbox kinds of registry.md §4.2: each is one external effect the relay performs.</summary>
internal static class OutboxKinds
{
    public const string KvPlatformStatus = "kv.platform_status";
    public const string IamCreateOrg = "iam.create_org";
    public const string IamUpdateOrg = "iam.update_org";
    public const string IamDeleteOrg = "iam.delete_org";
    public const string IamPutPlatformMember = "iam.put_platform_member";
    public const string IamTransferOwner = "iam.transfer_owner";
    public const string IamRemovePlatform = "iam.remove_platform";
    public const string IamNotify = "iam.notify";
    public const string BillingCancel = "billing.cancel";
    public const string ProvisioningActivateStack = "provisioning.activate_stack";
    public const string ProvisioningDeactivateStack = "provisioning.deactivate_stack";
    public const string ProvisioningActivateFeature = "provisioning.activate_feature";
    public const string ProvisioningDeactivateFeature = "provisioning.deactivate_feature";
    public const string ProvisioningAddCustomDomain = "provisioning.add_custom_domain";
    public const string ProvisioningRemoveCustomDomain = "provisioning.remove_custom_domain";
    public const string ProvisioningDeprovision = "provisioning.deprovision";
    public const string CliArchiveRepo = "cli.archive_repo";

    public static IReadOnlyList<string> All { get; } =
    [
        KvPlatformStatus, IamCreateOrg, IamUpdateOrg, IamDeleteOrg, IamPutPlatformMember, IamTransferOwner, IamRemovePlatform, IamNotify,
        BillingCancel, ProvisioningActivateStack, ProvisioningDeactivateStack, ProvisioningActivateFeature, ProvisioningDeactivateFeature,
        ProvisioningAddCustomDomain, ProvisioningRemoveCustomDomain, ProvisioningDeprovision, CliArchiveRepo,
    ];
}

/// <summary>A row of <c>outbox</c>: an external effect committed with the change that implies it, performed later by the relay.</summary>
internal sealed class OutboxRecord
{
    /// <summary><c>obx_…</c>; also the <c>Idempotency-Key</c> of the relayed call.</summary>
    public required string Id { get; set; }

    public required string Kind { get; set; }

    public required string PlatformId { get; set; }

    public string? TargetId { get; set; }

    /// <summary>JSON object.</summary>
    public required string Payload { get; set; }

    public int Attempts { get; set; }

    public long NextAttemptAt { get; set; }

    public string? LockedBy { get; set; }

    public long? LockedUntil { get; set; }

    public string? LastError { get; set; }

    public long CreatedAt { get; set; }

    public long? CompletedAt { get; set; }
}

internal sealed class OutboxRecordConfiguration : IEntityTypeConfiguration<OutboxRecord>
{
    public void Configure(EntityTypeBuilder<OutboxRecord> builder)
    {
        builder.ToTable("outbox");
        builder.HasKey(o => o.Id);
        builder.HasEnumCheck("kind", OutboxKinds.All);
        builder.HasIndex(o => o.NextAttemptAt).HasFilter("completed_at IS NULL").HasDatabaseName("ix_outbox_next_attempt_at_pending");
        // The purge of completed rows after 7 days reads a range of this.
        builder.HasIndex(o => o.CompletedAt).HasFilter("completed_at IS NOT NULL").HasDatabaseName("ix_outbox_completed_at_done");
        // The lifecycle sweep's purge reads a deleted platform's deprovision and IAM removal rows.
        builder.HasIndex(o => new { o.PlatformId, o.Kind }).HasDatabaseName("ix_outbox_platform_id_kind");
    }
}

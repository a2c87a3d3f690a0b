using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Nno.Provisioning.Jobs;

namespace Nno.Provisioning.Data;

/// <summary>A row of <c>provision_jobs</c> (provisioning.md §2): one durable, ordered list of steps.</summary>
internal sealed class ProvisionJobRecord
{
    /// <summary><c>job_</c> + 20 characters.</summary>
    public required string Id { get; set; }

    public required string Type { get; set; }

    public required string Status { get; set; }

    public required string PlatformId { get; set; }

    /// <summary><c>dev|stg|prod</c>; null = every environment of the platform or stack.</summary>
    public string? Environment { get; set; }

    public string? EntityId { get; set; }

    public string? StackId { get; set; }

    public string? FeatureId { get; set; }

    public string? FeatureVersion { get; set; }

    public string? CustomDomainId { get; set; }

    /// <summary>What the job acts on, for coalescing (<c>platform:{pid}:{env|*}</c>, …).</summary>
    public required string TargetKey { get; set; }

    /// <summary><c>{pid}:{env}</c> or <c>{pid}:*</c>: the ordering lane (§4.5).</summary>
    public required string QueueKey { get; set; }

    /// <summary>The validated request plus snapshots; never a secret.</summary>
    public required string PayloadJson { get; set; }

    /// <summary>SHA-256 (hex) of the canonical payload.</summary>
    public required string RequestHash { get; set; }

    public string? IdempotencyKey { get; set; }

    public int RunNumber { get; set; } = 1;

    public required string Phase { get; set; }

    public bool Irreversible { get; set; }

    /// <summary>Executions that ended other than by a deferral, this phase of this run.</summary>
    public int Attempts { get; set; }

    /// <summary>Deferrals in this run (over 100 counts as a transient failure).</summary>
    public int Deferrals { get; set; }

    /// <summary>
    /// Transient failures since a step last completed or was undone, this phase of this run: past <c>max_retries</c> the
    /// message is dead-lettered, and the backoff grows with it (decision 0505).
    /// </summary>
    public int RetryStreak { get; set; }

    /// <summary>Unix ms: when the job's next delivery is due (the sweeper's yardstick).</summary>
    public long NextRunAt { get; set; }

    public string? LeaseOwner { get; set; }

    public long? LeaseExpiresAt { get; set; }

    /// <summary>1 while a queue message must be sent and its send is not confirmed (the sweeper sends it after 5 s).</summary>
    public bool EnqueuePending { get; set; }

    /// <summary>The last run whose first QUEUED was reported to the Registry.</summary>
    public int QueuedReportedRun { get; set; }

    /// <summary>The last run whose first RUNNING was reported to the Registry.</summary>
    public int RunningReportedRun { get; set; }

    public string? ErrorCode { get; set; }

    public string? ErrorMessage { get; set; }

    public string? ErrorStep { get; set; }

    /// <summary><c>user:{id}</c> or <c>svc:{name}</c>.</summary>
    public required string RequestedBy { get; set; }

    public string? RequestId { get; set; }

    public long CreatedAt { get; set; }

    public long UpdatedAt { get; set; }

    public long? StartedAt { get; set; }

    public long? CompletedAt { get; set; }
}

internal sealed class ProvisionJobRecordConfiguration : IEntityTypeConfiguration<ProvisionJobRecord>
{
    public void Configure(EntityTypeBuilder<ProvisionJobRecord> builder)
    {
        builder.ToTable("provision_jobs");
        builder.HasKey(j => j.Id);
        builder.HasEnumCheck("type", JobTypes.All);
        builder.HasEnumCheck("status", JobStatuses.All);
        builder.HasEnumCheck("phase", JobPhases.All);
        builder.HasEnumCheck("environment", ["dev", "stg", "prod"], nullable: true);
        builder.HasIndex(j => new { j.PlatformId, j.Status, j.CreatedAt });
        builder.HasIndex(j => new { j.TargetKey, j.Status });
        builder.HasIndex(j => new { j.QueueKey, j.Status, j.CreatedAt });
        builder.HasIndex(j => new { j.RequestedBy, j.IdempotencyKey }).IsUnique().HasFilter("idempotency_key IS NOT NULL");
        builder.HasIndex(j => new { j.PlatformId, j.CreatedAt, j.Id }).IsDescending(false, true, true).HasDatabaseName("ix_provision_jobs_platform_id_created_at_id_desc");
        builder.HasIndex(j => new { j.Status, j.NextRunAt });
        builder.HasIndex(j => new { j.Status, j.LeaseExpiresAt });
        // The global keyset list (operators without platformId) and the sweeper's unsent messages.
        builder.HasIndex(j => new { j.CreatedAt, j.Id }).IsDescending(true, true).HasDatabaseName("ix_provision_jobs_created_at_id_desc");
        builder.HasIndex(j => j.UpdatedAt).HasFilter("enqueue_pending = 1").HasDatabaseName("ix_provision_jobs_enqueue_pending");
    }
}

/// <summary>A row of <c>provision_steps</c>: one idempotent step of a job, with its undo state.</summary>
internal sealed class ProvisionStepRecord
{
    public required string JobId { get; set; }

    public int Seq { get; set; }

    /// <summary>e.g. <c>create_auth_d1</c>, <c>deploy_feature_worker:crm</c>.</summary>
    public required string Name { get; set; }

    public required string Status { get; set; }

    public string? ResourceKind { get; set; }

    public string? ResourceName { get; set; }

    public string? CfId { get; set; }

    /// <summary>Persisted before each create call (§4.3).</summary>
    public int CreateAttempts { get; set; }

    /// <summary>1 = this job created the resource; 0 = adopted (never undone).</summary>
    public bool CreatedByJob { get; set; }

    /// <summary>Previous versions, cursors, done items.</summary>
    public string OutputJson { get; set; } = "{}";

    public int Attempts { get; set; }

    public string? ErrorCode { get; set; }

    public string? ErrorMessage { get; set; }

    public long? StartedAt { get; set; }

    public long? CompletedAt { get; set; }

    public long? UndoneAt { get; set; }
}

internal sealed class ProvisionStepRecordConfiguration : IEntityTypeConfiguration<ProvisionStepRecord>
{
    public void Configure(EntityTypeBuilder<ProvisionStepRecord> builder)
    {
        builder.ToTable("provision_steps");
        builder.HasKey(s => new { s.JobId, s.Seq });
        builder.HasIndex(s => new { s.JobId, s.Name }).IsUnique();
        builder.HasEnumCheck("status", StepStatuses.All);
        builder.HasEnumCheck("resource_kind", ResourceKinds.All, nullable: true);
        builder.HasOne<ProvisionJobRecord>().WithMany().HasForeignKey(s => s.JobId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>A row of <c>cf_resources</c>: the ledger of what NNO created (or adopted) in Cloudflare.</summary>
internal sealed class CfResourceRecord
{
    /// <summary><c>res_</c> + 20 characters.</summary>
    public required string Id { get; set; }

    public required string PlatformId { get; set; }

    public string? Environment { get; set; }

    public string? StackId { get; set; }

    public string? FeatureId { get; set; }

    public string? CustomDomainId { get; set; }

    public required string Kind { get; set; }

    public required string Name { get; set; }

    public required string CfId { get; set; }

    /// <summary><c>active|deleted</c>.</summary>
    public required string Status { get; set; }

    /// <summary>Hostnames: Cloudflare's SSL status.</summary>
    public string? SslStatus { get; set; }

    /// <summary>The Registry's id for this resource (resource id, or DNS record id for a hostname), filled when its report was answered.</summary>
    public string? RegistryId { get; set; }

    public string MetaJson { get; set; } = "{}";

    public required string CreatedByJobId { get; set; }

    public string? DeletedByJobId { get; set; }

    public long CreatedAt { get; set; }

    public long UpdatedAt { get; set; }

    public long? DeletedAt { get; set; }
}

internal sealed class CfResourceRecordConfiguration : IEntityTypeConfiguration<CfResourceRecord>
{
    public void Configure(EntityTypeBuilder<CfResourceRecord> builder)
    {
        builder.ToTable("cf_resources");
        builder.HasKey(r => r.Id);
        builder.HasEnumCheck("status", CfResourceStatuses.All);
        builder.HasEnumCheck("kind", ResourceKinds.All);
        builder.HasIndex(r => new { r.Kind, r.Name }).IsUnique().HasFilter("status = 'active'").HasDatabaseName("ux_cf_resources_kind_name_active");
        builder.HasIndex(r => new { r.PlatformId, r.Environment, r.Status });
        builder.HasIndex(r => new { r.Kind, r.SslStatus });
    }
}

/// <summary>Ledger statuses.</summary>
internal static class CfResourceStatuses
{
    public const string Active = "active";
    public const string Deleted = "deleted";

    public static IReadOnlyList<string> All { get; } = [Active, Deleted];
}

/// <summary>A row of <c>feature_usages</c>: an entity using a feature in a stack and environment.</summary>
internal sealed class FeatureUsageRecord
{
    public required string PlatformId { get; set; }

    public required string Environment { get; set; }

    public required string StackId { get; set; }

    public required string FeatureId { get; set; }

    public required string EntityId { get; set; }

    public required string FeatureVersion { get; set; }

    public required string JobId { get; set; }

    public long CreatedAt { get; set; }
}

internal sealed class FeatureUsageRecordConfiguration : IEntityTypeConfiguration<FeatureUsageRecord>
{
    public void Configure(EntityTypeBuilder<FeatureUsageRecord> builder)
    {
        builder.ToTable("feature_usages");
        builder.HasKey(u => new { u.PlatformId, u.Environment, u.StackId, u.FeatureId, u.EntityId });
    }
}

/// <summary>A row of <c>dead_letters</c>: a job message whose retries ran out.</summary>
internal sealed class DeadLetterRecord
{
    /// <summary><c>dlq_</c> + 20 characters.</summary>
    public required string Id { get; set; }

    public required string JobId { get; set; }

    public int RunNumber { get; set; }

    public required string Phase { get; set; }

    public required string MessageJson { get; set; }

    public string? LastError { get; set; }

    public int Attempts { get; set; }

    public long DeadLetteredAt { get; set; }

    public long? ReplayedAt { get; set; }

    public string? ReplayedBy { get; set; }
}

internal sealed class DeadLetterRecordConfiguration : IEntityTypeConfiguration<DeadLetterRecord>
{
    public void Configure(EntityTypeBuilder<DeadLetterRecord> builder)
    {
        builder.ToTable("dead_letters");
        builder.HasKey(d => d.Id);
        builder.HasIndex(d => new { d.JobId, d.RunNumber, d.Phase }).IsUnique();
        builder.HasEnumCheck("phase", JobPhases.All);
        // P13 lists newest first by keyset.
        builder.HasIndex(d => new { d.DeadLetteredAt, d.Id }).IsDescending(true, true).HasDatabaseName("ix_dead_letters_dead_lettered_at_id_desc");
    }
}

/// <summary>A row of <c>registry_outbox</c>: a report to the Registry committed with the change it describes (§4.8).</summary>
internal sealed class RegistryOutboxRecord
{
    public long Seq { get; set; }

    public required string PlatformId { get; set; }

    public required string Method { get; set; }

    /// <summary>The path; <c>{registryId:res_…}</c> stands for that ledger row's <c>registry_id</c>, resolved at send time.</summary>
    public required string PathTemplate { get; set; }

    public string? BodyJson { get; set; }

    /// <summary>When set, the answer's <c>id</c> is stored as <c>registry_id</c> of this ledger row.</summary>
    public string? CaptureLedgerId { get; set; }

    public int Attempts { get; set; }

    public long NextAttemptAt { get; set; }

    public long? SentAt { get; set; }

    public string? LastError { get; set; }

    /// <summary>Set once the undelivered alert (1 h) was logged, so it is logged once per row.</summary>
    public bool Alerted { get; set; }

    public long CreatedAt { get; set; }
}

internal sealed class RegistryOutboxRecordConfiguration : IEntityTypeConfiguration<RegistryOutboxRecord>
{
    public void Configure(EntityTypeBuilder<RegistryOutboxRecord> builder)
    {
        builder.ToTable("registry_outbox");
        builder.HasKey(o => o.Seq);
        builder.Property(o => o.Seq).ValueGeneratedOnAdd();
        builder.HasIndex(o => new { o.SentAt, o.PlatformId, o.Seq });
    }
}

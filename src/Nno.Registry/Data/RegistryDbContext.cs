using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Nno.Core.Services;
using Nno.Registry.Audit;
using Nno.Registry.Builds;
using Nno.Registry.Entities;
using Nno.Registry.Environments;
using Nno.Registry.Features;
using Nno.Registry.Lifecycle;
using Nno.Registry.Onboarding;
using Nno.Registry.Outbox;
using Nno.Registry.Platforms;
using Nno.Registry.Resources;
using Nno.Registry.Scheduling;
using Nno.Registry.Stacks;
using Nno.ServiceDefaults.Data;
using Nno.ServiceDefaults.Idempotency;
using Nno.ServiceDefaults.Jobs;

namespace Nno.Registry.Data;

/// <summary>
/// The service's own database <c>registry</c> (registry.md §2). Timestamps are Unix ms, enums are lower-case TEXT with a
/// CHECK constraint, JSON columns are TEXT, names are snake_case. <c>audit_log</c> and <c>platform_lifecycle_events</c>
/// are append-only (triggers, <see cref="AppendOnlyTriggers"/>).
/// </summary>
public sealed class RegistryDbContext(DbContextOptions<RegistryDbContext> options) : DbContext(options)
{
    /// <summary>The database name (<c>registry</c>): file <c>{dataDir}/db/registry.db</c>.</summary>
    public static string DatabaseName => NnoServices.RegistryInfo.Database!;

    internal DbSet<PlatformRecord> Platforms => Set<PlatformRecord>();

    internal DbSet<LifecycleEventRecord> LifecycleEvents => Set<LifecycleEventRecord>();

    internal DbSet<AuditLogRecord> AuditLog => Set<AuditLogRecord>();

    internal DbSet<OutboxRecord> Outbox => Set<OutboxRecord>();

    internal DbSet<SchedulerLeaseRecord> SchedulerLeases => Set<SchedulerLeaseRecord>();

    internal DbSet<PlatformEnvironmentRecord> Environments => Set<PlatformEnvironmentRecord>();

    internal DbSet<EntityRecord> Entities => Set<EntityRecord>();

    internal DbSet<StackRecord> Stacks => Set<StackRecord>();

    internal DbSet<ResourceRecord> Resources => Set<ResourceRecord>();

    internal DbSet<DnsRecordRecord> DnsRecords => Set<DnsRecordRecord>();

    internal DbSet<CustomDomainRecord> CustomDomains => Set<CustomDomainRecord>();

    internal DbSet<SecretRecord> Secrets => Set<SecretRecord>();

    internal DbSet<FeatureActivationRecord> FeatureActivations => Set<FeatureActivationRecord>();

    internal DbSet<BuildStateRecord> BuildState => Set<BuildStateRecord>();

    internal DbSet<OnboardingSessionRecord> OnboardingSessions => Set<OnboardingSessionRecord>();

    internal DbSet<Provisioning.ProvisionJobRecord> ProvisionJobs => Set<Provisioning.ProvisionJobRecord>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfiguration(new PlatformRecordConfiguration());
        modelBuilder.ApplyConfiguration(new LifecycleEventRecordConfiguration());
        modelBuilder.ApplyConfiguration(new AuditLogRecordConfiguration());
        modelBuilder.ApplyConfiguration(new OutboxRecordConfiguration());
        modelBuilder.ApplyConfiguration(new SchedulerLeaseRecordConfiguration());
        modelBuilder.ApplyConfiguration(new PlatformEnvironmentRecordConfiguration());
        modelBuilder.ApplyConfiguration(new EntityRecordConfiguration());
        modelBuilder.ApplyConfiguration(new StackRecordConfiguration());
        modelBuilder.ApplyConfiguration(new ResourceRecordConfiguration());
        modelBuilder.ApplyConfiguration(new DnsRecordRecordConfiguration());
        modelBuilder.ApplyConfiguration(new CustomDomainRecordConfiguration());
        modelBuilder.ApplyConfiguration(new SecretRecordConfiguration());
        modelBuilder.ApplyConfiguration(new FeatureActivationRecordConfiguration());
        modelBuilder.ApplyConfiguration(new BuildStateRecordConfiguration());
        modelBuilder.ApplyConfiguration(new OnboardingSessionRecordConfiguration());
        modelBuilder.ApplyConfiguration(new Provisioning.ProvisionJobRecordConfiguration());
        modelBuilder.AddNnoIdempotency();
        modelBuilder.AddNnoJobLeases();
        modelBuilder.ApplySnakeCaseNames();
    }
}

/// <summary>Lets <c>dotnet ef</c> create the context without running the service.</summary>
public sealed class RegistryDbContextFactory : IDesignTimeDbContextFactory<RegistryDbContext>
{
    public RegistryDbContext CreateDbContext(string[] args) => new(NnoDesignTimeDatabase.Options<RegistryDbContext>(RegistryDbContext.DatabaseName));
}

using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Nno.Core.Services;
using Nno.ServiceDefaults.Data;
using Nno.ServiceDefaults.Idempotency;
using Nno.ServiceDefaults.Jobs;

namespace Nno.Provisioning.Data;

/// <summary>
/// The service's own database <c>provisioning</c> (provisioning.md §2): jobs and steps, the ledger of Cloudflare
/// resources, feature usages, dead letters and the Registry outbox, plus idempotency keys and job leases.
/// </summary>
public sealed class ProvisioningDbContext(DbContextOptions<ProvisioningDbContext> options) : DbContext(options)
{
    /// <summary>The database name (<c>provisioning</c>): file <c>{dataDir}/db/provisioning.db</c>.</summary>
    public static string DatabaseName => NnoServices.ProvisioningInfo.Database!;

    internal DbSet<ProvisionJobRecord> Jobs => Set<ProvisionJobRecord>();

    internal DbSet<ProvisionStepRecord> Steps => Set<ProvisionStepRecord>();

    internal DbSet<CfResourceRecord> Resources => Set<CfResourceRecord>();

    internal DbSet<FeatureUsageRecord> FeatureUsages => Set<FeatureUsageRecord>();

    internal DbSet<DeadLetterRecord> DeadLetters => Set<DeadLetterRecord>();

    internal DbSet<RegistryOutboxRecord> Outbox => Set<RegistryOutboxRecord>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfiguration(new ProvisionJobRecordConfiguration());
        modelBuilder.ApplyConfiguration(new ProvisionStepRecordConfiguration());
        modelBuilder.ApplyConfiguration(new CfResourceRecordConfiguration());
        modelBuilder.ApplyConfiguration(new FeatureUsageRecordConfiguration());
        modelBuilder.ApplyConfiguration(new DeadLetterRecordConfiguration());
        modelBuilder.ApplyConfiguration(new RegistryOutboxRecordConfiguration());
        modelBuilder.AddNnoIdempotency();
        modelBuilder.AddNnoJobLeases();
        modelBuilder.ApplySnakeCaseNames();
    }
}

/// <summary>Lets <c>dotnet ef</c> create the context without running the service.</summary>
public sealed class ProvisioningDbContextFactory : IDesignTimeDbContextFactory<ProvisioningDbContext>
{
    public ProvisioningDbContext CreateDbContext(string[] args) => new(NnoDesignTimeDatabase.Options<ProvisioningDbContext>(ProvisioningDbContext.DatabaseName));
}

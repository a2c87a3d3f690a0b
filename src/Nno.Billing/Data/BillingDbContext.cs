using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Nno.Core.Services;
using Nno.ServiceDefaults.Data;
using Nno.ServiceDefaults.Idempotency;
using Nno.ServiceDefaults.Jobs;

namespace Nno.Billing.Data;

/// <summary>
/// The service's own database <c>billing</c> (billing.md §2): tier prices, customers and subscriptions mirrored from
/// Stripe, webhook events, usage snapshots and roll-ups, metering runs, invoices, overage runs and usage alerts, plus
/// idempotency keys and job leases.
/// </summary>
public sealed class BillingDbContext(DbContextOptions<BillingDbContext> options) : DbContext(options)
{
    /// <summary>The database name (<c>billing</c>): file <c>{dataDir}/db/billing.db</c>.</summary>
    public static string DatabaseName => NnoServices.BillingInfo.Database!;

    internal DbSet<TierPriceRecord> TierPrices => Set<TierPriceRecord>();

    internal DbSet<CustomerRecord> Customers => Set<CustomerRecord>();

    internal DbSet<SubscriptionRecord> Subscriptions => Set<SubscriptionRecord>();

    internal DbSet<WebhookEventRecord> WebhookEvents => Set<WebhookEventRecord>();

    internal DbSet<UsageSnapshotRecord> UsageSnapshots => Set<UsageSnapshotRecord>();

    internal DbSet<UsagePeriodRecord> UsagePeriods => Set<UsagePeriodRecord>();

    internal DbSet<MeteringRunRecord> MeteringRuns => Set<MeteringRunRecord>();

    internal DbSet<InvoiceRecord> Invoices => Set<InvoiceRecord>();

    internal DbSet<InvoiceLineRecord> InvoiceLines => Set<InvoiceLineRecord>();

    internal DbSet<OverageRunRecord> OverageRuns => Set<OverageRunRecord>();

    internal DbSet<OverageLineRecord> OverageLines => Set<OverageLineRecord>();

    internal DbSet<UsageAlertRecord> UsageAlerts => Set<UsageAlertRecord>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfiguration(new TierPriceRecordConfiguration());
        modelBuilder.ApplyConfiguration(new CustomerRecordConfiguration());
        modelBuilder.ApplyConfiguration(new SubscriptionRecordConfiguration());
        modelBuilder.ApplyConfiguration(new WebhookEventRecordConfiguration());
        modelBuilder.ApplyConfiguration(new UsageSnapshotRecordConfiguration());
        modelBuilder.ApplyConfiguration(new UsagePeriodRecordConfiguration());
        modelBuilder.ApplyConfiguration(new MeteringRunRecordConfiguration());
        modelBuilder.ApplyConfiguration(new InvoiceRecordConfiguration());
        modelBuilder.ApplyConfiguration(new InvoiceLineRecordConfiguration());
        modelBuilder.ApplyConfiguration(new OverageRunRecordConfiguration());
        modelBuilder.ApplyConfiguration(new OverageLineRecordConfiguration());
        modelBuilder.ApplyConfiguration(new UsageAlertRecordConfiguration());
        modelBuilder.AddNnoIdempotency();
        // The metering scheduler and the webhook catch-up run on one replica each (§4.3, §4.4).
        modelBuilder.AddNnoJobLeases();
        modelBuilder.ApplySnakeCaseNames();
    }
}

/// <summary>Lets <c>dotnet ef</c> create the context without running the service.</summary>
public sealed class BillingDbContextFactory : IDesignTimeDbContextFactory<BillingDbContext>
{
    public BillingDbContext CreateDbContext(string[] args) => new(NnoDesignTimeDatabase.Options<BillingDbContext>(BillingDbContext.DatabaseName));
}

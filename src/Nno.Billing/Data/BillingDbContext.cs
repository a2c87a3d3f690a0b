using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Nno.Core.Services;
using Nno.ServiceDefaults.Data;
using Nno.ServiceDefaults.Idempotency;

namespace Nno.Billing.Data;

/// <summary>The service's own database <c>billing</c> (00-system §9). Today it holds the idempotency keys; domain tables follow.</summary>
public sealed class BillingDbContext(DbContextOptions<BillingDbContext> options) : DbContext(options)
{
    /// <summary>The database name (<c>billing</c>): file <c>{dataDir}/db/billing.db</c>.</summary>
    public static string DatabaseName => NnoServices.BillingInfo.Database!;

    protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.AddNnoIdempotency();
}

/// <summary>Lets <c>dotnet ef</c> create the context without running the service.</summary>
public sealed class BillingDbContextFactory : IDesignTimeDbContextFactory<BillingDbContext>
{
    public BillingDbContext CreateDbContext(string[] args) => new(NnoDesignTimeDatabase.Options<BillingDbContext>(BillingDbContext.DatabaseName));
}

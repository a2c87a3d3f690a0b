using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Nno.Core.Services;
using Nno.ServiceDefaults.Data;
using Nno.ServiceDefaults.Idempotency;

namespace Nno.StackRegistry.Data;

/// <summary>
/// The service's own database <c>marketplace</c> (00-system §9): the stack templates and their immutable versions
/// (stack-registry.md §2) plus the idempotency keys. Timestamps are Unix ms; names are snake_case.
/// </summary>
public sealed class MarketplaceDbContext(DbContextOptions<MarketplaceDbContext> options) : DbContext(options)
{
    /// <summary>The database name (<c>marketplace</c>): file <c>{dataDir}/db/marketplace.db</c>.</summary>
    public static string DatabaseName => NnoServices.StackRegistryInfo.Database!;

    internal DbSet<StackTemplateRecord> Templates => Set<StackTemplateRecord>();

    internal DbSet<StackTemplateVersionRecord> Versions => Set<StackTemplateVersionRecord>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.AddNnoIdempotency();
        modelBuilder.ApplyConfiguration(new StackTemplateRecordConfiguration());
        modelBuilder.ApplyConfiguration(new StackTemplateVersionRecordConfiguration());
    }
}

/// <summary>Lets <c>dotnet ef</c> create the context without running the service.</summary>
public sealed class MarketplaceDbContextFactory : IDesignTimeDbContextFactory<MarketplaceDbContext>
{
    public MarketplaceDbContext CreateDbContext(string[] args) => new(NnoDesignTimeDatabase.Options<MarketplaceDbContext>(MarketplaceDbContext.DatabaseName));
}

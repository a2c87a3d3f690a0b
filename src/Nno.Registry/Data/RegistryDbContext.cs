using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Nno.Core.Services;
using Nno.ServiceDefaults.Data;
using Nno.ServiceDefaults.Idempotency;

namespace Nno.Registry.Data;

/// <summary>The service's own database <c>registry</c> (00-system §9). Today it holds the idempotency keys; domain tables follow.</summary>
public sealed class RegistryDbContext(DbContextOptions<RegistryDbContext> options) : DbContext(options)
{
    /// <summary>The database name (<c>registry</c>): file <c>{dataDir}/db/registry.db</c>.</summary>
    public static string DatabaseName => NnoServices.RegistryInfo.Database!;

    protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.AddNnoIdempotency();
}

/// <summary>Lets <c>dotnet ef</c> create the context without running the service.</summary>
public sealed class RegistryDbContextFactory : IDesignTimeDbContextFactory<RegistryDbContext>
{
    public RegistryDbContext CreateDbContext(string[] args) => new(NnoDesignTimeDatabase.Options<RegistryDbContext>(RegistryDbContext.DatabaseName));
}

using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Nno.Core.Services;
using Nno.ServiceDefaults.Data;
using Nno.ServiceDefaults.Idempotency;

namespace Nno.Provisioning.Data;

/// <summary>The service's own database <c>provisioning</c> (00-system §9). Today it holds the idempotency keys; domain tables follow.</summary>
public sealed class ProvisioningDbContext(DbContextOptions<ProvisioningDbContext> options) : DbContext(options)
{
    /// <summary>The database name (<c>provisioning</c>): file <c>{dataDir}/db/provisioning.db</c>.</summary>
    public static string DatabaseName => NnoServices.ProvisioningInfo.Database!;

    protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.AddNnoIdempotency();
}

/// <summary>Lets <c>dotnet ef</c> create the context without running the service.</summary>
public sealed class ProvisioningDbContextFactory : IDesignTimeDbContextFactory<ProvisioningDbContext>
{
    public ProvisioningDbContext CreateDbContext(string[] args) => new(NnoDesignTimeDatabase.Options<ProvisioningDbContext>(ProvisioningDbContext.DatabaseName));
}

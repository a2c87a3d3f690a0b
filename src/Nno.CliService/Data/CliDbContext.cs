using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Nno.Core.Services;
using Nno.ServiceDefaults.Data;
using Nno.ServiceDefaults.Idempotency;

namespace Nno.CliService.Data;

/// <summary>The service's own database <c>cli</c> (00-system §9). Today it holds the idempotency keys; domain tables follow.</summary>
public sealed class CliDbContext(DbContextOptions<CliDbContext> options) : DbContext(options)
{
    /// <summary>The database name (<c>cli</c>): file <c>{dataDir}/db/cli.db</c>.</summary>
    public static string DatabaseName => NnoServices.CliInfo.Database!;

    protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.AddNnoIdempotency();
}

/// <summary>Lets <c>dotnet ef</c> create the context without running the service.</summary>
public sealed class CliDbContextFactory : IDesignTimeDbContextFactory<CliDbContext>
{
    public CliDbContext CreateDbContext(string[] args) => new(NnoDesignTimeDatabase.Options<CliDbContext>(CliDbContext.DatabaseName));
}

using Microsoft.EntityFrameworkCore;

namespace Nno.ServiceDefaults.Data;

/// <summary>
/// Options for a service's <c>IDesignTimeDbContextFactory</c>: the EF tooling (<c>dotnet ef migrations add</c>) needs a
/// context without running the service. Same provider as at run time; the file is only opened by commands that touch a
/// database (<c>dotnet ef database update</c>), in the current directory.
/// </summary>
public static class NnoDesignTimeDatabase
{
    public static DbContextOptions<TContext> Options<TContext>(string name)
        where TContext : DbContext =>
        new DbContextOptionsBuilder<TContext>().UseSqlite($"Data Source={name}.db").Options;
}

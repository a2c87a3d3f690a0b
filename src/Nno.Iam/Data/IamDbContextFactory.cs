using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Nno.Iam.Data;

/// <summary>Lets <c>dotnet ef</c> build the model without starting the service (migrations are created, never applied, with it).</summary>
internal sealed class IamDbContextFactory : IDesignTimeDbContextFactory<IamDbContext>
{
    public IamDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<IamDbContext>().UseSqlite("Data Source=iam-design-time.db").Options);
}

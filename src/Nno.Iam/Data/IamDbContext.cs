using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Nno.Iam.Audit;
using Nno.Iam.SigningKeys;

namespace Nno.Iam.Data;

/// <summary>IAM's own database (<c>iam</c>, iam.md §2). Timestamps are Unix ms; table and column names are snake_case.</summary>
internal sealed class IamDbContext(DbContextOptions<IamDbContext> options) : DbContext(options)
{
    public DbSet<SigningKeyRecord> SigningKeys => Set<SigningKeyRecord>();

    public DbSet<AuditEventRecord> AuditEvents => Set<AuditEventRecord>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfiguration(new SigningKeyRecordConfiguration());
        modelBuilder.ApplyConfiguration(new AuditEventRecordConfiguration());
        ApplySnakeCaseNames(modelBuilder);
    }

    /// <summary>Columns, keys and indexes named the way iam.md §2 writes them (PostgreSQL-friendly, no quoting needed).</summary>
    private static void ApplySnakeCaseNames(ModelBuilder modelBuilder)
    {
        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            var table = entity.GetTableName()!;
            foreach (var property in entity.GetProperties())
            {
                property.SetColumnName(ToSnakeCase(property.Name));
            }

            foreach (var key in entity.GetKeys())
            {
                key.SetName("pk_" + table);
            }

            foreach (var index in entity.GetIndexes())
            {
                index.SetDatabaseName((index.IsUnique ? "ux_" : "ix_") + table + "_" + string.Join("_", index.Properties.Select(p => ToSnakeCase(p.Name))));
            }
        }
    }

    internal static string ToSnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c) && i > 0)
            {
                builder.Append('_');
            }

            builder.Append(char.ToLower(c, CultureInfo.InvariantCulture));
        }

        return builder.ToString();
    }
}

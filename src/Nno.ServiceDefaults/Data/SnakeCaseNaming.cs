using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Nno.ServiceDefaults.Data;

/// <summary>The one naming convention of every NNO database: snake_case columns, <c>pk_/ux_/ix_/fk_</c> names.</summary>
public static class SnakeCaseNaming
{
    /// <summary>Columns, keys, foreign keys and unnamed indexes in snake_case (PostgreSQL-friendly, no quoting needed).</summary>
    public static void ApplySnakeCaseNames(this ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            var table = entity.GetTableName()!;
            foreach (var property in entity.GetProperties())
            {
                if (property.FindAnnotation(RelationalAnnotationNames.ColumnName) is null)
                {
                    property.SetColumnName(ToSnakeCase(property.Name));
                }
            }

            foreach (var key in entity.GetKeys())
            {
                key.SetName("pk_" + table);
            }

            foreach (var index in entity.GetIndexes())
            {
                // Partial and descending indexes are named explicitly where they are declared.
                if (index.FindAnnotation(RelationalAnnotationNames.Name) is null)
                {
                    index.SetDatabaseName((index.IsUnique ? "ux_" : "ix_") + table + "_" + string.Join("_", index.Properties.Select(p => ToSnakeCase(p.Name))));
                }
            }

            foreach (var foreignKey in entity.GetForeignKeys())
            {
                foreignKey.SetConstraintName("fk_" + table + "_" + foreignKey.PrincipalEntityType.GetTableName() + "_" + string.Join("_", foreignKey.Properties.Select(p => ToSnakeCase(p.Name))));
            }
        }
    }

    /// <summary><c>CreatedAt</c> → <c>created_at</c>.</summary>
    public static string ToSnakeCase(string name)
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

using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Nno.Registry.Data;

/// <summary>Model helpers shared by every Registry table: enum CHECK constraints and the snake_case naming of registry.md §2.</summary>
internal static class ModelConventions
{
    /// <summary>The filter of a partial index "among live rows".</summary>
    public const string Live = "deleted_at IS NULL";

    /// <summary>Adds <c>CHECK (column IN (...))</c> so the database refuses a value outside the enum (registry.md §2 conventions).</summary>
    public static void HasEnumCheck<T>(this EntityTypeBuilder<T> builder, string column, IEnumerable<string> values, bool nullable = false)
        where T : class
    {
        var table = builder.Metadata.GetTableName()!;
        var list = string.Join(", ", values.Select(v => "'" + v + "'"));
        var sql = nullable ? $"{column} IS NULL OR {column} IN ({list})" : $"{column} IN ({list})";
        builder.ToTable(t => t.HasCheckConstraint($"ck_{table}_{column}", sql));
    }

    /// <summary>Columns, keys, foreign keys and unnamed indexes in snake_case (PostgreSQL-friendly, no quoting needed).</summary>
    public static void ApplySnakeCaseNames(ModelBuilder modelBuilder)
    {
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

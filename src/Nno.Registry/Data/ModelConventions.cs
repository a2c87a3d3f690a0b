using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Nno.Registry.Data;

/// <summary>Model helpers shared by every Registry table: enum CHECK constraints and the live-row filter (naming: <see cref="Nno.ServiceDefaults.Data.SnakeCaseNaming"/>).</summary>
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
}

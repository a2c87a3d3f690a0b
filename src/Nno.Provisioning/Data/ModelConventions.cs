using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Nno.Provisioning.Data;

/// <summary>Model helpers shared by the Provisioning tables.</summary>
internal static class ModelConventions
{
    /// <summary>Adds <c>CHECK (column IN (...))</c> so the database refuses a value outside the enum.</summary>
    public static void HasEnumCheck<T>(this EntityTypeBuilder<T> builder, string column, IEnumerable<string> values, bool nullable = false)
        where T : class
    {
        var table = builder.Metadata.GetTableName()!;
        var list = string.Join(", ", values.Select(v => "'" + v + "'"));
        var sql = nullable ? $"{column} IS NULL OR {column} IN ({list})" : $"{column} IN ({list})";
        builder.ToTable(t => t.HasCheckConstraint($"ck_{table}_{column}", sql));
    }
}

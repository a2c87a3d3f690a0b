using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Nno.Billing.Data;

/// <summary>Model helpers shared by the Billing tables: CHECK constraints (decision 0520; naming: <see cref="Nno.ServiceDefaults.Data.SnakeCaseNaming"/>).</summary>
internal static class ModelConventions
{
    /// <summary>Adds <c>CHECK (column IN (...))</c> so the database refuses a value outside the enum.</summary>
    public static void HasEnumCheck<T>(this EntityTypeBuilder<T> builder, string column, IEnumerable<string> values, bool nullable = false)
        where T : class
    {
        var list = string.Join(", ", values.Select(v => "'" + v + "'"));
        builder.HasColumnCheck(column, nullable ? $"{column} IS NULL OR {column} IN ({list})" : $"{column} IN ({list})");
    }

    /// <summary>
    /// The platform id pattern <c>^[a-z0-9]{10}$</c> (00-system §8). GLOB is case-sensitive, so an upper-case letter fails
    /// the character class as it should.
    /// </summary>
    public static void HasPlatformIdCheck<T>(this EntityTypeBuilder<T> builder, string column = "platform_id")
        where T : class
        => builder.HasColumnCheck(column, $"length({column}) = 10 AND {column} NOT GLOB '*[^a-z0-9]*'");

    /// <summary>A Stripe id with its prefix (<c>cus_</c>, <c>sub_</c>, <c>in_</c>, <c>evt_</c>…); the rest keeps Stripe's mixed case.</summary>
    public static void HasStripeIdCheck<T>(this EntityTypeBuilder<T> builder, string column, string prefix, bool nullable = false)
        where T : class
    {
        var sql = $"{column} GLOB '{prefix}_?*'";
        builder.HasColumnCheck(column, nullable ? $"{column} IS NULL OR {sql}" : sql);
    }

    /// <summary>A real-looking calendar date <c>YYYY-MM-DD</c> (the service validates the calendar; the database the shape).</summary>
    public static void HasDateCheck<T>(this EntityTypeBuilder<T> builder, string column)
        where T : class
        => builder.HasColumnCheck(column, $"{column} GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'");

    /// <summary>Adds <c>CHECK (sql)</c> named <c>ck_{table}_{column}</c>.</summary>
    public static void HasColumnCheck<T>(this EntityTypeBuilder<T> builder, string column, string sql)
        where T : class
    {
        var table = builder.Metadata.GetTableName()!;
        builder.ToTable(t => t.HasCheckConstraint($"ck_{table}_{column}", sql));
    }
}

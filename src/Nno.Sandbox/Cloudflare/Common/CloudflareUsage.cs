using System.Globalization;

namespace Nno.Sandbox.Cloudflare.Common;

/// <summary>One row of usage: a metric of a dataset's dimension on a UTC date.</summary>
public sealed record CloudflareUsageRow(string Date, string Dataset, string Dimension, string Metric, double Value);

/// <summary>
/// Usage counters the analytics area reports (table <c>usage_counters</c>): areas add what real calls did (D1 rows read
/// and written, KV/R2 operations) and <c>POST /_admin/usage</c> adds injected values to the same counters.
/// Datasets are the GraphQL node names (<c>d1AnalyticsAdaptiveGroups</c>, …); the dimension is the resource the value
/// belongs to (a database id, a bucket name, a script name…).
/// </summary>
public sealed class CloudflareUsage(CloudflareState state)
{
    internal const string Schema = """
        CREATE TABLE IF NOT EXISTS usage_counters (
            date TEXT NOT NULL,
            dataset TEXT NOT NULL,
            dimension TEXT NOT NULL,
            metric TEXT NOT NULL,
            value REAL NOT NULL,
            PRIMARY KEY (dataset, date, dimension, metric)
        ) WITHOUT ROWID;
        """;

    /// <summary>Adds <paramref name="value"/> to a counter (today's date by the clock unless <paramref name="date"/> is given).</summary>
    public async Task AddAsync(string dataset, string dimension, string metric, double value, DateOnly? date = null, CancellationToken cancellationToken = default)
    {
        var day = (date ?? DateOnly.FromDateTime(state.Now.UtcDateTime)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO usage_counters (date, dataset, dimension, metric, value) VALUES ($date, $dataset, $dimension, $metric, $value)
            ON CONFLICT (dataset, date, dimension, metric) DO UPDATE SET value = value + excluded.value
            """;
        command.Parameters.AddWithValue("$date", day);
        command.Parameters.AddWithValue("$dataset", dataset);
        command.Parameters.AddWithValue("$dimension", dimension);
        command.Parameters.AddWithValue("$metric", metric);
        command.Parameters.AddWithValue("$value", value);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The counters of <paramref name="dataset"/> between two dates (inclusive), ordered by date.</summary>
    public async Task<IReadOnlyList<CloudflareUsageRow>> ReadAsync(string dataset, DateOnly from, DateOnly to, CancellationToken cancellationToken = default)
    {
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT date, dataset, dimension, metric, value FROM usage_counters
            WHERE dataset = $dataset AND date >= $from AND date <= $to ORDER BY date, dimension, metric
            """;
        command.Parameters.AddWithValue("$dataset", dataset);
        command.Parameters.AddWithValue("$from", from.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        command.Parameters.AddWithValue("$to", to.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        var rows = new List<CloudflareUsageRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new CloudflareUsageRow(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetDouble(4)));
        }

        return rows;
    }
}

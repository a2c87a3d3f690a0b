using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Nno.Billing.Data;
using Nno.Testing;

namespace Nno.Billing.Tests.Support;

/// <summary>
/// A fresh <c>billing.db</c> in a temp directory with every migration applied, opened with raw SQL so the schema itself
/// (not EF's view of it) is what the tests check.
/// </summary>
internal sealed class BillingDatabase : IAsyncDisposable
{
    private readonly TempDirectory _directory;

    private BillingDatabase(TempDirectory directory, SqliteConnection connection)
    {
        _directory = directory;
        Connection = connection;
    }

    public SqliteConnection Connection { get; }

    public static async Task<BillingDatabase> CreateAsync()
    {
        var directory = new TempDirectory("nno-billing");
        var path = Path.Combine(directory.Path, "billing.db");
        var options = new DbContextOptionsBuilder<BillingDbContext>().UseSqlite($"Data Source={path};Pooling=False").Options;
        await using (var context = new BillingDbContext(options))
        {
            await context.Database.MigrateAsync();
        }

        // Foreign keys are off by default in SQLite; EF turns them on for every connection, so the tests do too.
        var connection = new SqliteConnection($"Data Source={path};Foreign Keys=True;Pooling=False");
        await connection.OpenAsync();
        return new BillingDatabase(directory, connection);
    }

    public async Task ExecuteAsync(string sql, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(sql, parameters);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<object?> ScalarAsync(string sql, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(sql, parameters);
        var value = await command.ExecuteScalarAsync();
        return value is DBNull ? null : value;
    }

    public async Task<List<object?[]>> RowsAsync(string sql, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(sql, parameters);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<object?[]>();
        while (await reader.ReadAsync())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }

            rows.Add(row);
        }

        return rows;
    }

    /// <summary>Inserts <paramref name="row"/> into <paramref name="table"/> with parameters.</summary>
    public Task InsertAsync(string table, IReadOnlyDictionary<string, object?> row)
    {
        var columns = row.Keys.ToList();
        var sql = $"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ({string.Join(", ", columns.Select((_, i) => "$p" + i))})";
        return ExecuteAsync(sql, [.. columns.Select((c, i) => ("$p" + i, row[c]))]);
    }

    public async ValueTask DisposeAsync()
    {
        await Connection.DisposeAsync();
        _directory.Dispose();
    }

    private SqliteCommand Command(string sql, (string Name, object? Value)[] parameters)
    {
        var command = Connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }
}

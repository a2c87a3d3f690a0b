using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Nno.Sandbox.Cloudflare.Pipeline;

namespace Nno.Sandbox.Cloudflare.Common;

/// <summary>
/// What every area shares: the clock, the configured account and zone, the data folder
/// <c>{dataDir}/sandbox/cloudflare/</c> and its metadata SQLite database, the admin fault knobs, and id generation.
/// One per application (singleton).
/// </summary>
public sealed class CloudflareState
{
    private readonly string _metadataConnectionString;

    public CloudflareState(IOptions<CloudflareOptions> options, IConfiguration configuration, TimeProvider time, CloudflareFaults faults)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(configuration);
        Options = options.Value;
        Time = time;
        Faults = faults;
        var environment = configuration["Nno:Environment"] ?? "local";
        var dataDir = configuration["Nno:DataDir"] ?? configuration["NNO_DATA_DIR"] ?? Path.Combine(".nno", environment);
        Root = Path.GetFullPath(Path.Combine(dataDir, "sandbox", "cloudflare"));
        Directory.CreateDirectory(Root);
        MetadataPath = Path.Combine(Root, "metadata.db");
        _metadataConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = MetadataPath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public CloudflareOptions Options { get; }

    public TimeProvider Time { get; }

    /// <summary>The admin knobs in force (read them per request: they change at run time).</summary>
    public CloudflareFaults Faults { get; }

    /// <summary><c>{dataDir}/sandbox/cloudflare</c>.</summary>
    public string Root { get; }

    /// <summary>The metadata SQLite file every area keeps its tables in.</summary>
    public string MetadataPath { get; }

    public string AccountId => Options.AccountId;

    public string ZoneId => Options.ZoneId;

    public string ZoneName => Options.ZoneName;

    public DateTimeOffset Now => Time.GetUtcNow();

    /// <summary>A folder of the area's own files under <see cref="Root"/> (created; emptied by reset).</summary>
    public string AreaDirectory(string area)
    {
        var path = Path.Combine(Root, area);
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>An open connection to the metadata database (WAL, foreign keys on). Dispose it after use.</summary>
    public async Task<SqliteConnection> OpenMetadataAsync(CancellationToken cancellationToken = default)
    {
        var connection = new SqliteConnection(_metadataConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA foreign_keys = ON;";
        await pragma.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }

    /// <summary>A Cloudflare-style id: 32 lowercase hex characters.</summary>
    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>A UUID string (D1 database ids, custom hostname ids).</summary>
    public static string NewUuid() => Guid.NewGuid().ToString("D");

    /// <summary>Cloudflare's timestamp text of now.</summary>
    public string NowText() => CloudflareJson.Timestamp(Now);

    /// <summary>Creates the tables of every area (idempotent).</summary>
    internal async Task EnsureSchemaAsync(IEnumerable<CloudflareArea> areas, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenMetadataAsync(cancellationToken);
        await using (var wal = connection.CreateCommand())
        {
            wal.CommandText = "PRAGMA journal_mode = WAL;";
            await wal.ExecuteNonQueryAsync(cancellationToken);
        }

        foreach (var schema in areas.Select(a => a.Schema).Prepend(CloudflareUsage.Schema).Where(s => !string.IsNullOrWhiteSpace(s)))
        {
            await using var command = connection.CreateCommand();
            command.CommandText = schema;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>Drops every table and every area folder, then recreates the schema (admin reset).</summary>
    internal async Task ResetAsync(IEnumerable<CloudflareArea> areas, CancellationToken cancellationToken = default)
    {
        await using (var connection = await OpenMetadataAsync(cancellationToken))
        {
            var tables = new List<string>();
            await using (var list = connection.CreateCommand())
            {
                list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'";
                await using var reader = await list.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    tables.Add(reader.GetString(0));
                }
            }

            await using (var off = connection.CreateCommand())
            {
                off.CommandText = "PRAGMA foreign_keys = OFF;";
                await off.ExecuteNonQueryAsync(cancellationToken);
            }

            foreach (var table in tables)
            {
                await using var drop = connection.CreateCommand();
                drop.CommandText = $"DROP TABLE IF EXISTS \"{table.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
                await drop.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        SqliteConnection.ClearAllPools();
        foreach (var folder in Directory.EnumerateDirectories(Root))
        {
            Directory.Delete(folder, recursive: true);
        }

        await EnsureSchemaAsync(areas, cancellationToken);
    }
}

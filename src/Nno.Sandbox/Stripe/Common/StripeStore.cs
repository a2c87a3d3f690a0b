using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;

namespace Nno.Sandbox.Stripe.Common;

/// <summary>
/// The emulator's state in <c>{dataDir}/sandbox/stripe/stripe.db</c>: every Stripe object as its JSON (table
/// <c>objects</c>, with the few columns lists filter on), idempotency records, events, per-customer payment behaviour
/// and the clock offset. Writes are serialized (one writer, as SQLite has anyway), so read-modify-write handlers are
/// safe. One per application (singleton).
/// </summary>
public sealed class StripeStore : IDisposable
{
    /// <summary>The tables (idempotent DDL), run at start and after an admin reset.</summary>
    public const string Schema = """
        CREATE TABLE IF NOT EXISTS objects (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            created INTEGER NOT NULL,
            customer TEXT NULL,
            product TEXT NULL,
            lookup_key TEXT NULL,
            active INTEGER NULL,
            data TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS ix_objects_kind_seq ON objects (kind, seq);
        CREATE INDEX IF NOT EXISTS ix_objects_kind_customer_seq ON objects (kind, customer, seq);
        CREATE INDEX IF NOT EXISTS ix_objects_kind_product_seq ON objects (kind, product, seq);
        CREATE UNIQUE INDEX IF NOT EXISTS ux_objects_kind_lookup_key ON objects (kind, lookup_key) WHERE lookup_key IS NOT NULL;
        CREATE INDEX IF NOT EXISTS ix_objects_kind_status_seq ON objects (kind, json_extract(data, '$.status'), seq);
        CREATE INDEX IF NOT EXISTS ix_objects_kind_subscription_seq ON objects (kind, json_extract(data, '$.parent.subscription_details.subscription'), seq);
        CREATE TABLE IF NOT EXISTS billing_due (
            object_id TEXT NOT NULL,
            action TEXT NOT NULL,
            due_at INTEGER NOT NULL,
            PRIMARY KEY (object_id, action));
        CREATE INDEX IF NOT EXISTS ix_billing_due_due_at ON billing_due (due_at);
        CREATE TABLE IF NOT EXISTS billing_api_versions (
            subscription_id TEXT PRIMARY KEY,
            api_version TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            type TEXT NOT NULL,
            created INTEGER NOT NULL,
            api_version TEXT NOT NULL,
            object_id TEXT NULL,
            request_id TEXT NULL,
            idempotency_key TEXT NULL,
            pending_webhooks INTEGER NOT NULL DEFAULT 0,
            data TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS ix_events_created ON events (created);
        CREATE INDEX IF NOT EXISTS ix_events_type_seq ON events (type, seq);
        CREATE TABLE IF NOT EXISTS idempotency (
            key_hash TEXT NOT NULL,
            idempotency_key TEXT NOT NULL,
            method TEXT NOT NULL,
            path TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            status INTEGER NOT NULL,
            body TEXT NOT NULL,
            request_id TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (key_hash, idempotency_key));
        CREATE INDEX IF NOT EXISTS ix_idempotency_created_at ON idempotency (created_at);
        CREATE TABLE IF NOT EXISTS customer_payment_behavior (
            customer_id TEXT PRIMARY KEY,
            behavior TEXT NOT NULL CHECK (behavior IN ('succeed', 'decline')));
        CREATE TABLE IF NOT EXISTS clock (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            offset_seconds INTEGER NOT NULL);
        INSERT OR IGNORE INTO clock (id, offset_seconds) VALUES (1, 0);
        """;

    private const string IdAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private readonly string _connectionString;
    private readonly SemaphoreSlim _writer = new(1, 1);

    public StripeStore(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var environment = configuration["Nno:Environment"] ?? "local";
        var dataDir = configuration["Nno:DataDir"] ?? configuration["NNO_DATA_DIR"] ?? Path.Combine(".nno", environment);
        Root = Path.GetFullPath(Path.Combine(dataDir, "sandbox", "stripe"));
        Directory.CreateDirectory(Root);
        DatabasePath = Path.Combine(Root, "stripe.db");
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public void Dispose() => _writer.Dispose();

    /// <summary>Raised after every committed <see cref="WriteAsync{T}"/> (the webhook dispatcher wakes on it to send new events' deliveries).</summary>
    public event EventHandler? WriteCommitted;

    /// <summary><c>{dataDir}/sandbox/stripe</c>.</summary>
    public string Root { get; }

    /// <summary>The SQLite file.</summary>
    public string DatabasePath { get; }

    /// <summary>A Stripe id: <paramref name="prefix"/> (<c>cus</c>, <c>price</c>, …), an underscore and 24 letters or digits.</summary>
    public static string NewId(string prefix) => $"{prefix}_{RandomNumberGenerator.GetString(IdAlphabet, 24)}";

    /// <summary>An open connection (dispose it after use).</summary>
    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    /// <summary>
    /// Runs <paramref name="work"/> as the only writer, in one transaction on one connection (committed when it
    /// returns, rolled back when it throws).
    /// </summary>
    public async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        await _writer.WaitAsync(cancellationToken);
        var committed = false;
        try
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
            var result = await work(connection, transaction);
            await transaction.CommitAsync(cancellationToken);
            committed = true;
            return result;
        }
        finally
        {
            _writer.Release();
            if (committed)
            {
                WriteCommitted?.Invoke(this, EventArgs.Empty);
            }
        }
    }

    /// <summary>Creates the tables (idempotent).</summary>
    public async Task EnsureSchemaAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using (var wal = connection.CreateCommand())
        {
            wal.CommandText = "PRAGMA journal_mode = WAL;";
            await wal.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var command = connection.CreateCommand();
        command.CommandText = Schema;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Drops every table and recreates the schema (admin reset): objects, events, idempotency records, clock offset.</summary>
    public async Task ResetAsync(CancellationToken cancellationToken = default)
    {
        await _writer.WaitAsync(cancellationToken);
        try
        {
            await using var connection = await OpenAsync(cancellationToken);
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

            foreach (var table in tables)
            {
                await using var drop = connection.CreateCommand();
                drop.CommandText = $"DROP TABLE IF EXISTS \"{table.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
                await drop.ExecuteNonQueryAsync(cancellationToken);
            }

            await using var create = connection.CreateCommand();
            create.CommandText = Schema;
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
        finally
        {
            _writer.Release();
        }
    }

    /// <summary>The object with <paramref name="id"/> of <paramref name="kind"/> (any kind when null); null when none.</summary>
    public async Task<JsonObject?> GetObjectAsync(string id, string? kind, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await GetObjectAsync(connection, null, id, kind, cancellationToken);
    }

    /// <summary>The object with <paramref name="id"/> on an open connection (inside a write, pass its transaction).</summary>
    public static async Task<JsonObject?> GetObjectAsync(
        SqliteConnection connection, SqliteTransaction? transaction, string id, string? kind, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = kind is null
            ? "SELECT data FROM objects WHERE id = $id"
            : "SELECT data FROM objects WHERE id = $id AND kind = $kind";
        command.Parameters.AddWithValue("$id", id);
        if (kind is not null)
        {
            command.Parameters.AddWithValue("$kind", kind);
        }

        return await command.ExecuteScalarAsync(cancellationToken) is string json ? JsonNode.Parse(json)!.AsObject() : null;
    }

    /// <summary>Inserts a new object; its <c>id</c>, <c>object</c> and <c>created</c> come from <paramref name="data"/>.</summary>
    public static async Task InsertObjectAsync(SqliteConnection connection, SqliteTransaction transaction, JsonObject data, ObjectColumns columns, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(columns);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT INTO objects (id, kind, created, customer, product, lookup_key, active, data)
            VALUES ($id, $kind, $created, $customer, $product, $lookupKey, $active, $data)
            """;
        command.Parameters.AddWithValue("$id", (string)data["id"]!);
        command.Parameters.AddWithValue("$kind", (string)data["object"]!);
        command.Parameters.AddWithValue("$created", (long)data["created"]!);
        AddColumns(command, columns, data);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Replaces an object's JSON and filter columns.</summary>
    public static async Task UpdateObjectAsync(SqliteConnection connection, SqliteTransaction transaction, JsonObject data, ObjectColumns columns, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(columns);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            UPDATE objects SET customer = $customer, product = $product, lookup_key = $lookupKey, active = $active, data = $data
            WHERE id = $id
            """;
        command.Parameters.AddWithValue("$id", (string)data["id"]!);
        AddColumns(command, columns, data);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static void AddColumns(SqliteCommand command, ObjectColumns columns, JsonObject data)
    {
        command.Parameters.AddWithValue("$customer", (object?)columns.Customer ?? DBNull.Value);
        command.Parameters.AddWithValue("$product", (object?)columns.Product ?? DBNull.Value);
        command.Parameters.AddWithValue("$lookupKey", (object?)columns.LookupKey ?? DBNull.Value);
        command.Parameters.AddWithValue("$active", columns.Active is { } active ? (active ? 1 : 0) : DBNull.Value);
        command.Parameters.AddWithValue("$data", data.ToJsonString());
    }
}

/// <summary>The columns of <c>objects</c> lists filter on (the JSON stays the source of truth for answers).</summary>
public sealed record ObjectColumns(string? Customer = null, string? Product = null, string? LookupKey = null, bool? Active = null);

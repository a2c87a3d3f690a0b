using Microsoft.Data.Sqlite;
using Nno.Sandbox.Cloudflare.Common;

namespace Nno.Sandbox.Cloudflare.Kv;

/// <summary>A KV namespace as the API describes it.</summary>
internal sealed record KvNamespace(string Id, string Title, bool SupportsUrlEncoding);

/// <summary>A stored value; <see cref="Expiration"/> in seconds since the epoch, <see cref="Metadata"/> as JSON text.</summary>
internal sealed record KvEntry(string Key, byte[] Value, long? Expiration, string? Metadata);

/// <summary>A key as the key listing describes it (no value).</summary>
internal sealed record KvKey(string Name, long? Expiration, string? Metadata);

/// <summary>
/// KV namespaces and their entries in the metadata database. Expired entries read as absent (judged against the
/// emulator's clock) and are purged when their namespace is written.
/// </summary>
internal sealed class KvStore(CloudflareState state, CloudflareUsage usage)
{
    public const string Schema = """
        CREATE TABLE IF NOT EXISTS kv_namespaces (
            id TEXT NOT NULL PRIMARY KEY,
            title TEXT NOT NULL UNIQUE,
            created_on TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS kv_entries (
            namespace_id TEXT NOT NULL REFERENCES kv_namespaces(id) ON DELETE CASCADE,
            key TEXT NOT NULL,
            value BLOB NOT NULL,
            expiration INTEGER NULL,
            metadata TEXT NULL,
            PRIMARY KEY (namespace_id, key)
        );
        CREATE INDEX IF NOT EXISTS ix_kv_entries_expiration ON kv_entries (namespace_id, expiration) WHERE expiration IS NOT NULL;
        """;

    public const string OperationsDataset = "kvOperationsAdaptiveGroups";

    private long NowSeconds => state.Now.ToUnixTimeSeconds();

    public async Task<(IReadOnlyList<KvNamespace> Items, int Total)> ListNamespacesAsync(bool byTitle, bool descending, CloudflarePaging paging, CancellationToken cancellationToken)
    {
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        var order = (byTitle ? "title" : "id") + (descending ? " DESC" : " ASC");
        await using var command = Command(connection,
            $"SELECT id, title, (SELECT count(*) FROM kv_namespaces) FROM kv_namespaces ORDER BY {order} LIMIT $limit OFFSET $offset",
            ("$limit", paging.PerPage), ("$offset", paging.Offset));
        var items = new List<KvNamespace>();
        var total = 0;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                items.Add(new KvNamespace(reader.GetString(0), reader.GetString(1), true));
                total = reader.GetInt32(2);
            }
        }

        if (items.Count == 0 && paging.Page > 1)
        {
            await using var count = Command(connection, "SELECT count(*) FROM kv_namespaces");
            total = Convert.ToInt32(await count.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
        }

        return (items, total);
    }

    /// <summary>Creates a namespace; null when the title is taken.</summary>
    public async Task<KvNamespace?> CreateNamespaceAsync(string title, CancellationToken cancellationToken)
    {
        var created = new KvNamespace(CloudflareState.NewId(), title, true);
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        await using var command = Command(connection,
            "INSERT INTO kv_namespaces (id, title, created_on) VALUES ($id, $title, $created) ON CONFLICT (title) DO NOTHING",
            ("$id", created.Id), ("$title", title), ("$created", state.NowText()));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1 ? created : null;
    }

    public async Task<KvNamespace?> GetNamespaceAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        await using var command = Command(connection, "SELECT id, title FROM kv_namespaces WHERE id = $id", ("$id", id));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new KvNamespace(reader.GetString(0), reader.GetString(1), true) : null;
    }

    /// <summary>Deletes a namespace and its entries; false when it does not exist.</summary>
    public async Task<bool> DeleteNamespaceAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        await using var command = Command(connection, "DELETE FROM kv_namespaces WHERE id = $id", ("$id", id));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>The live (not expired) entry, or null.</summary>
    public async Task<KvEntry?> GetAsync(string namespaceId, string key, CancellationToken cancellationToken)
    {
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        await using var command = Command(connection, """
            SELECT key, value, expiration, metadata FROM kv_entries
            WHERE namespace_id = $ns AND key = $key AND (expiration IS NULL OR expiration > $now)
            """, ("$ns", namespaceId), ("$key", key), ("$now", NowSeconds));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new KvEntry(reader.GetString(0), (byte[])reader.GetValue(1), reader.IsDBNull(2) ? null : reader.GetInt64(2),
                reader.IsDBNull(3) ? null : reader.GetString(3))
            : null;
    }

    /// <summary>Writes entries in one transaction (all or none); false when the namespace does not exist.</summary>
    public async Task<bool> PutAsync(string namespaceId, IReadOnlyList<KvEntry> entries, CancellationToken cancellationToken)
    {
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using (var exists = Command(connection, "SELECT 1 FROM kv_namespaces WHERE id = $ns", ("$ns", namespaceId)))
        {
            exists.Transaction = transaction;
            if (await exists.ExecuteScalarAsync(cancellationToken) is null)
            {
                return false;
            }
        }

        await PurgeExpiredAsync(connection, transaction, namespaceId, cancellationToken);
        await using var insert = Command(connection, """
            INSERT INTO kv_entries (namespace_id, key, value, expiration, metadata) VALUES ($ns, $key, $value, $expiration, $metadata)
            ON CONFLICT (namespace_id, key) DO UPDATE SET value = excluded.value, expiration = excluded.expiration, metadata = excluded.metadata
            """, ("$ns", namespaceId), ("$key", ""), ("$value", Array.Empty<byte>()), ("$expiration", null), ("$metadata", null));
        insert.Transaction = transaction;
        foreach (var entry in entries)
        {
            insert.Parameters["$key"].Value = entry.Key;
            insert.Parameters["$value"].Value = entry.Value;
            insert.Parameters["$expiration"].Value = (object?)entry.Expiration ?? DBNull.Value;
            insert.Parameters["$metadata"].Value = (object?)entry.Metadata ?? DBNull.Value;
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Deletes keys (missing ones are fine, as in KV) in one transaction; false when the namespace does not exist.</summary>
    public async Task<bool> DeleteAsync(string namespaceId, IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using (var exists = Command(connection, "SELECT 1 FROM kv_namespaces WHERE id = $ns", ("$ns", namespaceId)))
        {
            exists.Transaction = transaction;
            if (await exists.ExecuteScalarAsync(cancellationToken) is null)
            {
                return false;
            }
        }

        await PurgeExpiredAsync(connection, transaction, namespaceId, cancellationToken);
        await using var delete = Command(connection, "DELETE FROM kv_entries WHERE namespace_id = $ns AND key = $key", ("$ns", namespaceId), ("$key", ""));
        delete.Transaction = transaction;
        foreach (var key in keys)
        {
            delete.Parameters["$key"].Value = key;
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Live keys with <paramref name="prefix"/> after <paramref name="after"/> in byte order, up to <paramref name="limit"/> + 1.</summary>
    public async Task<IReadOnlyList<KvKey>> ListKeysAsync(string namespaceId, string prefix, string? after, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        await using var command = Command(connection, """
            SELECT key, expiration, metadata FROM kv_entries
            WHERE namespace_id = $ns AND key >= $prefix AND ($upper IS NULL OR key < $upper) AND ($after IS NULL OR key > $after)
              AND (expiration IS NULL OR expiration > $now)
            ORDER BY key LIMIT $limit
            """, ("$ns", namespaceId), ("$prefix", prefix), ("$upper", prefix.Length == 0 ? null : prefix + "\U0010FFFF"),
            ("$after", after), ("$now", NowSeconds), ("$limit", limit + 1));
        var keys = new List<KvKey>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(new KvKey(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetString(2)));
        }

        return keys;
    }

    /// <summary>Counts one operation on the namespace for analytics.</summary>
    public Task CountAsync(string namespaceId, CancellationToken cancellationToken) =>
        usage.AddAsync(OperationsDataset, namespaceId, "requests", 1, cancellationToken: cancellationToken);

    private async Task PurgeExpiredAsync(SqliteConnection connection, SqliteTransaction transaction, string namespaceId, CancellationToken cancellationToken)
    {
        await using var purge = Command(connection, "DELETE FROM kv_entries WHERE namespace_id = $ns AND expiration IS NOT NULL AND expiration <= $now",
            ("$ns", namespaceId), ("$now", NowSeconds));
        purge.Transaction = transaction;
        await purge.ExecuteNonQueryAsync(cancellationToken);
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }
}

using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Nno.Storage.Sqlite;

/// <summary>
/// Embedded KV: one SQLite file per namespace, <c>{dataDir}/kv/{namespace}.db</c> (WAL, busy timeout, prepared
/// statements). Several stores, in one process or several, may open the same files at once.
/// </summary>
public sealed class SqliteKeyValueStore : IKeyValueStore, IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<SqliteKeyValueNamespace>> _namespaces = new(StringComparer.Ordinal);
    private readonly NnoStorageOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private int _disposed;

    public SqliteKeyValueStore(IOptions<NnoStorageOptions> options, TimeProvider time, ILogger<SqliteKeyValueStore>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        DataDir = StoragePaths.RequireDataDir(_options);
    }

    public string DataDir { get; }

    /// <summary>The file of namespace <paramref name="name"/> under <paramref name="dataDir"/>.</summary>
    public static string FilePath(string dataDir, string name) => Path.Combine(dataDir, "kv", name + ".db");

    public IKeyValueNamespace GetNamespace(string name) => Open(name);

    private SqliteKeyValueNamespace Open(string name)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        KvRules.ValidateNamespace(name);
        return _namespaces.GetOrAdd(name, n => new Lazy<SqliteKeyValueNamespace>(() =>
            new SqliteKeyValueNamespace(n, FilePath(DataDir, n), _options, _time))).Value;
    }

    /// <summary>Deletes expired keys of every namespace this store has opened; returns how many.</summary>
    public async Task<long> PurgeExpiredAsync(CancellationToken cancellationToken = default)
    {
        long total = 0;
        foreach (var entry in _namespaces.Values.Where(l => l.IsValueCreated).Select(l => l.Value))
        {
            var removed = await entry.PurgeExpiredAsync(cancellationToken);
            if (removed > 0)
            {
                _logger.LogDebug("Removed {Count} expired key(s) from KV namespace {Namespace}", removed, entry.Name);
            }

            total += removed;
        }

        return total;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var entry in _namespaces.Values.Where(l => l.IsValueCreated))
        {
            entry.Value.Dispose();
        }

        _namespaces.Clear();
    }
}

/// <summary>One namespace in its own file. Expired rows stay until the cleanup but are filtered out of every read.</summary>
internal sealed class SqliteKeyValueNamespace : IKeyValueNamespace, IDisposable
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS kv (
            key TEXT NOT NULL PRIMARY KEY,
            value BLOB NOT NULL,
            metadata TEXT NULL,
            expires_at INTEGER NULL
        );
        CREATE INDEX IF NOT EXISTS kv_expires_at ON kv (expires_at) WHERE expires_at IS NOT NULL;
        """;

    private const string GetSql = "SELECT value, metadata, expires_at FROM kv WHERE key = @key AND (expires_at IS NULL OR expires_at > @now)";

    private const string PutSql = """
        INSERT INTO kv (key, value, metadata, expires_at) VALUES (@key, @value, @metadata, @expires)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value, metadata = excluded.metadata, expires_at = excluded.expires_at
        """;

    private const string DeleteSql = "DELETE FROM kv WHERE key = @key";

    // TEXT with the BINARY collation sorts by the bytes of the UTF-8 encoding: Cloudflare's list order. Rows are read
    // from the prefix on and reading stops at the first key without it, so one page costs one index range scan.
    private const string ListFirstSql = """
        SELECT key, expires_at, metadata FROM kv
        WHERE key >= @prefix AND (expires_at IS NULL OR expires_at > @now)
        ORDER BY key LIMIT @take
        """;

    private const string ListNextSql = """
        SELECT key, expires_at, metadata FROM kv
        WHERE key > @after AND key >= @prefix AND (expires_at IS NULL OR expires_at > @now)
        ORDER BY key LIMIT @take
        """;

    private const string PurgeSql = "DELETE FROM kv WHERE rowid IN (SELECT rowid FROM kv WHERE expires_at <= @now LIMIT @batch)";

    private readonly SqliteDatabase _db;
    private readonly KvOptions _options;
    private readonly TimeProvider _time;

    public SqliteKeyValueNamespace(string name, string path, NnoStorageOptions options, TimeProvider time)
    {
        Name = name;
        _options = options.Kv;
        _time = time;
        _db = new SqliteDatabase(path, Schema, options.KvSynchronous, options.BusyTimeout, options.MaxConnectionsPerFile);
    }

    public string Name { get; }

    public Task<KvEntry?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        KvRules.ValidateKey(key, _options);
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        return _db.RunAsync(session =>
        {
            using var reader = session.Command(GetSql).With("@key", key).With("@now", now).ExecuteReader();
            if (!reader.Read())
            {
                return null;
            }

            var value = (byte[])reader.GetValue(0);
            return new KvEntry(value, KvRules.ParseMetadata(reader.GetNullableString(1)), SqliteParameters.ToTime(reader.GetNullableInt64(2)));
        }, cancellationToken);
    }

    public Task PutAsync(string key, ReadOnlyMemory<byte> value, KvPutOptions? options = null, CancellationToken cancellationToken = default)
    {
        KvRules.ValidateKey(key, _options);
        KvRules.ValidateValue(value, _options);
        var metadata = KvRules.SerializeMetadata(options, _options);
        var expires = KvRules.ResolveExpiration(options, _time.GetUtcNow(), _options)?.ToUnixTimeMilliseconds();
        var bytes = value.ToArray();
        return _db.RunAsync(session => session.Command(PutSql)
            .With("@key", key).With("@value", bytes).With("@metadata", metadata).With("@expires", expires)
            .ExecuteNonQuery(), cancellationToken);
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        KvRules.ValidateKey(key, _options);
        return _db.RunAsync(session => session.Command(DeleteSql).With("@key", key).ExecuteNonQuery(), cancellationToken);
    }

    public Task<KvListResult> ListAsync(KvListOptions? options = null, CancellationToken cancellationToken = default)
    {
        var limit = KvRules.ResolveLimit(options, _options);
        var prefix = options?.Prefix ?? string.Empty;
        var after = options?.Cursor is { Length: > 0 } cursor ? KvRules.DecodeCursor(cursor) : null;
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        return _db.RunAsync(session =>
        {
            var command = after is null
                ? session.Command(ListFirstSql)
                : session.Command(ListNextSql).With("@after", after);
            command.With("@prefix", prefix).With("@now", now).With("@take", limit + 1);
            var keys = new List<KvKeyInfo>(Math.Min(limit, 128));
            var more = false;
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var key = reader.GetString(0);
                if (!key.StartsWith(prefix, StringComparison.Ordinal))
                {
                    break;
                }

                if (keys.Count == limit)
                {
                    more = true;
                    break;
                }

                keys.Add(new KvKeyInfo(key, SqliteParameters.ToTime(reader.GetNullableInt64(1)), KvRules.ParseMetadata(reader.GetNullableString(2))));
            }

            return new KvListResult(keys, !more, more ? KvRules.EncodeCursor(keys[^1].Name) : null);
        }, cancellationToken);
    }

    /// <summary>Deletes expired rows in bounded batches, so readers and writers are never held up for long.</summary>
    public async Task<long> PurgeExpiredAsync(CancellationToken cancellationToken)
    {
        long total = 0;
        while (true)
        {
            var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            var removed = await _db.RunAsync(session => session.Command(PurgeSql)
                .With("@now", now).With("@batch", _options.CleanupBatchSize).ExecuteNonQuery(), cancellationToken);
            total += removed;
            if (removed < _options.CleanupBatchSize)
            {
                return total;
            }
        }
    }

    public void Dispose() => _db.Dispose();
}

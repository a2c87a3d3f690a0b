using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Nno.Storage.Sqlite;

/// <summary>
/// Embedded queues: every queue of the data directory in one SQLite file, <c>{dataDir}/queues/queues.db</c> (WAL,
/// busy timeout, prepared statements), so moving a message to its dead-letter queue is one
/// atomic update. A message row is deleted only by an ack (or by exhausting its retries without a dead-letter queue).
/// Delivery leases a message by setting a lease token and pushing <c>visible_at</c> to the end of the lease in the
/// same statement that selects it, under SQLite's single writer lock: two consumers can never hold one message.
/// </summary>
public sealed class SqliteQueueStore : IQueueStore, IDisposable
{
    internal const string Schema = """
        CREATE TABLE IF NOT EXISTS messages (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL,
            queue TEXT NOT NULL,
            content_type TEXT NOT NULL,
            body BLOB NOT NULL,
            sent_at INTEGER NOT NULL,
            visible_at INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            lease_token TEXT NULL,
            last_error TEXT NULL,
            dead_letter_source TEXT NULL,
            dead_letter_attempts INTEGER NULL,
            dead_lettered_at INTEGER NULL
        );
        CREATE INDEX IF NOT EXISTS messages_visible ON messages (queue, visible_at);
        CREATE INDEX IF NOT EXISTS messages_leased ON messages (queue, visible_at) WHERE lease_token IS NOT NULL;
        CREATE INDEX IF NOT EXISTS messages_lease_token ON messages (lease_token) WHERE lease_token IS NOT NULL;
        """;

    private readonly ConcurrentDictionary<string, QueueSignal> _signals = new(StringComparer.Ordinal);
    private readonly NnoStorageOptions _options;
    private int _disposed;

    public SqliteQueueStore(IOptions<NnoStorageOptions> options, TimeProvider time, ILogger<SqliteQueueStore>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        Time = time ?? throw new ArgumentNullException(nameof(time));
        Logger = (ILogger?)logger ?? NullLogger.Instance;
        DataDir = StoragePaths.RequireDataDir(_options);
        Database = new SqliteDatabase(FilePath(DataDir), Schema, _options.QueueSynchronous, _options.BusyTimeout, _options.MaxConnectionsPerFile);
    }

    public string DataDir { get; }

    /// <summary>The queue file under <paramref name="dataDir"/>.</summary>
    public static string FilePath(string dataDir) => Path.Combine(dataDir, "queues", "queues.db");

    internal SqliteDatabase Database { get; }

    internal TimeProvider Time { get; }

    internal ILogger Logger { get; }

    internal QueueLimits Limits => _options.QueueLimits;

    public IQueueProducer GetProducer(string queueName)
    {
        ThrowIfDisposed();
        QueueRules.ValidateName(queueName);
        return new SqliteQueueProducer(this, queueName);
    }

    public IQueueConsumer GetConsumer(string queueName, QueueOptions? options = null)
    {
        ThrowIfDisposed();
        QueueRules.ValidateName(queueName);
        options ??= GetOptions(queueName);
        if (options.DeadLetterQueue is { } dlq && (!QueueRules.IsValidName(dlq) || dlq == queueName))
        {
            throw new ArgumentException("The dead-letter queue must be another valid queue name.", nameof(options));
        }

        if (options.MaxBatchSize < 1 || options.VisibilityTimeout <= TimeSpan.Zero || options.PollInterval <= TimeSpan.Zero || options.MaxRetries < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Batch size, visibility timeout and poll interval must be positive; max retries not negative.");
        }

        return new SqliteQueueConsumer(this, queueName, options);
    }

    public QueueOptions GetOptions(string queueName)
    {
        QueueRules.ValidateName(queueName);
        return _options.ForQueue(queueName);
    }

    public Task<QueueStats> GetStatsAsync(string queueName, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        QueueRules.ValidateName(queueName);
        var now = Time.GetUtcNow().ToUnixTimeMilliseconds();
        return Database.RunAsync(session =>
        {
            using var reader = session.Command("""
                SELECT
                    coalesce(sum(CASE WHEN visible_at <= @now THEN 1 ELSE 0 END), 0),
                    coalesce(sum(CASE WHEN visible_at > @now AND lease_token IS NOT NULL THEN 1 ELSE 0 END), 0),
                    coalesce(sum(CASE WHEN visible_at > @now AND lease_token IS NULL THEN 1 ELSE 0 END), 0)
                FROM messages WHERE queue = @queue
                """).With("@queue", queueName).With("@now", now).ExecuteReader();
            reader.Read();
            return new QueueStats(queueName, reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
        }, cancellationToken);
    }

    /// <summary>Wakes this store's consumers of <paramref name="queueName"/> waiting for messages.</summary>
    internal void Notify(string queueName)
    {
        if (_signals.TryGetValue(queueName, out var signal))
        {
            signal.Set();
        }
    }

    internal QueueSignal Signal(string queueName) => _signals.GetOrAdd(queueName, _ => new QueueSignal());

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Database.Dispose();
    }
}

/// <summary>An in-process wake-up for waiting consumers: completes the current task and starts a new one.</summary>
internal sealed class QueueSignal
{
    private TaskCompletionSource _current = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task WaitTask => Volatile.Read(ref _current).Task;

    public void Set() => Interlocked.Exchange(ref _current, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}

internal sealed class SqliteQueueProducer(SqliteQueueStore store, string queueName) : IQueueProducer
{
    private const string InsertSql = """
        INSERT INTO messages (id, queue, content_type, body, sent_at, visible_at, attempts)
        VALUES (@id, @queue, @type, @body, @sent, @visible, 0)
        """;

    public string QueueName { get; } = queueName;

    public async Task<string> SendAsync(QueueSendRequest message, CancellationToken cancellationToken = default) =>
        (await SendBatchAsync([message], null, cancellationToken))[0];

    public async Task<IReadOnlyList<string>> SendBatchAsync(IEnumerable<QueueSendRequest> messages, TimeSpan? delay = null, CancellationToken cancellationToken = default)
    {
        var list = QueueRules.ValidateBatch(messages, delay, store.Limits);
        var now = store.Time.GetUtcNow();
        var ids = list.Select(_ => QueueRules.NewId()).ToArray();
        await store.Database.RunAsync(session =>
        {
            using var tx = session.Connection.BeginTransaction();
            for (var i = 0; i < list.Count; i++)
            {
                var message = list[i];
                var visible = now + (message.Delay ?? delay ?? TimeSpan.Zero);
                session.Command(InsertSql, tx)
                    .With("@id", ids[i]).With("@queue", QueueName).With("@type", QueueRules.ToStored(message.ContentType))
                    .With("@body", message.Body.ToArray()).With("@sent", now.ToUnixTimeMilliseconds())
                    .With("@visible", visible.ToUnixTimeMilliseconds())
                    .ExecuteNonQuery();
            }

            tx.Commit();
            return 0;
        }, cancellationToken);
        store.Notify(QueueName);
        return ids;
    }
}

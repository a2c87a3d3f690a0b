using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Nno.Storage.Sqlite;

internal sealed class SqliteQueueConsumer(SqliteQueueStore store, string queueName, QueueOptions options) : IQueueConsumer
{
    private const string CountSql = "SELECT count(*) FROM (SELECT 1 FROM messages WHERE queue = @queue AND visible_at <= @now LIMIT @limit)";

    // A message whose lease expired after its last allowed delivery is dead-lettered instead of delivered again.
    private const string DeadLetterExpiredSql = """
        UPDATE messages SET queue = @dlq, dead_letter_source = queue, dead_letter_attempts = attempts, dead_lettered_at = @now,
            attempts = 0, lease_token = NULL, visible_at = @now, last_error = @error
        WHERE queue = @queue AND lease_token IS NOT NULL AND visible_at <= @now AND attempts > @maxRetries
        """;

    private const string DiscardExpiredSql = """
        DELETE FROM messages
        WHERE queue = @queue AND lease_token IS NOT NULL AND visible_at <= @now AND attempts > @maxRetries
        RETURNING id
        """;

    private const string ClaimSql = """
        UPDATE messages SET attempts = attempts + 1, lease_token = @token, visible_at = @until
        WHERE seq IN (SELECT seq FROM messages WHERE queue = @queue AND visible_at <= @now ORDER BY visible_at, seq LIMIT @limit)
        RETURNING seq, id, content_type, body, sent_at, attempts, last_error, dead_letter_source, dead_letter_attempts, dead_lettered_at
        """;

    public string QueueName { get; } = queueName;

    public QueueOptions Options { get; } = options;

    public async Task<IQueueBatch> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        var signal = store.Signal(QueueName);
        DateTimeOffset? deadline = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // Take the wake-up task before looking, so a send between the look and the wait is not missed.
            var woken = signal.WaitTask;
            var now = store.Time.GetUtcNow();
            var available = await CountAvailableAsync(now, cancellationToken);
            if (available > 0)
            {
                deadline ??= now + Options.MaxBatchWait;
                if (available >= Options.MaxBatchSize || now >= deadline)
                {
                    var batch = await ClaimAsync(Options.MaxBatchSize, cancellationToken);
                    if (batch.Messages.Count > 0)
                    {
                        return batch;
                    }

                    // Another consumer took them first: start over.
                    deadline = null;
                    continue;
                }
            }
            else
            {
                deadline = null;
            }

            var wait = Options.PollInterval;
            if (deadline is { } d && d - now < wait)
            {
                wait = d - now;
            }

            await WaitAsync(woken, wait, cancellationToken);
        }
    }

    public Task<IQueueBatch> ReceiveAvailableAsync(int? maxMessages = null, CancellationToken cancellationToken = default)
    {
        var limit = maxMessages ?? Options.MaxBatchSize;
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1, nameof(maxMessages));
        return ClaimAsync(limit, cancellationToken);
    }

    private async Task WaitAsync(Task woken, TimeSpan wait, CancellationToken cancellationToken)
    {
        if (wait <= TimeSpan.Zero)
        {
            return;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(wait, store.Time, stop.Token);
        await Task.WhenAny(woken, delay);
        await stop.CancelAsync();
        cancellationToken.ThrowIfCancellationRequested();
    }

    private Task<long> CountAvailableAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        store.Database.RunAsync(session => (long)session.Command(CountSql)
            .With("@queue", QueueName).With("@now", now.ToUnixTimeMilliseconds()).With("@limit", Options.MaxBatchSize)
            .ExecuteScalar()!, cancellationToken);

    private async Task<IQueueBatch> ClaimAsync(int limit, CancellationToken cancellationToken)
    {
        var token = QueueRules.NewId();
        var now = store.Time.GetUtcNow();
        var nowMs = now.ToUnixTimeMilliseconds();
        var batch = new SqliteQueueBatch(store, QueueName, Options, token);
        var (rows, discarded) = await store.Database.RunAsync(session =>
        {
            using var tx = session.Connection.BeginTransaction();
            var discardedIds = new List<string>();
            if (Options.DeadLetterQueue is { } dlq)
            {
                session.Command(DeadLetterExpiredSql, tx)
                    .With("@dlq", dlq).With("@queue", QueueName).With("@now", nowMs).With("@maxRetries", Options.MaxRetries)
                    .With("@error", QueueDeadLetterInfo.LeaseExpiredError)
                    .ExecuteNonQuery();
            }
            else
            {
                using var gone = session.Command(DiscardExpiredSql, tx)
                    .With("@queue", QueueName).With("@now", nowMs).With("@maxRetries", Options.MaxRetries)
                    .ExecuteReader();
                while (gone.Read())
                {
                    discardedIds.Add(gone.GetString(0));
                }
            }

            var claimed = new List<ClaimedRow>();
            using (var reader = session.Command(ClaimSql, tx)
                .With("@token", token).With("@until", (now + Options.VisibilityTimeout).ToUnixTimeMilliseconds())
                .With("@queue", QueueName).With("@now", nowMs).With("@limit", limit)
                .ExecuteReader())
            {
                while (reader.Read())
                {
                    claimed.Add(ClaimedRow.Read(reader));
                }
            }

            tx.Commit();
            return (claimed, discardedIds);
        }, cancellationToken);

        foreach (var id in discarded)
        {
            store.Logger.LogWarning("Queue {Queue}: message {MessageId} discarded after its lease expired on its last allowed attempt (no dead-letter queue)", QueueName, id);
        }

        if (Options.DeadLetterQueue is { } target)
        {
            store.Notify(target);
        }

        batch.SetMessages(rows.OrderBy(r => r.Seq).Select(r => (r.Seq, r.ToMessage(batch))).ToList());
        return batch;
    }

    private sealed record ClaimedRow(long Seq, string Id, string ContentType, byte[] Body, long SentAt, int Attempts, string? LastError, string? DeadLetterSource, long? DeadLetterAttempts, long? DeadLetteredAt)
    {
        public static ClaimedRow Read(SqliteDataReader reader) => new(
            reader.GetInt64(0), reader.GetString(1), reader.GetString(2), (byte[])reader.GetValue(3), reader.GetInt64(4),
            reader.GetInt32(5), reader.GetNullableString(6), reader.GetNullableString(7), reader.GetNullableInt64(8), reader.GetNullableInt64(9));

        public QueueMessage ToMessage(IQueueBatch batch) => new(
            batch, Id, DateTimeOffset.FromUnixTimeMilliseconds(SentAt), Attempts, QueueRules.FromStored(ContentType), Body, LastError,
            DeadLetterSource is null
                ? null
                : new QueueDeadLetterInfo(DeadLetterSource, (int)(DeadLetterAttempts ?? 0), LastError, DateTimeOffset.FromUnixTimeMilliseconds(DeadLetteredAt ?? SentAt)));
    }
}

/// <summary>A leased batch; every settlement is conditional on this batch's lease token still being on the row.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The gate's wait handle is never created, so it holds nothing to release; batches are dropped, not disposed, by handlers.")]
internal sealed class SqliteQueueBatch(SqliteQueueStore store, string queueName, QueueOptions options, string token) : IQueueBatch
{
    private const string AckSql = "DELETE FROM messages WHERE seq = @seq AND lease_token = @token";
    private const string AckAllSql = "DELETE FROM messages WHERE lease_token = @token RETURNING seq";

    private const string RetrySql = """
        UPDATE messages SET lease_token = NULL, visible_at = @visible, last_error = coalesce(@error, last_error)
        WHERE seq = @seq AND lease_token = @token
        """;

    private const string RetryAllSql = """
        UPDATE messages SET lease_token = NULL, visible_at = @visible, last_error = coalesce(@error, last_error)
        WHERE lease_token = @token AND attempts <= @maxRetries
        RETURNING seq
        """;

    private const string DeadLetterSql = """
        UPDATE messages SET queue = @dlq, dead_letter_source = queue, dead_letter_attempts = attempts, dead_lettered_at = @now,
            attempts = 0, lease_token = NULL, visible_at = @now, last_error = coalesce(@error, last_error)
        WHERE seq = @seq AND lease_token = @token
        """;

    private const string DeadLetterAllSql = """
        UPDATE messages SET queue = @dlq, dead_letter_source = queue, dead_letter_attempts = attempts, dead_lettered_at = @now,
            attempts = 0, lease_token = NULL, visible_at = @now, last_error = coalesce(@error, last_error)
        WHERE lease_token = @token AND attempts > @maxRetries
        RETURNING seq
        """;

    private const string DiscardAllSql = "DELETE FROM messages WHERE lease_token = @token AND attempts > @maxRetries RETURNING seq";

    private const string ExtendSql = "UPDATE messages SET visible_at = @until WHERE lease_token = @token";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private Dictionary<QueueMessage, long> _seqs = [];
    private IReadOnlyList<QueueMessage> _messages = [];

    public string QueueName { get; } = queueName;

    public IReadOnlyList<QueueMessage> Messages => _messages;

    internal void SetMessages(List<(long Seq, QueueMessage Message)> messages)
    {
        _messages = messages.Select(m => m.Message).ToList();
        _seqs = messages.ToDictionary(m => m.Message, m => m.Seq);
    }

    public Task<bool> AckAsync(QueueMessage message, CancellationToken cancellationToken = default) =>
        SettleOneAsync(message, (session, seq) =>
            session.Command(AckSql).With("@seq", seq).With("@token", token).ExecuteNonQuery() == 1 ? QueueMessageOutcome.Acked : QueueMessageOutcome.LeaseLost, cancellationToken);

    public Task<bool> RetryAsync(QueueMessage message, TimeSpan? delay = null, string? error = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        QueueRules.ValidateDelay(delay, store.Limits, nameof(delay));
        error = QueueRules.TrimError(error);
        var now = store.Time.GetUtcNow();
        var visible = (now + (delay ?? options.RetryDelay)).ToUnixTimeMilliseconds();
        var exhausted = message.Attempts > options.MaxRetries;
        return SettleOneAsync(message, (session, seq) =>
        {
            if (!exhausted)
            {
                return session.Command(RetrySql).With("@visible", visible).With("@error", error).With("@seq", seq).With("@token", token)
                    .ExecuteNonQuery() == 1 ? QueueMessageOutcome.Retried : QueueMessageOutcome.LeaseLost;
            }

            if (options.DeadLetterQueue is { } dlq)
            {
                return session.Command(DeadLetterSql).With("@dlq", dlq).With("@now", now.ToUnixTimeMilliseconds()).With("@error", error)
                    .With("@seq", seq).With("@token", token)
                    .ExecuteNonQuery() == 1 ? QueueMessageOutcome.DeadLettered : QueueMessageOutcome.LeaseLost;
            }

            return session.Command(AckSql).With("@seq", seq).With("@token", token).ExecuteNonQuery() == 1
                ? QueueMessageOutcome.Discarded
                : QueueMessageOutcome.LeaseLost;
        }, cancellationToken);
    }

    public Task<bool> DeadLetterAsync(QueueMessage message, string? error = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        error = QueueRules.TrimError(error);
        var now = store.Time.GetUtcNow().ToUnixTimeMilliseconds();
        return SettleOneAsync(message, (session, seq) => options.DeadLetterQueue is { } dlq
            ? session.Command(DeadLetterSql).With("@dlq", dlq).With("@now", now).With("@error", error).With("@seq", seq).With("@token", token)
                .ExecuteNonQuery() == 1 ? QueueMessageOutcome.DeadLettered : QueueMessageOutcome.LeaseLost
            : session.Command(AckSql).With("@seq", seq).With("@token", token).ExecuteNonQuery() == 1
                ? QueueMessageOutcome.Discarded
                : QueueMessageOutcome.LeaseLost, cancellationToken);
    }

    public async Task AckAllAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!_messages.Any(m => m.Outcome == QueueMessageOutcome.Pending))
            {
                return;
            }

            var acked = await store.Database.RunAsync(session => ReadSeqs(session.Command(AckAllSql).With("@token", token)), cancellationToken);
            MarkPending(acked, QueueMessageOutcome.Acked);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task RetryAllAsync(TimeSpan? delay = null, string? error = null, CancellationToken cancellationToken = default)
    {
        QueueRules.ValidateDelay(delay, store.Limits, nameof(delay));
        error = QueueRules.TrimError(error);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!_messages.Any(m => m.Outcome == QueueMessageOutcome.Pending))
            {
                return;
            }

            var now = store.Time.GetUtcNow();
            var visible = (now + (delay ?? options.RetryDelay)).ToUnixTimeMilliseconds();
            var (retried, exhausted) = await store.Database.RunAsync(session =>
            {
                using var tx = session.Connection.BeginTransaction();
                var retried = ReadSeqs(session.Command(RetryAllSql, tx)
                    .With("@visible", visible).With("@error", error).With("@token", token).With("@maxRetries", options.MaxRetries));
                var exhausted = options.DeadLetterQueue is { } dlq
                    ? ReadSeqs(session.Command(DeadLetterAllSql, tx)
                        .With("@dlq", dlq).With("@now", now.ToUnixTimeMilliseconds()).With("@error", error)
                        .With("@token", token).With("@maxRetries", options.MaxRetries))
                    : ReadSeqs(session.Command(DiscardAllSql, tx).With("@token", token).With("@maxRetries", options.MaxRetries));
                tx.Commit();
                return (retried, exhausted);
            }, cancellationToken);
            foreach (var (message, seq) in _seqs)
            {
                if (retried.Contains(seq))
                {
                    message.TrySettle(QueueMessageOutcome.Retried);
                }
                else if (exhausted.Contains(seq))
                {
                    Exhausted(message, options.DeadLetterQueue is null ? QueueMessageOutcome.Discarded : QueueMessageOutcome.DeadLettered);
                }
            }

            MarkPending([], QueueMessageOutcome.LeaseLost);
            if (options.DeadLetterQueue is { } target && exhausted.Count > 0)
            {
                store.Notify(target);
            }

            if (retried.Count > 0)
            {
                store.Notify(QueueName);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<int> ExtendLeaseAsync(TimeSpan? duration = null, CancellationToken cancellationToken = default)
    {
        var extend = duration ?? options.VisibilityTimeout;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(extend, TimeSpan.Zero, nameof(duration));
        var until = (store.Time.GetUtcNow() + extend).ToUnixTimeMilliseconds();
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return await store.Database.RunAsync(session =>
                session.Command(ExtendSql).With("@until", until).With("@token", token).ExecuteNonQuery(), cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<bool> SettleOneAsync(QueueMessage message, Func<SqliteSession, long, QueueMessageOutcome> settle, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!_seqs.TryGetValue(message, out var seq))
        {
            throw new ArgumentException("The message does not belong to this batch.", nameof(message));
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (message.Outcome != QueueMessageOutcome.Pending)
            {
                return false;
            }

            var outcome = await store.Database.RunAsync(session => settle(session, seq), cancellationToken);
            if (outcome is QueueMessageOutcome.DeadLettered or QueueMessageOutcome.Discarded)
            {
                Exhausted(message, outcome);
            }
            else
            {
                message.TrySettle(outcome);
            }

            if (outcome == QueueMessageOutcome.Retried)
            {
                store.Notify(QueueName);
            }
            else if (outcome == QueueMessageOutcome.DeadLettered)
            {
                store.Notify(options.DeadLetterQueue!);
            }

            return outcome != QueueMessageOutcome.LeaseLost;
        }
        finally
        {
            _gate.Release();
        }
    }

    private void Exhausted(QueueMessage message, QueueMessageOutcome outcome)
    {
        message.TrySettle(outcome);
        if (outcome == QueueMessageOutcome.Discarded)
        {
            store.Logger.LogWarning("Queue {Queue}: message {MessageId} discarded after {Attempts} attempt(s) (no dead-letter queue)", QueueName, message.Id, message.Attempts);
        }
        else
        {
            store.Logger.LogWarning("Queue {Queue}: message {MessageId} dead-lettered to {DeadLetterQueue} after {Attempts} attempt(s)", QueueName, message.Id, options.DeadLetterQueue, message.Attempts);
        }
    }

    /// <summary>Marks the pending messages named in <paramref name="seqs"/> with <paramref name="outcome"/> and the other pending ones as lease lost.</summary>
    private void MarkPending(HashSet<long> seqs, QueueMessageOutcome outcome)
    {
        foreach (var (message, seq) in _seqs)
        {
            if (message.Outcome == QueueMessageOutcome.Pending)
            {
                message.TrySettle(seqs.Contains(seq) ? outcome : QueueMessageOutcome.LeaseLost);
            }
        }
    }

    private static HashSet<long> ReadSeqs(SqliteCommand command)
    {
        var seqs = new HashSet<long>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            seqs.Add(reader.GetInt64(0));
        }

        return seqs;
    }
}

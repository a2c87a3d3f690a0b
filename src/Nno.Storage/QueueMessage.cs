using System.Text;
using System.Text.Json;

namespace Nno.Storage;

/// <summary>How a message body is encoded (Cloudflare's content types, without <c>v8</c>).</summary>
public enum QueueContentType
{
    Json,
    Text,
    Bytes,
}

/// <summary>A message to send: body, content type, and an optional delay before it is first delivered.</summary>
public sealed record QueueSendRequest(ReadOnlyMemory<byte> Body, QueueContentType ContentType = QueueContentType.Bytes, TimeSpan? Delay = null)
{
    /// <summary>A JSON message (<see cref="StorageJson.Options"/> unless <paramref name="json"/> is given).</summary>
    public static QueueSendRequest Json<T>(T body, TimeSpan? delay = null, JsonSerializerOptions? json = null) =>
        new(JsonSerializer.SerializeToUtf8Bytes(body, json ?? StorageJson.Options), QueueContentType.Json, delay);

    /// <summary>A UTF-8 text message.</summary>
    public static QueueSendRequest Text(string body, TimeSpan? delay = null) =>
        new(Encoding.UTF8.GetBytes(body), QueueContentType.Text, delay);

    /// <summary>A raw bytes message.</summary>
    public static QueueSendRequest Raw(ReadOnlyMemory<byte> body, TimeSpan? delay = null) =>
        new(body, QueueContentType.Bytes, delay);
}

/// <summary>What happened to a delivered message.</summary>
public enum QueueMessageOutcome
{
    /// <summary>Still leased to this batch.</summary>
    Pending,

    /// <summary>Acked: deleted.</summary>
    Acked,

    /// <summary>Retried: available again after its delay.</summary>
    Retried,

    /// <summary>Attempts exceeded <c>max_retries</c>, or the consumer dead-lettered it: moved to the dead-letter queue.</summary>
    DeadLettered,

    /// <summary>Dead-lettered (as above) while the queue has no dead-letter queue: deleted.</summary>
    Discarded,

    /// <summary>The lease expired and another consumer took the message; this batch can no longer settle it.</summary>
    LeaseLost,
}

/// <summary>Where a dead-lettered message came from.</summary>
/// <param name="SourceQueue">The queue whose retries it exhausted.</param>
/// <param name="Attempts">Its deliveries there.</param>
/// <param name="LastError">The error of its last retry (if the consumer gave one).</param>
/// <param name="DeadLetteredAt">When it was moved.</param>
public sealed record QueueDeadLetterInfo(string SourceQueue, int Attempts, string? LastError, DateTimeOffset DeadLetteredAt)
{
    /// <summary>The last error of a message dead-lettered because its lease expired on its last allowed attempt.</summary>
    public const string LeaseExpiredError = "Lease expired: the consumer neither acked nor retried the message in time.";
}

/// <summary>A delivered message. Settle it through its batch (<see cref="AckAsync"/>, <see cref="RetryAsync"/>).</summary>
public sealed class QueueMessage
{
    private readonly IQueueBatch _batch;

    public QueueMessage(IQueueBatch batch, string id, DateTimeOffset timestamp, int attempts, QueueContentType contentType, ReadOnlyMemory<byte> body, string? lastError, QueueDeadLetterInfo? deadLetter)
    {
        ArgumentNullException.ThrowIfNull(batch);
        _batch = batch;
        Id = id;
        Timestamp = timestamp;
        Attempts = attempts;
        ContentType = contentType;
        Body = body;
        LastError = lastError;
        DeadLetter = deadLetter;
    }

    public string Id { get; }

    /// <summary>When it was sent.</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>Deliveries so far, this one included (1 on the first delivery).</summary>
    public int Attempts { get; }

    public QueueContentType ContentType { get; }

    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>The error given with the previous retry, if any.</summary>
    public string? LastError { get; }

    /// <summary>Set on messages of a dead-letter queue.</summary>
    public QueueDeadLetterInfo? DeadLetter { get; }

    /// <summary>What this batch did with the message so far.</summary>
    public QueueMessageOutcome Outcome { get; private set; } = QueueMessageOutcome.Pending;

    public string BodyAsString() => Encoding.UTF8.GetString(Body.Span);

    public T? BodyAsJson<T>(JsonSerializerOptions? json = null) => JsonSerializer.Deserialize<T>(Body.Span, json ?? StorageJson.Options);

    public Task<bool> AckAsync(CancellationToken cancellationToken = default) => _batch.AckAsync(this, cancellationToken);

    public Task<bool> RetryAsync(TimeSpan? delay = null, string? error = null, CancellationToken cancellationToken = default) =>
        _batch.RetryAsync(this, delay, error, cancellationToken);

    public Task<bool> DeadLetterAsync(string? error = null, CancellationToken cancellationToken = default) =>
        _batch.DeadLetterAsync(this, error, cancellationToken);

    /// <summary>Records the outcome once (implementations call this when they settle the message).</summary>
    internal bool TrySettle(QueueMessageOutcome outcome)
    {
        if (Outcome != QueueMessageOutcome.Pending || outcome == QueueMessageOutcome.Pending)
        {
            return false;
        }

        Outcome = outcome;
        return true;
    }

    internal bool BelongsTo(IQueueBatch batch) => ReferenceEquals(_batch, batch);
}

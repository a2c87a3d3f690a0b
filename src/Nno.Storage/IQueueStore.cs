namespace Nno.Storage;

/// <summary>
/// Named durable queues with Cloudflare Queues semantics (00-system §9): at-least-once, batched delivery, per-message
/// ack/retry with delay, <c>max_retries</c> then dead-lettering, and nothing lost when a process dies (a message is
/// deleted only when acked). Embedded mode keeps the queues in SQLite; a distributed implementation (RabbitMQ) serves
/// the same contract.
/// </summary>
public interface IQueueStore
{
    /// <summary>A sender to <paramref name="queueName"/> (<c>[a-z0-9-]{1,63}</c>).</summary>
    IQueueProducer GetProducer(string queueName);

    /// <summary>A consumer of <paramref name="queueName"/> with its configured settings, or <paramref name="options"/> instead.</summary>
    IQueueConsumer GetConsumer(string queueName, QueueOptions? options = null);

    /// <summary>The configured consumer settings of <paramref name="queueName"/>.</summary>
    QueueOptions GetOptions(string queueName);

    /// <summary>How many messages <paramref name="queueName"/> holds, by state (also a cheap readiness probe).</summary>
    Task<QueueStats> GetStatsAsync(string queueName, CancellationToken cancellationToken = default);
}

/// <summary>Sends messages to one queue.</summary>
public interface IQueueProducer
{
    string QueueName { get; }

    /// <summary>Stores one message durably and returns its id.</summary>
    Task<string> SendAsync(QueueSendRequest message, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores up to 100 messages in one atomic write (all or none) and returns their ids in order. A message's own
    /// delay wins over <paramref name="delay"/>.
    /// </summary>
    Task<IReadOnlyList<string>> SendBatchAsync(IEnumerable<QueueSendRequest> messages, TimeSpan? delay = null, CancellationToken cancellationToken = default);
}

/// <summary>Receives batches from one queue. Concurrent consumers never hold the same message at the same time.</summary>
public interface IQueueConsumer
{
    string QueueName { get; }

    /// <summary>The settings this consumer applies (batching, lease, retries, dead-letter queue).</summary>
    QueueOptions Options { get; }

    /// <summary>
    /// Waits until at least one message is available, then until <see cref="QueueOptions.MaxBatchSize"/> are or
    /// <see cref="QueueOptions.MaxBatchWait"/> has passed, and leases them as one batch (never empty).
    /// </summary>
    Task<IQueueBatch> ReceiveAsync(CancellationToken cancellationToken = default);

    /// <summary>Leases what is available now, at most <paramref name="maxMessages"/> (default: the batch size); may be empty.</summary>
    Task<IQueueBatch> ReceiveAvailableAsync(int? maxMessages = null, CancellationToken cancellationToken = default);
}

/// <summary>
/// A leased batch. Each message is settled once: ack deletes it; retry makes it available again after a delay, or
/// dead-letters it when its attempts exceed <c>max_retries</c>. The first settlement of a message wins; a message
/// whose lease expired and that another consumer took is no longer this batch's to settle.
/// </summary>
public interface IQueueBatch
{
    string QueueName { get; }

    IReadOnlyList<QueueMessage> Messages { get; }

    /// <summary>Deletes <paramref name="message"/>. False when it was already settled or its lease was lost.</summary>
    Task<bool> AckAsync(QueueMessage message, CancellationToken cancellationToken = default);

    /// <summary>Makes <paramref name="message"/> available again after <paramref name="delay"/> (default: the queue's retry delay), or dead-letters it.</summary>
    Task<bool> RetryAsync(QueueMessage message, TimeSpan? delay = null, string? error = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Moves <paramref name="message"/> to the dead-letter queue now, whatever its delivery count (discards it when the
    /// queue has none): for a consumer that counts attempts across messages of its own. False when it was already settled
    /// or its lease was lost.
    /// </summary>
    Task<bool> DeadLetterAsync(QueueMessage message, string? error = null, CancellationToken cancellationToken = default);

    /// <summary>Acks every message not settled yet.</summary>
    Task AckAllAsync(CancellationToken cancellationToken = default);

    /// <summary>Retries every message not settled yet.</summary>
    Task RetryAllAsync(TimeSpan? delay = null, string? error = null, CancellationToken cancellationToken = default);

    /// <summary>Extends the lease of the unsettled messages to now + <paramref name="duration"/> (default: the visibility timeout); returns how many still held.</summary>
    Task<int> ExtendLeaseAsync(TimeSpan? duration = null, CancellationToken cancellationToken = default);
}

/// <summary>Counts of one queue's messages.</summary>
/// <param name="QueueName">The queue.</param>
/// <param name="Available">Deliverable now (new, retried and due, or with an expired lease).</param>
/// <param name="InFlight">Leased to a consumer whose lease has not expired.</param>
/// <param name="Delayed">Waiting for their delay.</param>
public sealed record QueueStats(string QueueName, long Available, long InFlight, long Delayed)
{
    public long Total => Available + InFlight + Delayed;
}

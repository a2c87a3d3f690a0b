using Microsoft.Extensions.Options;

namespace Nno.Storage;

/// <summary>
/// Settings of NNO's KV namespaces and queues (configuration section <c>Nno:Storage</c>). Every limit, interval and
/// lease is here with its production default; the defaults follow Cloudflare KV and Queues.
/// </summary>
public sealed class NnoStorageOptions
{
    public const string Section = "Nno:Storage";

    /// <summary>
    /// Root directory of the embedded files (<c>{DataDir}/kv/{namespace}.db</c>, <c>{DataDir}/queues/queues.db</c>).
    /// When unset, <c>Nno:DataDir</c> is used, else <c>./.nno/{Nno:Environment}</c> (the rule of every NNO service).
    /// </summary>
    public string? DataDir { get; set; }

    /// <summary>How long a writer waits for another writer's lock before failing.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Open connections kept per database file (each with its prepared statements).</summary>
    public int MaxConnectionsPerFile { get; set; } = 8;

    /// <summary>
    /// Durability of a queue write (send, ack, retry) once it returned. <see cref="SqliteSynchronous.Normal"/> survives
    /// the process dying, like the services' own databases; <see cref="SqliteSynchronous.Full"/> also survives power
    /// loss at the cost of an fsync per commit.
    /// </summary>
    public SqliteSynchronous QueueSynchronous { get; set; } = SqliteSynchronous.Normal;

    /// <summary>Durability of a KV write once it returned (see <see cref="QueueSynchronous"/>).</summary>
    public SqliteSynchronous KvSynchronous { get; set; } = SqliteSynchronous.Normal;

    /// <summary>KV limits and housekeeping.</summary>
    public KvOptions Kv { get; set; } = new();

    /// <summary>Limits that apply to every queue's producers.</summary>
    public QueueLimits QueueLimits { get; set; } = new();

    /// <summary>
    /// Consumer settings per queue name. A queue without an entry uses the <see cref="QueueOptions"/> defaults
    /// (Cloudflare's). NNO's own queues are preset from provisioning.md §4.4.
    /// </summary>
    public Dictionary<string, QueueOptions> Queues { get; set; } = new(StringComparer.Ordinal)
    {
        [QueueNames.Provision] = new QueueOptions
        {
            MaxBatchSize = 5,
            MaxBatchWait = TimeSpan.FromSeconds(1),
            MaxRetries = 5,
            DeadLetterQueue = QueueNames.ProvisionDeadLetter,
        },
        [QueueNames.ProvisionDeadLetter] = new QueueOptions(),
    };

    /// <summary>The consumer settings of <paramref name="queueName"/>.</summary>
    public QueueOptions ForQueue(string queueName) =>
        Queues.TryGetValue(queueName, out var options) ? options : new QueueOptions();
}

/// <summary>SQLite's <c>synchronous</c> level for the embedded files (WAL mode).</summary>
public enum SqliteSynchronous
{
    /// <summary>Commits survive a process crash; the last ones may be lost on power loss.</summary>
    Normal,

    /// <summary>Every commit is fsynced: survives power loss too.</summary>
    Full,
}

/// <summary>KV limits (Cloudflare's) and expiry housekeeping.</summary>
public sealed class KvOptions
{
    /// <summary>Longest key, in UTF-8 bytes.</summary>
    public int MaxKeyBytes { get; set; } = 512;

    /// <summary>Largest value, in bytes.</summary>
    public int MaxValueBytes { get; set; } = 25 * 1024 * 1024;

    /// <summary>Largest metadata, in bytes of serialized JSON.</summary>
    public int MaxMetadataBytes { get; set; } = 1024;

    /// <summary>Shortest time to live a put may ask for (Cloudflare refuses less than 60 s); zero allows any.</summary>
    public TimeSpan MinimumTtl { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Keys per list page when the caller names no limit, and the most a caller may ask for.</summary>
    public int MaxListLimit { get; set; } = 1000;

    /// <summary>How often expired keys are deleted from the files (reads never see them anyway).</summary>
    public TimeSpan CleanupInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Rows deleted per statement by the cleanup, so it never holds the write lock long.</summary>
    public int CleanupBatchSize { get; set; } = 1000;
}

/// <summary>Producer limits (Cloudflare Queues').</summary>
public sealed class QueueLimits
{
    /// <summary>Largest message body, in bytes.</summary>
    public int MaxMessageBytes { get; set; } = 128 * 1024;

    /// <summary>Most messages in one <c>SendBatch</c>.</summary>
    public int MaxBatchMessages { get; set; } = 100;

    /// <summary>Largest total body size of one <c>SendBatch</c>, in bytes.</summary>
    public int MaxBatchBytes { get; set; } = 256 * 1024;

    /// <summary>Longest delay of a send or a retry.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromHours(12);
}

/// <summary>Consumer settings of one queue (Cloudflare's consumer configuration plus the lease of a pull consumer).</summary>
public sealed class QueueOptions
{
    /// <summary>Most messages delivered in one batch (<c>max_batch_size</c>).</summary>
    public int MaxBatchSize { get; set; } = 10;

    /// <summary>How long a receive waits for a batch to fill once a first message is available (<c>max_batch_timeout</c>).</summary>
    public TimeSpan MaxBatchWait { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Retries after the first delivery before the message is dead-lettered (<c>max_retries</c>).</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>Where a message goes when its retries are exhausted; null drops it (Cloudflare's behaviour without a DLQ).</summary>
    public string? DeadLetterQueue { get; set; }

    /// <summary>Delay of a retry that names none (<c>retry_delay</c>).</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// Lease of a delivered message: if it is neither acked nor retried in this time (the consumer died), it is
    /// delivered again, and that delivery counts as an attempt.
    /// </summary>
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a waiting consumer looks for messages (a send in the same store wakes it at once).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Batches a hosted consumer handles at the same time (<c>max_concurrency</c>).</summary>
    public int MaxConcurrency { get; set; } = 1;

    /// <summary>A copy, for callers that adjust one queue's settings without touching the shared instance.</summary>
    public QueueOptions Clone() => (QueueOptions)MemberwiseClone();
}

/// <summary>Checks <see cref="NnoStorageOptions"/> at start, so a bad setting fails the service instead of a request.</summary>
public sealed class NnoStorageOptionsValidator : IValidateOptions<NnoStorageOptions>
{
    public ValidateOptionsResult Validate(string? name, NnoStorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        void Check(bool ok, string message)
        {
            if (!ok)
            {
                failures.Add(message);
            }
        }

        Check(options.BusyTimeout > TimeSpan.Zero, "Nno:Storage:BusyTimeout must be positive.");
        Check(options.MaxConnectionsPerFile is >= 1 and <= 64, "Nno:Storage:MaxConnectionsPerFile must be 1-64.");
        Check(Enum.IsDefined(options.QueueSynchronous) && Enum.IsDefined(options.KvSynchronous), "Nno:Storage:QueueSynchronous and KvSynchronous are Normal or Full.");
        var kv = options.Kv;
        Check(kv.MaxKeyBytes > 0 && kv.MaxValueBytes > 0 && kv.MaxMetadataBytes > 0, "Nno:Storage:Kv limits must be positive.");
        Check(kv.MinimumTtl >= TimeSpan.Zero, "Nno:Storage:Kv:MinimumTtl must not be negative.");
        Check(kv.MaxListLimit >= 1, "Nno:Storage:Kv:MaxListLimit must be at least 1.");
        Check(kv.CleanupInterval > TimeSpan.Zero, "Nno:Storage:Kv:CleanupInterval must be positive.");
        Check(kv.CleanupBatchSize >= 1, "Nno:Storage:Kv:CleanupBatchSize must be at least 1.");
        var limits = options.QueueLimits;
        Check(limits.MaxMessageBytes > 0 && limits.MaxBatchMessages > 0 && limits.MaxBatchBytes > 0, "Nno:Storage:QueueLimits must be positive.");
        Check(limits.MaxDelay >= TimeSpan.Zero, "Nno:Storage:QueueLimits:MaxDelay must not be negative.");
        foreach (var (queue, q) in options.Queues)
        {
            var prefix = $"Nno:Storage:Queues:{queue}";
            Check(QueueRules.IsValidName(queue), $"{prefix}: invalid queue name.");
            Check(q.MaxBatchSize is >= 1 and <= 100, $"{prefix}:MaxBatchSize must be 1-100.");
            Check(q.MaxBatchWait >= TimeSpan.Zero && q.MaxBatchWait <= TimeSpan.FromSeconds(60), $"{prefix}:MaxBatchWait must be 0-60 s.");
            Check(q.MaxRetries is >= 0 and <= 100, $"{prefix}:MaxRetries must be 0-100.");
            Check(q.DeadLetterQueue is null || (QueueRules.IsValidName(q.DeadLetterQueue) && q.DeadLetterQueue != queue), $"{prefix}:DeadLetterQueue must be another valid queue name.");
            Check(q.RetryDelay >= TimeSpan.Zero && q.RetryDelay <= limits.MaxDelay, $"{prefix}:RetryDelay must be between 0 and QueueLimits:MaxDelay.");
            Check(q.VisibilityTimeout >= TimeSpan.FromSeconds(1), $"{prefix}:VisibilityTimeout must be at least 1 s.");
            Check(q.PollInterval > TimeSpan.Zero, $"{prefix}:PollInterval must be positive.");
            Check(q.MaxConcurrency is >= 1 and <= 64, $"{prefix}:MaxConcurrency must be 1-64.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

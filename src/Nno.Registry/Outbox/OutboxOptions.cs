using System.ComponentModel.DataAnnotations;

namespace Nno.Registry.Outbox;

/// <summary>Settings of the outbox relay (section <c>Registry:Outbox</c>, registry.md §4.2, §4.6).</summary>
public sealed class OutboxOptions
{
    public const string Section = "Registry:Outbox";

    /// <summary>How often the relay looks for due rows when nothing woke it.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Rows claimed per pass.</summary>
    [Range(1, 1000)]
    public int BatchSize { get; set; } = 100;

    /// <summary>How long a claim (<c>locked_until</c>) keeps other replicas off a row.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Timeout of one relayed call (registry.md §5: 10 s).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The first retry delay; it doubles per attempt up to <see cref="RetryCap"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan RetryBase { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest retry delay.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan RetryCap { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Relative jitter applied to every backoff delay (0.2 = ±20 %).</summary>
    [Range(0.0, 0.9)]
    public double RetryJitter { get; set; } = 0.2;

    /// <summary>The longest <c>Retry-After</c> honoured; a longer one is cut to this.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan RetryAfterCap { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Completed rows are deleted after this many days.</summary>
    [Range(1, 3650)]
    public int RetentionDays { get; set; } = 7;

    /// <summary>How often the purge of completed rows runs.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan PurgeInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long the pending counts behind <c>nno_registry_outbox_pending</c> are reused between scrapes.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan PendingCountCache { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the relay looks for pending rows of kinds without a sender (each such kind is logged once).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan UnsentKindCheckInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Rows of one platform are sent in order; this many platforms are served at once.</summary>
    [Range(1, 64)]
    public int Parallelism { get; set; } = 4;
}

using System.ComponentModel.DataAnnotations;

namespace Nno.Provisioning;

/// <summary>Settings of the job system (section <c>Provisioning</c>, provisioning.md §4.4, §4.5, §3).</summary>
public sealed class ProvisioningOptions
{
    public const string Section = "Provisioning";

    /// <summary>Running jobs at once across replicas, counted from live leases (<c>Provisioning:GlobalConcurrency</c>).</summary>
    [Range(1, 1000)]
    public int GlobalConcurrency { get; set; } = 8;

    /// <summary>Transient retry backoff (<c>Provisioning:Retry:*</c>).</summary>
    public RetrySettings Retry { get; set; } = new();

    /// <summary>Request limits (<c>Provisioning:Limits:*</c>).</summary>
    public LimitSettings Limits { get; set; } = new();

    /// <summary>Seconds a job's lease lasts; it is renewed every <see cref="LeaseRenewSeconds"/> while the job runs.</summary>
    [Range(2, 3600)]
    public double LeaseSeconds { get; set; } = 60;

    /// <summary>Seconds between lease renewals of a running job.</summary>
    [Range(0.1, 600)]
    public double LeaseRenewSeconds { get; set; } = 20;

    /// <summary>Seconds a deferred message waits before it is delivered again.</summary>
    [Range(0.01, 3600)]
    public double DeferralSeconds { get; set; } = 2;

    /// <summary>Deferrals allowed in one run; the next one counts as a transient failure.</summary>
    [Range(1, 100000)]
    public int MaxDeferralsPerRun { get; set; } = 100;

    /// <summary>Seconds between sweeper passes (one replica, lease row <c>provisioning.sweeper</c>).</summary>
    [Range(0.1, 3600)]
    public double SweepSeconds { get; set; } = 5;

    /// <summary>Seconds after which a job whose queue send is unconfirmed is sent by the sweeper.</summary>
    [Range(0, 3600)]
    public double PendingGraceSeconds { get; set; } = 5;

    /// <summary>Seconds past <c>next_run_at</c> after which a job with an expired lease is re-enqueued.</summary>
    [Range(0, 86400)]
    public double StaleRunSeconds { get; set; } = 120;

    /// <summary>Registry outbox delivery (<c>Provisioning:Outbox:*</c>).</summary>
    public OutboxSettings Outbox { get; set; } = new();

    /// <summary>
    /// The auth Worker bundle version P1 and P3 deploy (<c>Provisioning:AuthWorkerVersion</c>); empty, the default, means
    /// the newest shipped. Pinning lets an operator hold platforms on an earlier shipped version; it must be shipped.
    /// </summary>
    public string? AuthWorkerVersion { get; set; }

    /// <summary>Seconds between SSL poller ticks (<c>Provisioning:SslPollSeconds</c>, 300; 30 in the sandbox).</summary>
    [Range(0.1, 86400)]
    public double SslPollSeconds { get; set; } = 300;

    /// <summary>Transient retry backoff: <c>min(MaxSeconds, BaseSeconds·2^(attempt−1)) × U(0.5, 1)</c>, never sooner than a <c>Retry-After</c>.</summary>
    public sealed class RetrySettings
    {
        [Range(0.001, 3600)]
        public double BaseSeconds { get; set; } = 5;

        [Range(0.001, 86400)]
        public double MaxSeconds { get; set; } = 300;
    }

    /// <summary>Creation limits of §3.</summary>
    public sealed class LimitSettings
    {
        /// <summary>Job creations per platform in a sliding hour; more → 429 <c>RATE_LIMITED</c>.</summary>
        [Range(1, 1_000_000)]
        public int JobsPerPlatformPerHour { get; set; } = 60;

        /// <summary>Non-terminal jobs in the whole service; more → 503 <c>SERVICE_UNAVAILABLE</c>.</summary>
        [Range(1, 10_000_000)]
        public int MaxBacklog { get; set; } = 5000;
    }

    /// <summary>Registry outbox delivery (§4.8): FIFO per platform, 1 s → 5 min retries forever, alert after 1 h.</summary>
    public sealed class OutboxSettings
    {
        [Range(0.01, 3600)]
        public double PollSeconds { get; set; } = 1;

        [Range(1, 1000)]
        public int RowsPerPlatform { get; set; } = 50;

        [Range(1, 1000)]
        public int PlatformsPerTick { get; set; } = 100;

        [Range(0.001, 3600)]
        public double RetryBaseSeconds { get; set; } = 1;

        [Range(0.001, 86400)]
        public double RetryMaxSeconds { get; set; } = 300;

        [Range(1, 100000)]
        public double AlertAfterMinutes { get; set; } = 60;

        [Range(0.1, 600)]
        public double SendTimeoutSeconds { get; set; } = 10;
    }
}

namespace Nno.Sandbox.Stripe.Webhooks;

/// <summary>
/// When a failed webhook delivery is tried again (billing.md §5.1): after 10 s, 1 min, 5 min, 30 min and 2 h, then every
/// 6 h until 3 days after the first attempt; after that the delivery has failed for good. Wall-clock times.
/// </summary>
public static class StripeWebhookSchedule
{
    /// <summary>The first retries, in order.</summary>
    public static readonly IReadOnlyList<TimeSpan> FirstRetries =
    [
        TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2),
    ];

    /// <summary>The gap between the later retries.</summary>
    public static readonly TimeSpan LaterRetry = TimeSpan.FromHours(6);

    /// <summary>How long after the first attempt retries stop.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromDays(3);

    /// <summary>How long an endpoint has to answer 2xx.</summary>
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The time of the next attempt after <paramref name="failedAttempts"/> failed ones (1 after the first failure), the
    /// last of them ending at <paramref name="now"/>; null when the 3-day window from <paramref name="firstAttemptAt"/> is over.
    /// </summary>
    public static DateTimeOffset? NextAttempt(DateTimeOffset firstAttemptAt, int failedAttempts, DateTimeOffset now)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(failedAttempts, 1);
        var delay = failedAttempts <= FirstRetries.Count ? FirstRetries[failedAttempts - 1] : LaterRetry;
        var next = now + delay;
        return next <= firstAttemptAt + Window ? next : null;
    }
}

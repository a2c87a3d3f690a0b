using Stripe;

namespace Nno.Billing.Data;

/// <summary>Maps a Stripe subscription onto a <c>subscriptions</c> row (billing.md §2, mapping §4.1).</summary>
internal static class StripeSubscriptionMirror
{
    /// <summary>NNO's status for Stripe's (§4.1); null for a status Stripe may add later.</summary>
    public static string? StatusOf(string stripeStatus) => stripeStatus switch
    {
        "active" => SubscriptionStatuses.Active,
        "trialing" => SubscriptionStatuses.Trialing,
        "past_due" or "unpaid" or "incomplete" or "paused" => SubscriptionStatuses.PastDue,
        "canceled" or "incomplete_expired" => SubscriptionStatuses.Canceled,
        _ => null,
    };

    /// <summary>
    /// A new row for <paramref name="subscription"/> (its single item gives the period and the price); the tier is the
    /// one the price stands for. <c>past_due_since</c> starts now when it is born past due.
    /// </summary>
    public static SubscriptionRecord NewRow(string platformId, Subscription subscription, string tier, long now)
    {
        var item = subscription.Items?.Data?.FirstOrDefault()
            ?? throw new InvalidOperationException($"Stripe subscription {subscription.Id} has no item.");
        var status = StatusOf(subscription.Status)
            ?? throw new InvalidOperationException($"Stripe subscription {subscription.Id} has the unknown status {subscription.Status}.");
        return new SubscriptionRecord
        {
            PlatformId = platformId,
            StripeSubscriptionId = subscription.Id,
            StripeSubscriptionItemId = item.Id,
            Tier = tier,
            Status = status,
            StripeStatus = subscription.Status,
            CurrentPeriodStart = Ms(item.CurrentPeriodStart),
            CurrentPeriodEnd = Ms(item.CurrentPeriodEnd),
            CancelAtPeriodEnd = subscription.CancelAtPeriodEnd,
            CanceledAt = Ms(subscription.CanceledAt),
            EndedAt = Ms(subscription.EndedAt),
            EndReason = null,
            TrialEndsAt = Ms(subscription.TrialEnd),
            PastDueSince = status == SubscriptionStatuses.PastDue ? now : null,
            MaxTierInPeriod = tier,
            LastEventCreated = 0,
            CreatedAt = now,
            UpdatedAt = now,
        };
    }

    private static long Ms(DateTime value) => new DateTimeOffset(DateTime.SpecifyKind(value, DateTimeKind.Utc)).ToUnixTimeMilliseconds();

    private static long? Ms(DateTime? value) => value is { } v ? Ms(v) : null;
}

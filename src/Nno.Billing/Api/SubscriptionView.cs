using Nno.Billing.Data;

namespace Nno.Billing.Api;

/// <summary>The Subscription of billing.md §3.</summary>
internal sealed record SubscriptionView(
    string PlatformId,
    string StripeCustomerId,
    string StripeSubscriptionId,
    string Tier,
    string Status,
    DateTimeOffset CurrentPeriodStart,
    DateTimeOffset CurrentPeriodEnd,
    bool CancelAtPeriodEnd,
    DateTimeOffset? CanceledAt,
    DateTimeOffset? EndedAt,
    string? EndReason,
    DateTimeOffset? TrialEndsAt,
    DateTimeOffset? PastDueSince,
    DateTimeOffset? GraceEndsAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public static SubscriptionView From(SubscriptionRecord row, string stripeCustomerId, int pastDueGraceDays) => new(
        row.PlatformId,
        stripeCustomerId,
        row.StripeSubscriptionId,
        row.Tier,
        row.Status,
        Time(row.CurrentPeriodStart),
        Time(row.CurrentPeriodEnd),
        row.CancelAtPeriodEnd,
        Time(row.CanceledAt),
        Time(row.EndedAt),
        row.EndReason,
        Time(row.TrialEndsAt),
        Time(row.PastDueSince),
        row.PastDueSince is { } since ? Time(since).AddDays(pastDueGraceDays) : null,
        Time(row.CreatedAt),
        Time(row.UpdatedAt));

    private static DateTimeOffset Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private static DateTimeOffset? Time(long? ms) => ms is { } value ? DateTimeOffset.FromUnixTimeMilliseconds(value) : null;
}

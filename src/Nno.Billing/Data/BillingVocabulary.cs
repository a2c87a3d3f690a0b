using Nno.Core.Platforms;

namespace Nno.Billing.Data;

/// <summary>Subscription status NNO derives from Stripe's (billing.md §2, mapping §4.1).</summary>
internal static class SubscriptionStatuses
{
    public const string Active = "active";
    public const string Trialing = "trialing";
    public const string PastDue = "past_due";
    public const string Canceled = "canceled";

    public static IReadOnlyList<string> All { get; } = [Active, Trialing, PastDue, Canceled];
}

/// <summary>Why a subscription ended (<c>subscriptions.end_reason</c>).</summary>
internal static class EndReasons
{
    public const string PeriodEnd = "period_end";
    public const string PaymentFailed = "payment_failed";
    public const string Immediate = "immediate";

    public static IReadOnlyList<string> All { get; } = [PeriodEnd, PaymentFailed, Immediate];
}

/// <summary>Outcome of one Stripe event (<c>webhook_events.outcome</c>, §4.3).</summary>
internal static class WebhookOutcomes
{
    public const string Processed = "processed";
    public const string Stale = "stale";
    public const string Ignored = "ignored";
    public const string Failed = "failed";

    public static IReadOnlyList<string> All { get; } = [Processed, Stale, Ignored, Failed];
}

/// <summary>Usage metrics (§2): the billed ones carry an allowance, the informational ones never do.</summary>
internal static class UsageMetrics
{
    public const string WorkersInvocations = "workers_invocations";
    public const string D1RowsRead = "d1_rows_read";
    public const string D1RowsWritten = "d1_rows_written";
    public const string R2StorageBytes = "r2_storage_bytes";
    public const string R2ClassAOps = "r2_class_a_ops";
    public const string R2ClassBOps = "r2_class_b_ops";
    public const string KvReads = "kv_reads";
    public const string KvWrites = "kv_writes";

    public static IReadOnlyList<string> Billed { get; } = [WorkersInvocations, D1RowsRead, D1RowsWritten];

    public static IReadOnlyList<string> Informational { get; } = [R2StorageBytes, R2ClassAOps, R2ClassBOps, KvReads, KvWrites];

    public static IReadOnlyList<string> All { get; } = [.. Billed, .. Informational];
}

/// <summary>States of a daily metering run (<c>metering_runs.status</c>, §4.4).</summary>
internal static class MeteringRunStatuses
{
    public const string Running = "running";
    public const string Completed = "completed";
    public const string Failed = "failed";

    public static IReadOnlyList<string> All { get; } = [Running, Completed, Failed];
}

/// <summary>Invoice kinds and Stripe invoice statuses (<c>invoices</c>).</summary>
internal static class InvoiceVocabulary
{
    public const string KindSubscription = "subscription";
    public const string KindOverage = "overage";

    public static IReadOnlyList<string> Kinds { get; } = [KindSubscription, KindOverage];

    /// <summary>Stripe's invoice statuses; they never move backwards (<c>draft &lt; open &lt; paid|void|uncollectible</c>, §4.3).</summary>
    public static IReadOnlyList<string> Statuses { get; } = ["draft", "open", "paid", "void", "uncollectible"];

    /// <summary><c>invoice_lines.kind</c>.</summary>
    public static IReadOnlyList<string> LineKinds { get; } = ["subscription", "proration", "overage", "other"];
}

/// <summary>States of an overage invoice run (<c>overage_runs.status</c>, §4.5).</summary>
internal static class OverageRunStatuses
{
    public const string Pending = "pending";
    public const string DraftCreated = "draft_created";
    public const string ItemsAdded = "items_added";
    public const string Finalized = "finalized";
    public const string Paid = "paid";
    public const string PaymentFailed = "payment_failed";
    public const string Skipped = "skipped";

    public static IReadOnlyList<string> All { get; } = [Pending, DraftCreated, ItemsAdded, Finalized, Paid, PaymentFailed, Skipped];
}

/// <summary>Usage alert thresholds in percent of the allowance (§4.5).</summary>
internal static class AlertThresholds
{
    public static IReadOnlyList<int> All { get; } = [80, 100];
}

/// <summary>The tiers billed (the platform tiers of 00-system §10).</summary>
internal static class BillingTiers
{
    public static IReadOnlyList<string> All => PlatformTiers.All;
}

using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Nno.Billing.Data;

/// <summary>A row of <c>tier_prices</c> (billing.md §2): configuration is the source, the row caches the resolved Stripe ids.</summary>
internal sealed class TierPriceRecord
{
    public required string Tier { get; set; }

    public required string LookupKey { get; set; }

    /// <summary>Cents per month.</summary>
    public long UnitAmount { get; set; }

    public required string Currency { get; set; }

    /// <summary>Null until the lookup key resolved to an active Stripe price.</summary>
    public string? StripePriceId { get; set; }

    public string? StripeProductId { get; set; }

    /// <summary>Unix ms of the last resolution; null while unresolved (decision 0521).</summary>
    public long? ResolvedAt { get; set; }
}

internal sealed class TierPriceRecordConfiguration : IEntityTypeConfiguration<TierPriceRecord>
{
    public void Configure(EntityTypeBuilder<TierPriceRecord> builder)
    {
        builder.ToTable("tier_prices");
        builder.HasKey(p => p.Tier);
        builder.HasIndex(p => p.LookupKey).IsUnique();
        builder.HasIndex(p => p.StripePriceId).IsUnique();
        builder.HasEnumCheck("tier", BillingTiers.All);
        builder.HasStripeIdCheck("stripe_price_id", "price", nullable: true);
        builder.HasStripeIdCheck("stripe_product_id", "prod", nullable: true);
    }
}

/// <summary>A row of <c>customers</c>: the one Stripe customer of a platform.</summary>
internal sealed class CustomerRecord
{
    public required string PlatformId { get; set; }

    public required string StripeCustomerId { get; set; }

    public required string Email { get; set; }

    public required string Name { get; set; }

    public long CreatedAt { get; set; }

    public long UpdatedAt { get; set; }
}

internal sealed class CustomerRecordConfiguration : IEntityTypeConfiguration<CustomerRecord>
{
    public void Configure(EntityTypeBuilder<CustomerRecord> builder)
    {
        builder.ToTable("customers");
        builder.HasKey(c => c.PlatformId);
        builder.HasIndex(c => c.StripeCustomerId).IsUnique();
        builder.HasPlatformIdCheck();
        builder.HasStripeIdCheck("stripe_customer_id", "cus");
    }
}

/// <summary>A row of <c>subscriptions</c>: the one monthly subscription of a platform, mirrored from Stripe.</summary>
internal sealed class SubscriptionRecord
{
    public required string PlatformId { get; set; }

    public required string StripeSubscriptionId { get; set; }

    /// <summary>The subscription's single item.</summary>
    public required string StripeSubscriptionItemId { get; set; }

    /// <summary>From the item's price id.</summary>
    public required string Tier { get; set; }

    /// <summary>NNO's status (<see cref="SubscriptionStatuses"/>), mapped from <see cref="StripeStatus"/>.</summary>
    public required string Status { get; set; }

    /// <summary>Stripe's raw status, kept as Stripe says it.</summary>
    public required string StripeStatus { get; set; }

    /// <summary>From <c>items.data[0].current_period_start</c> (Unix ms).</summary>
    public long CurrentPeriodStart { get; set; }

    public long CurrentPeriodEnd { get; set; }

    public bool CancelAtPeriodEnd { get; set; }

    public long? CanceledAt { get; set; }

    public long? EndedAt { get; set; }

    public string? EndReason { get; set; }

    public long? TrialEndsAt { get; set; }

    /// <summary>Set on entering past_due, cleared on recovery.</summary>
    public long? PastDueSince { get; set; }

    /// <summary>Highest tier held in the current period (allowances).</summary>
    public required string MaxTierInPeriod { get; set; }

    /// <summary>Part of the tier-change idempotency key.</summary>
    public long TierChangeSeq { get; set; }

    /// <summary>+1 on every scheduled cancel and resume; part of their idempotency keys.</summary>
    public long CancelSeq { get; set; }

    /// <summary><c>created</c> of the newest Stripe event applied.</summary>
    public long LastEventCreated { get; set; }

    /// <summary>Per-platform mutation lock (Unix ms).</summary>
    public long? LockUntil { get; set; }

    public long CreatedAt { get; set; }

    public long UpdatedAt { get; set; }
}

internal sealed class SubscriptionRecordConfiguration : IEntityTypeConfiguration<SubscriptionRecord>
{
    public void Configure(EntityTypeBuilder<SubscriptionRecord> builder)
    {
        builder.ToTable("subscriptions");
        builder.HasKey(s => s.PlatformId);
        builder.HasIndex(s => s.StripeSubscriptionId).IsUnique();
        builder.Property(s => s.TierChangeSeq).HasDefaultValue(0L);
        builder.Property(s => s.CancelSeq).HasDefaultValue(0L);
        builder.HasOne<CustomerRecord>().WithOne().HasForeignKey<SubscriptionRecord>(s => s.PlatformId).OnDelete(DeleteBehavior.Restrict);
        // B15's keyset list and the Registry's sweep; the past-due grace scan.
        builder.HasIndex(s => new { s.UpdatedAt, s.PlatformId });
        builder.HasIndex(s => new { s.Status, s.PastDueSince });
        builder.HasPlatformIdCheck();
        builder.HasStripeIdCheck("stripe_subscription_id", "sub");
        builder.HasStripeIdCheck("stripe_subscription_item_id", "si");
        builder.HasEnumCheck("tier", BillingTiers.All);
        builder.HasEnumCheck("max_tier_in_period", BillingTiers.All);
        builder.HasEnumCheck("status", SubscriptionStatuses.All);
        builder.HasEnumCheck("end_reason", EndReasons.All, nullable: true);
        builder.HasColumnCheck("cancel_at_period_end", "cancel_at_period_end IN (0, 1)");
        builder.HasColumnCheck("tier_change_seq", "tier_change_seq >= 0");
        builder.HasColumnCheck("cancel_seq", "cancel_seq >= 0");
    }
}

/// <summary>A row of <c>webhook_events</c>: one Stripe event and what its handling did (§4.3).</summary>
internal sealed class WebhookEventRecord
{
    /// <summary><c>evt_…</c>.</summary>
    public required string Id { get; set; }

    public required string Type { get; set; }

    public required string ObjectId { get; set; }

    /// <summary>The event's <c>created</c> (Unix ms).</summary>
    public long StripeCreated { get; set; }

    public long ReceivedAt { get; set; }

    /// <summary>When <see cref="Outcome"/> was recorded.</summary>
    public long ProcessedAt { get; set; }

    public required string Outcome { get; set; }

    /// <summary>Why handling failed; null otherwise (decision 0521).</summary>
    public string? Error { get; set; }

    /// <summary>The raw event; set to null by the 90-day purge (decision 0521).</summary>
    public string? PayloadJson { get; set; }
}

internal sealed class WebhookEventRecordConfiguration : IEntityTypeConfiguration<WebhookEventRecord>
{
    public void Configure(EntityTypeBuilder<WebhookEventRecord> builder)
    {
        builder.ToTable("webhook_events");
        builder.HasKey(e => e.Id);
        builder.HasStripeIdCheck("id", "evt");
        builder.HasEnumCheck("outcome", WebhookOutcomes.All);
        // The catch-up's "newest processed" and the 90-day payload purge (decision 0522).
        builder.HasIndex(e => new { e.Outcome, e.StripeCreated });
        builder.HasIndex(e => e.ReceivedAt);
    }
}

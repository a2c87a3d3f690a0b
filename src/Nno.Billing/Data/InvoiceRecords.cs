using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Nno.Billing.Data;

/// <summary>A row of <c>invoices</c>: the mirror of one Stripe invoice (§2).</summary>
internal sealed class InvoiceRecord
{
    /// <summary><c>in_…</c>.</summary>
    public required string Id { get; set; }

    public required string PlatformId { get; set; }

    /// <summary><c>subscription|overage</c>.</summary>
    public required string Kind { get; set; }

    /// <summary>Stripe numbers an invoice when it is finalized: null for drafts (decision 0521).</summary>
    public string? Number { get; set; }

    public required string Status { get; set; }

    /// <summary>Stripe's <c>billing_reason</c>; nullable on Stripe's side.</summary>
    public string? BillingReason { get; set; }

    public required string Currency { get; set; }

    public long Subtotal { get; set; }

    public long Total { get; set; }

    public long AmountDue { get; set; }

    public long AmountPaid { get; set; }

    public long AmountRemaining { get; set; }

    public long PeriodStart { get; set; }

    public long PeriodEnd { get; set; }

    /// <summary>Null for drafts.</summary>
    public string? HostedInvoiceUrl { get; set; }

    public string? InvoicePdf { get; set; }

    /// <summary>Stripe's <c>created</c> (Unix ms).</summary>
    public long Created { get; set; }

    public long? FinalizedAt { get; set; }

    public long? PaidAt { get; set; }

    public long? VoidedAt { get; set; }

    public long LastEventCreated { get; set; }
}

internal sealed class InvoiceRecordConfiguration : IEntityTypeConfiguration<InvoiceRecord>
{
    public void Configure(EntityTypeBuilder<InvoiceRecord> builder)
    {
        builder.ToTable("invoices");
        builder.HasKey(i => i.Id);
        builder.HasStripeIdCheck("id", "in");
        builder.HasPlatformIdCheck();
        builder.HasEnumCheck("kind", InvoiceVocabulary.Kinds);
        builder.HasEnumCheck("status", InvoiceVocabulary.Statuses);
        // B9 (newest first), and B9 filtered by status (decision 0522).
        builder.HasIndex(i => new { i.PlatformId, i.Created, i.Id }).IsDescending(false, true, true)
            .HasDatabaseName("ix_invoices_platform_id_created_id_desc");
        builder.HasIndex(i => new { i.PlatformId, i.Status, i.Created, i.Id }).IsDescending(false, false, true, true)
            .HasDatabaseName("ix_invoices_platform_id_status_created_id_desc");
    }
}

/// <summary>A row of <c>invoice_lines</c>: one line of a mirrored invoice.</summary>
internal sealed class InvoiceLineRecord
{
    public required string InvoiceId { get; set; }

    /// <summary>Stripe's line id (<c>il_…</c>).</summary>
    public required string LineId { get; set; }

    /// <summary>Nullable on Stripe's side.</summary>
    public string? Description { get; set; }

    public long Amount { get; set; }

    /// <summary>Nullable on Stripe's side.</summary>
    public long? Quantity { get; set; }

    public long PeriodStart { get; set; }

    public long PeriodEnd { get; set; }

    public bool Proration { get; set; }

    public required string Kind { get; set; }

    /// <summary>The billed metric of an overage line; null otherwise.</summary>
    public string? Metric { get; set; }
}

internal sealed class InvoiceLineRecordConfiguration : IEntityTypeConfiguration<InvoiceLineRecord>
{
    public void Configure(EntityTypeBuilder<InvoiceLineRecord> builder)
    {
        builder.ToTable("invoice_lines");
        builder.HasKey(l => new { l.InvoiceId, l.LineId });
        builder.HasOne<InvoiceRecord>().WithMany().HasForeignKey(l => l.InvoiceId).OnDelete(DeleteBehavior.Cascade);
        builder.HasEnumCheck("kind", InvoiceVocabulary.LineKinds);
        builder.HasEnumCheck("metric", UsageMetrics.Billed, nullable: true);
        builder.HasColumnCheck("proration", "proration IN (0, 1)");
    }
}

/// <summary>A row of <c>overage_runs</c>: the overage invoice of one closed period, step by step (§4.5).</summary>
internal sealed class OverageRunRecord
{
    public required string PlatformId { get; set; }

    public long PeriodStart { get; set; }

    public long PeriodEnd { get; set; }

    public required string Status { get; set; }

    /// <summary>Null until the draft exists (decision 0521).</summary>
    public string? StripeInvoiceId { get; set; }

    /// <summary>Cents: the sum of the lines.</summary>
    public long Total { get; set; }

    public long UpdatedAt { get; set; }
}

internal sealed class OverageRunRecordConfiguration : IEntityTypeConfiguration<OverageRunRecord>
{
    public void Configure(EntityTypeBuilder<OverageRunRecord> builder)
    {
        builder.ToTable("overage_runs");
        builder.HasKey(r => new { r.PlatformId, r.PeriodStart });
        builder.HasPlatformIdCheck();
        builder.HasEnumCheck("status", OverageRunStatuses.All);
        builder.HasStripeIdCheck("stripe_invoice_id", "in", nullable: true);
        builder.HasIndex(r => r.StripeInvoiceId).IsUnique();
        // Resuming runs that stopped between two Stripe calls (decision 0522).
        builder.HasIndex(r => new { r.Status, r.UpdatedAt });
    }
}

/// <summary>A row of <c>overage_lines</c>: one billed metric of an overage run.</summary>
internal sealed class OverageLineRecord
{
    public required string PlatformId { get; set; }

    public long PeriodStart { get; set; }

    public required string Metric { get; set; }

    public long Quantity { get; set; }

    public long Allowance { get; set; }

    public long OverageQuantity { get; set; }

    /// <summary>Cents per 1,000,000 units as decimal text (e.g. <c>0.1</c>).</summary>
    public required string UnitAmountDecimal { get; set; }

    /// <summary>Cents: ceil(overage × price / 1,000,000).</summary>
    public long Amount { get; set; }

    /// <summary>Null until the invoice item exists.</summary>
    public string? StripeInvoiceItemId { get; set; }
}

internal sealed class OverageLineRecordConfiguration : IEntityTypeConfiguration<OverageLineRecord>
{
    public void Configure(EntityTypeBuilder<OverageLineRecord> builder)
    {
        builder.ToTable("overage_lines");
        builder.HasKey(l => new { l.PlatformId, l.PeriodStart, l.Metric });
        builder.HasOne<OverageRunRecord>().WithMany().HasForeignKey(l => new { l.PlatformId, l.PeriodStart }).OnDelete(DeleteBehavior.Cascade);
        builder.HasPlatformIdCheck();
        builder.HasEnumCheck("metric", UsageMetrics.Billed);
        builder.HasStripeIdCheck("stripe_invoice_item_id", "ii", nullable: true);
        builder.HasColumnCheck("amount", "amount >= 0");
    }
}

using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Nno.Billing.Data;

/// <summary>A row of <c>usage_snapshots</c>: one platform's daily quantity of one metric (§2, §4.4).</summary>
internal sealed class UsageSnapshotRecord
{
    public required string PlatformId { get; set; }

    /// <summary><c>YYYY-MM-DD</c>, UTC.</summary>
    public required string UsageDate { get; set; }

    public required string Metric { get; set; }

    public long Quantity { get; set; }

    /// <summary>The <c>metering_runs</c> row that wrote it.</summary>
    public required string RunId { get; set; }

    public long CollectedAt { get; set; }
}

internal sealed class UsageSnapshotRecordConfiguration : IEntityTypeConfiguration<UsageSnapshotRecord>
{
    public void Configure(EntityTypeBuilder<UsageSnapshotRecord> builder)
    {
        builder.ToTable("usage_snapshots");
        builder.HasKey(s => new { s.PlatformId, s.UsageDate, s.Metric });
        builder.HasPlatformIdCheck();
        builder.HasDateCheck("usage_date");
        builder.HasEnumCheck("metric", UsageMetrics.All);
        builder.HasColumnCheck("quantity", "quantity >= 0");
    }
}

/// <summary>A row of <c>usage_periods</c>: a metric rolled up over one billing period (sum; max for storage).</summary>
internal sealed class UsagePeriodRecord
{
    public required string PlatformId { get; set; }

    public long PeriodStart { get; set; }

    public long PeriodEnd { get; set; }

    public required string Metric { get; set; }

    public long Quantity { get; set; }

    /// <summary>Null exactly for the informational metrics.</summary>
    public long? Allowance { get; set; }

    public long OverageQuantity { get; set; }

    public bool Closed { get; set; }

    public long UpdatedAt { get; set; }
}

internal sealed class UsagePeriodRecordConfiguration : IEntityTypeConfiguration<UsagePeriodRecord>
{
    public void Configure(EntityTypeBuilder<UsagePeriodRecord> builder)
    {
        builder.ToTable("usage_periods");
        builder.HasKey(p => new { p.PlatformId, p.PeriodStart, p.Metric });
        builder.HasPlatformIdCheck();
        builder.HasEnumCheck("metric", UsageMetrics.All);
        var billed = string.Join(", ", UsageMetrics.Billed.Select(m => "'" + m + "'"));
        // A billed metric always has an allowance, an informational one never (§2).
        builder.HasColumnCheck("allowance", $"(allowance IS NULL) = (metric NOT IN ({billed})) AND (allowance IS NULL OR allowance >= 0)");
        builder.HasColumnCheck("closed", "closed IN (0, 1)");
        builder.HasColumnCheck("period_end", "period_end > period_start");
        builder.HasColumnCheck("overage_quantity", "overage_quantity >= 0");
    }
}

/// <summary>A row of <c>metering_runs</c>: the one run per usage date, with its lease (§4.4).</summary>
internal sealed class MeteringRunRecord
{
    public required string Id { get; set; }

    /// <summary><c>YYYY-MM-DD</c>, UTC.</summary>
    public required string UsageDate { get; set; }

    public required string Status { get; set; }

    public long LeaseUntil { get; set; }

    public long StartedAt { get; set; }

    /// <summary>Null while running (decision 0521).</summary>
    public long? FinishedAt { get; set; }

    /// <summary>Platforms, rows, unattributed resources; null until the run finished.</summary>
    public string? StatsJson { get; set; }

    public string? Error { get; set; }
}

internal sealed class MeteringRunRecordConfiguration : IEntityTypeConfiguration<MeteringRunRecord>
{
    public void Configure(EntityTypeBuilder<MeteringRunRecord> builder)
    {
        builder.ToTable("metering_runs");
        builder.HasKey(r => r.Id);
        builder.HasIndex(r => r.UsageDate).IsUnique();
        builder.HasDateCheck("usage_date");
        builder.HasEnumCheck("status", MeteringRunStatuses.All);
    }
}

/// <summary>A row of <c>usage_alerts</c>: a threshold crossed once per platform, period and billed metric (§4.5).</summary>
internal sealed class UsageAlertRecord
{
    public required string Id { get; set; }

    public required string PlatformId { get; set; }

    public long PeriodStart { get; set; }

    public required string Metric { get; set; }

    /// <summary>80 or 100 (percent of the allowance).</summary>
    public int Threshold { get; set; }

    public long Quantity { get; set; }

    public long Allowance { get; set; }

    public long TriggeredAt { get; set; }
}

internal sealed class UsageAlertRecordConfiguration : IEntityTypeConfiguration<UsageAlertRecord>
{
    public void Configure(EntityTypeBuilder<UsageAlertRecord> builder)
    {
        builder.ToTable("usage_alerts");
        builder.HasKey(a => a.Id);
        builder.HasIndex(a => new { a.PlatformId, a.PeriodStart, a.Metric, a.Threshold }).IsUnique();
        // B18's keyset list.
        builder.HasIndex(a => new { a.TriggeredAt, a.Id });
        builder.HasPlatformIdCheck();
        builder.HasEnumCheck("metric", UsageMetrics.Billed);
        builder.HasColumnCheck("threshold", "threshold IN (" + string.Join(", ", AlertThresholds.All) + ")");
    }
}

namespace Nno.Billing.Tests.Support;

/// <summary>Valid rows of every Billing table with fresh ids, and the parent rows their foreign keys need.</summary>
internal static class BillingRows
{
    public static string NewPlatformId() => Guid.NewGuid().ToString("N")[..10];

    public static string Fresh() => Guid.NewGuid().ToString("N")[..16];

    /// <summary>A valid row of <paramref name="table"/> for platform <paramref name="pid"/>, with <paramref name="overrides"/> applied.</summary>
    public static Dictionary<string, object?> Row(string table, string pid, IReadOnlyDictionary<string, object?>? overrides = null)
    {
        var n = Fresh();
        Dictionary<string, object?> row = table switch
        {
            "tier_prices" => new()
            {
                ["tier"] = "starter", ["lookup_key"] = "nno_starter_" + n, ["unit_amount"] = 4900, ["currency"] = "usd",
                ["stripe_price_id"] = "price_" + n, ["stripe_product_id"] = "prod_" + n, ["resolved_at"] = 1,
            },
            "customers" => new()
            {
                ["platform_id"] = pid, ["stripe_customer_id"] = "cus_" + n, ["email"] = "owner@example.com", ["name"] = "Acme",
                ["created_at"] = 1, ["updated_at"] = 1,
            },
            "subscriptions" => new()
            {
                ["platform_id"] = pid, ["stripe_subscription_id"] = "sub_" + n, ["stripe_subscription_item_id"] = "si_" + n,
                ["tier"] = "growth", ["status"] = "trialing", ["stripe_status"] = "trialing", ["current_period_start"] = 1000,
                ["current_period_end"] = 2000, ["cancel_at_period_end"] = 0, ["trial_ends_at"] = 2000, ["max_tier_in_period"] = "growth",
                ["last_event_created"] = 0, ["created_at"] = 1, ["updated_at"] = 1,
            },
            "webhook_events" => new()
            {
                ["id"] = "evt_" + n, ["type"] = "customer.subscription.updated", ["object_id"] = "sub_" + n, ["stripe_created"] = 1,
                ["received_at"] = 2, ["processed_at"] = 3, ["outcome"] = "processed", ["payload_json"] = "{}",
            },
            "usage_snapshots" => new()
            {
                ["platform_id"] = pid, ["usage_date"] = "2026-11-26", ["metric"] = "workers_invocations", ["quantity"] = 10,
                ["run_id"] = "mrun_" + n, ["collected_at"] = 1,
            },
            "usage_periods" => new()
            {
                ["platform_id"] = pid, ["period_start"] = 1000, ["period_end"] = 2000, ["metric"] = "d1_rows_read", ["quantity"] = 5,
                ["allowance"] = 25_000_000, ["overage_quantity"] = 0, ["closed"] = 0, ["updated_at"] = 1,
            },
            "metering_runs" => new()
            {
                ["id"] = "mrun_" + n, ["usage_date"] = UniqueDate(), ["status"] = "running", ["lease_until"] = 10, ["started_at"] = 1,
            },
            "invoices" => new()
            {
                ["id"] = "in_" + n, ["platform_id"] = pid, ["kind"] = "subscription", ["status"] = "draft", ["billing_reason"] = "subscription_cycle",
                ["currency"] = "usd", ["subtotal"] = 4900, ["total"] = 4900, ["amount_due"] = 4900, ["amount_paid"] = 0,
                ["amount_remaining"] = 4900, ["period_start"] = 1000, ["period_end"] = 2000, ["created"] = 1500, ["last_event_created"] = 1500,
            },
            "invoice_lines" => new()
            {
                ["invoice_id"] = "in_" + n, ["line_id"] = "il_" + n, ["description"] = "Growth", ["amount"] = 19900, ["quantity"] = 1,
                ["period_start"] = 1000, ["period_end"] = 2000, ["proration"] = 0, ["kind"] = "subscription",
            },
            "overage_runs" => new()
            {
                ["platform_id"] = pid, ["period_start"] = 1000, ["period_end"] = 2000, ["status"] = "draft_created", ["stripe_invoice_id"] = "in_" + n, ["total"] = 30,
                ["updated_at"] = 1,
            },
            "overage_lines" => new()
            {
                ["platform_id"] = pid, ["period_start"] = 1000, ["metric"] = "workers_invocations", ["quantity"] = 6_000_000,
                ["allowance"] = 5_000_000, ["overage_quantity"] = 1_000_000, ["unit_amount_decimal"] = "30", ["amount"] = 30,
            },
            "usage_alerts" => new()
            {
                ["id"] = "ual_" + n, ["platform_id"] = pid, ["period_start"] = 1000, ["metric"] = "d1_rows_written", ["threshold"] = 80,
                ["quantity"] = 2_000_000, ["allowance"] = 2_500_000, ["triggered_at"] = 1,
            },
            _ => throw new ArgumentOutOfRangeException(nameof(table), table, "not a Billing table"),
        };
        foreach (var (column, value) in overrides ?? new Dictionary<string, object?>())
        {
            row[column] = value;
        }

        return row;
    }

    /// <summary>Inserts the parent rows <paramref name="row"/> of <paramref name="table"/> refers to.</summary>
    public static async Task InsertParentsAsync(BillingDatabase db, string table, IReadOnlyDictionary<string, object?> row)
    {
        switch (table)
        {
            case "subscriptions":
                await db.InsertAsync("customers", Row("customers", (string)row["platform_id"]!));
                break;
            case "invoice_lines":
                await db.InsertAsync("invoices", Row("invoices", NewPlatformId(), new Dictionary<string, object?> { ["id"] = row["invoice_id"] }));
                break;
            case "overage_lines":
                await db.InsertAsync("overage_runs", Row("overage_runs", (string)row["platform_id"]!, new Dictionary<string, object?> { ["period_start"] = row["period_start"] }));
                break;
        }
    }

    /// <summary>A valid row with its parents inserted.</summary>
    public static async Task<Dictionary<string, object?>> InsertValidAsync(BillingDatabase db, string table, IReadOnlyDictionary<string, object?>? overrides = null)
    {
        var row = Row(table, NewPlatformId(), overrides);
        await InsertParentsAsync(db, table, row);
        await db.InsertAsync(table, row);
        return row;
    }

    private static int _dateCounter;

    /// <summary>A distinct calendar date per call (metering_runs.usage_date is UNIQUE).</summary>
    private static string UniqueDate()
    {
        var day = Interlocked.Increment(ref _dateCounter);
        return new DateOnly(2020, 1, 1).AddDays(day).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
    }
}

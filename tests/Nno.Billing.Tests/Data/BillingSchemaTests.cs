using Microsoft.Data.Sqlite;
using Nno.Billing.Tests.Support;
using Nno.Testing;

namespace Nno.Billing.Tests.Data;

/// <summary>
/// The Billing database after its migrations has every table, column, key, index and CHECK of billing.md §2: read back
/// from sqlite_master and the pragmas of a real SQLite file, and probed with raw inserts.
/// </summary>
public sealed class BillingSchemaTests
{
    // name:T (TEXT) or name:I (INTEGER); a trailing "?" = NULL allowed (billing.md §2; decision 0521 for the NULLs §2 implies).
    public static TheoryData<string, string> Tables => new()
    {
        { "tier_prices", "tier:T lookup_key:T unit_amount:I currency:T stripe_price_id:T? stripe_product_id:T? resolved_at:I?" },
        { "customers", "platform_id:T stripe_customer_id:T email:T name:T created_at:I updated_at:I" },
        {
            "subscriptions",
            "platform_id:T stripe_subscription_id:T stripe_subscription_item_id:T tier:T status:T stripe_status:T current_period_start:I " +
            "current_period_end:I cancel_at_period_end:I canceled_at:I? ended_at:I? end_reason:T? trial_ends_at:I? past_due_since:I? " +
            "max_tier_in_period:T tier_change_seq:I cancel_seq:I last_event_created:I lock_until:I? created_at:I updated_at:I"
        },
        { "webhook_events", "id:T type:T object_id:T stripe_created:I received_at:I processed_at:I outcome:T error:T? payload_json:T?" },
        { "usage_snapshots", "platform_id:T usage_date:T metric:T quantity:I run_id:T collected_at:I" },
        { "usage_periods", "platform_id:T period_start:I metric:T period_end:I quantity:I allowance:I? overage_quantity:I closed:I updated_at:I" },
        { "metering_runs", "id:T usage_date:T status:T lease_until:I started_at:I finished_at:I? stats_json:T? error:T?" },
        {
            "invoices",
            "id:T platform_id:T kind:T number:T? status:T billing_reason:T? currency:T subtotal:I total:I amount_due:I amount_paid:I " +
            "amount_remaining:I period_start:I period_end:I hosted_invoice_url:T? invoice_pdf:T? created:I finalized_at:I? paid_at:I? " +
            "voided_at:I? last_event_created:I"
        },
        { "invoice_lines", "invoice_id:T line_id:T description:T? amount:I quantity:I? period_start:I period_end:I proration:I kind:T metric:T?" },
        { "overage_runs", "platform_id:T period_start:I period_end:I status:T stripe_invoice_id:T? total:I updated_at:I" },
        {
            "overage_lines",
            "platform_id:T period_start:I metric:T quantity:I allowance:I overage_quantity:I unit_amount_decimal:T amount:I stripe_invoice_item_id:T?"
        },
        { "usage_alerts", "id:T platform_id:T period_start:I metric:T threshold:I quantity:I allowance:I triggered_at:I" },
        { "idempotency_keys", "principal:T key:T request_hash:T state:T status_code:I? content_type:T? response_headers:T? response_body:B? resource_id:T? created_at:I expires_at:I" },
        { "job_leases", "name:T holder:T leased_until:I last_run_at:I?" },
    };

    // Primary keys in key order.
    public static TheoryData<string, string> PrimaryKeys => new()
    {
        { "tier_prices", "tier" },
        { "customers", "platform_id" },
        { "subscriptions", "platform_id" },
        { "webhook_events", "id" },
        { "usage_snapshots", "platform_id usage_date metric" },
        { "usage_periods", "platform_id period_start metric" },
        { "metering_runs", "id" },
        { "invoices", "id" },
        { "invoice_lines", "invoice_id line_id" },
        { "overage_runs", "platform_id period_start" },
        { "overage_lines", "platform_id period_start metric" },
        { "usage_alerts", "id" },
    };

    // Index name, unique, columns in order ("-" prefix = DESC).
    public static TheoryData<string, string, bool, string> Indexes => new()
    {
        { "tier_prices", "ux_tier_prices_lookup_key", true, "lookup_key" },
        { "tier_prices", "ux_tier_prices_stripe_price_id", true, "stripe_price_id" },
        { "customers", "ux_customers_stripe_customer_id", true, "stripe_customer_id" },
        { "subscriptions", "ux_subscriptions_stripe_subscription_id", true, "stripe_subscription_id" },
        { "subscriptions", "ix_subscriptions_updated_at_platform_id", false, "updated_at platform_id" },
        { "subscriptions", "ix_subscriptions_status_past_due_since", false, "status past_due_since" },
        { "webhook_events", "ix_webhook_events_outcome_stripe_created", false, "outcome stripe_created" },
        { "webhook_events", "ix_webhook_events_received_at", false, "received_at" },
        { "metering_runs", "ux_metering_runs_usage_date", true, "usage_date" },
        { "invoices", "ix_invoices_platform_id_created_id_desc", false, "platform_id -created -id" },
        { "invoices", "ix_invoices_platform_id_status_created_id_desc", false, "platform_id status -created -id" },
        { "overage_runs", "ux_overage_runs_stripe_invoice_id", true, "stripe_invoice_id" },
        { "overage_runs", "ix_overage_runs_status_updated_at", false, "status updated_at" },
        { "usage_alerts", "ux_usage_alerts_platform_id_period_start_metric_threshold", true, "platform_id period_start metric threshold" },
        { "usage_alerts", "ix_usage_alerts_triggered_at_id", false, "triggered_at id" },
    };

    // A valid row with one column set to a refused value: the CHECK named must refuse it.
    public static TheoryData<string, string, object?, string> RefusedValues => new()
    {
        { "tier_prices", "tier", "enterprise", "ck_tier_prices_tier" },
        { "tier_prices", "stripe_price_id", "plan_123", "ck_tier_prices_stripe_price_id" },
        { "tier_prices", "stripe_product_id", "price_123", "ck_tier_prices_stripe_product_id" },
        { "customers", "platform_id", "ABCDEFGHIJ", "ck_customers_platform_id" },
        { "customers", "platform_id", "abc-efghij", "ck_customers_platform_id" },
        { "customers", "platform_id", "abcdefghi", "ck_customers_platform_id" },
        { "customers", "platform_id", "abcdefghijk", "ck_customers_platform_id" },
        { "customers", "stripe_customer_id", "sub_123", "ck_customers_stripe_customer_id" },
        { "subscriptions", "status", "unpaid", "ck_subscriptions_status" },
        { "subscriptions", "status", "Active", "ck_subscriptions_status" },
        { "subscriptions", "tier", "free", "ck_subscriptions_tier" },
        { "subscriptions", "max_tier_in_period", "free", "ck_subscriptions_max_tier_in_period" },
        { "subscriptions", "end_reason", "cancellation_requested", "ck_subscriptions_end_reason" },
        { "subscriptions", "cancel_at_period_end", 2, "ck_subscriptions_cancel_at_period_end" },
        { "subscriptions", "cancel_seq", -1, "ck_subscriptions_cancel_seq" },
        { "subscriptions", "tier_change_seq", -1, "ck_subscriptions_tier_change_seq" },
        { "subscriptions", "stripe_subscription_id", "cus_123", "ck_subscriptions_stripe_subscription_id" },
        { "subscriptions", "stripe_subscription_item_id", "sub_123", "ck_subscriptions_stripe_subscription_item_id" },
        { "webhook_events", "outcome", "pending", "ck_webhook_events_outcome" },
        { "webhook_events", "id", "in_123", "ck_webhook_events_id" },
        { "usage_snapshots", "metric", "cpu_ms", "ck_usage_snapshots_metric" },
        { "usage_snapshots", "usage_date", "26/11/2026", "ck_usage_snapshots_usage_date" },
        { "usage_snapshots", "platform_id", "ABCDEFGHIJ", "ck_usage_snapshots_platform_id" },
        { "usage_snapshots", "quantity", -1, "ck_usage_snapshots_quantity" },
        { "usage_periods", "metric", "cpu_ms", "ck_usage_periods_metric" },
        { "usage_periods", "allowance", null, "ck_usage_periods_allowance" },
        { "usage_periods", "closed", 2, "ck_usage_periods_closed" },
        { "usage_periods", "period_end", 1000, "ck_usage_periods_period_end" },
        { "usage_periods", "platform_id", "short", "ck_usage_periods_platform_id" },
        { "metering_runs", "status", "pending", "ck_metering_runs_status" },
        { "metering_runs", "usage_date", "yesterday", "ck_metering_runs_usage_date" },
        { "invoices", "kind", "refund", "ck_invoices_kind" },
        { "invoices", "status", "deleted", "ck_invoices_status" },
        { "invoices", "id", "upcoming_123", "ck_invoices_id" },
        { "invoices", "platform_id", "ABCDEFGHIJ", "ck_invoices_platform_id" },
        { "invoice_lines", "kind", "tax", "ck_invoice_lines_kind" },
        { "invoice_lines", "metric", "kv_reads", "ck_invoice_lines_metric" },
        { "invoice_lines", "proration", 2, "ck_invoice_lines_proration" },
        { "overage_runs", "status", "sent", "ck_overage_runs_status" },
        { "overage_runs", "stripe_invoice_id", "ii_123", "ck_overage_runs_stripe_invoice_id" },
        { "overage_runs", "platform_id", "ABCDEFGHIJ", "ck_overage_runs_platform_id" },
        { "overage_lines", "metric", "r2_storage_bytes", "ck_overage_lines_metric" },
        { "overage_lines", "stripe_invoice_item_id", "in_123", "ck_overage_lines_stripe_invoice_item_id" },
        { "overage_lines", "amount", -1, "ck_overage_lines_amount" },
        { "usage_alerts", "threshold", 90, "ck_usage_alerts_threshold" },
        { "usage_alerts", "metric", "kv_reads", "ck_usage_alerts_metric" },
        { "usage_alerts", "platform_id", "abcdefghi!", "ck_usage_alerts_platform_id" },
    };

    // A row of the table, then a second with fresh values except these columns (copied): SQLite names them when it refuses.
    public static TheoryData<string, string> UniqueKeys => new()
    {
        { "tier_prices", "tier" },
        { "tier_prices", "lookup_key" },
        { "tier_prices", "stripe_price_id" },
        { "customers", "platform_id" },
        { "customers", "stripe_customer_id" },
        { "subscriptions", "stripe_subscription_id" },
        { "webhook_events", "id" },
        { "usage_snapshots", "platform_id usage_date metric" },
        { "usage_periods", "platform_id period_start metric" },
        { "metering_runs", "id" },
        { "metering_runs", "usage_date" },
        { "invoices", "id" },
        { "invoice_lines", "invoice_id line_id" },
        { "overage_runs", "platform_id period_start" },
        { "overage_runs", "stripe_invoice_id" },
        { "overage_lines", "platform_id period_start metric" },
        { "usage_alerts", "id" },
        { "usage_alerts", "platform_id period_start metric threshold" },
    };

    [Theory]
    [MemberData(nameof(Tables))]
    public async Task Table_HasExactlyTheColumnsTypesAndNullabilityOfTheSpec(string table, string columns)
    {
        await using var db = await BillingDatabase.CreateAsync();
        var expected = columns.Split(' ').Select(Parse).OrderBy(c => c.Name, StringComparer.Ordinal).ToList();

        var rows = await db.RowsAsync("SELECT name, type, \"notnull\", pk FROM pragma_table_info($t)", ("$t", table));
        var actual = rows
            .Select(r => (Name: (string)r[0]!, Type: (string)r[1]!, Nullable: (long)r[2]! == 0 && (long)r[3]! == 0))
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .ToList();

        Assert.Equal(expected, actual);

        static (string Name, string Type, bool Nullable) Parse(string token)
        {
            var nullable = token.EndsWith('?');
            var parts = token.TrimEnd('?').Split(':');
            var type = parts[1] switch { "T" => "TEXT", "I" => "INTEGER", "B" => "BLOB", _ => throw new ArgumentException(token) };
            return (parts[0], type, nullable);
        }
    }

    [Fact]
    public async Task Database_HasNoTableTheSpecDoesNotList()
    {
        await using var db = await BillingDatabase.CreateAsync();
        var tables = (await db.RowsAsync("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '__EFMigrationsHistory' AND name <> '__EFMigrationsLock'"))
            .Select(r => (string)r[0]!).Order(StringComparer.Ordinal);

        Assert.Equal(Tables.Select(t => (string)t[0]).Order(StringComparer.Ordinal), tables);
    }

    [Theory]
    [MemberData(nameof(PrimaryKeys))]
    public async Task Table_HasThePrimaryKeyOfTheSpec(string table, string columns)
    {
        await using var db = await BillingDatabase.CreateAsync();
        var key = (await db.RowsAsync("SELECT name FROM pragma_table_info($t) WHERE pk > 0 ORDER BY pk", ("$t", table))).Select(r => (string)r[0]!);

        Assert.Equal(columns.Split(' '), key);
    }

    [Theory]
    [MemberData(nameof(Indexes))]
    public async Task Index_ExistsWithItsColumnsOrderAndUniqueness(string table, string index, bool unique, string columns)
    {
        await using var db = await BillingDatabase.CreateAsync();
        var owner = await db.ScalarAsync("SELECT tbl_name FROM sqlite_master WHERE type = 'index' AND name = $i", ("$i", index));
        Assert.Equal(table, owner);

        var isUnique = (long)(await db.ScalarAsync("SELECT \"unique\" FROM pragma_index_list($t) WHERE name = $i", ("$t", table), ("$i", index)))!;
        Assert.Equal(unique, isUnique == 1);

        var keyColumns = (await db.RowsAsync("SELECT name, \"desc\" FROM pragma_index_xinfo($i) WHERE key = 1 ORDER BY seqno", ("$i", index)))
            .Select(r => ((long)r[1]! == 1 ? "-" : string.Empty) + (string)r[0]!);
        Assert.Equal(columns.Split(' '), keyColumns);
    }

    [Theory]
    [MemberData(nameof(RefusedValues))]
    public async Task Check_RefusesAValueOutsideTheSpec(string table, string column, object? value, string constraint)
    {
        await using var db = await BillingDatabase.CreateAsync();
        var row = BillingRows.Row(table, BillingRows.NewPlatformId());
        await BillingRows.InsertParentsAsync(db, table, row);
        var bad = new Dictionary<string, object?>(row) { [column] = value };
        if (table == "usage_periods" && column == "metric")
        {
            // Not a billed metric, so no allowance: only the metric CHECK is left to refuse the row.
            bad["allowance"] = null;
        }

        var error = await Assert.ThrowsAsync<SqliteException>(() => db.InsertAsync(table, bad));
        Assert.Contains($"CHECK constraint failed: {constraint}", error.Message, StringComparison.Ordinal);

        // The same row with the valid value goes in: the CHECK refuses the value, not the row.
        await db.InsertAsync(table, row);
    }

    [Fact]
    public async Task Checks_AcceptEveryValueOfEachEnum()
    {
        await using var db = await BillingDatabase.CreateAsync();
        foreach (var tier in new[] { "starter", "growth", "scale" })
        {
            await db.InsertAsync("tier_prices", BillingRows.Row("tier_prices", "", new Dictionary<string, object?> { ["tier"] = tier }));
        }

        foreach (var status in new[] { "active", "trialing", "past_due", "canceled" })
        {
            foreach (var reason in new object?[] { null, "period_end", "payment_failed", "immediate" })
            {
                await BillingRows.InsertValidAsync(db, "subscriptions", new Dictionary<string, object?> { ["status"] = status, ["end_reason"] = reason, ["cancel_at_period_end"] = 1 });
            }
        }

        foreach (var outcome in new[] { "processed", "stale", "ignored", "failed" })
        {
            await BillingRows.InsertValidAsync(db, "webhook_events", new Dictionary<string, object?> { ["outcome"] = outcome, ["error"] = outcome == "failed" ? "boom" : null, ["payload_json"] = null });
        }

        foreach (var metric in new[] { "workers_invocations", "d1_rows_read", "d1_rows_written", "r2_storage_bytes", "r2_class_a_ops", "r2_class_b_ops", "kv_reads", "kv_writes" })
        {
            var billed = metric is "workers_invocations" or "d1_rows_read" or "d1_rows_written";
            await BillingRows.InsertValidAsync(db, "usage_snapshots", new Dictionary<string, object?> { ["metric"] = metric });
            await BillingRows.InsertValidAsync(db, "usage_periods", new Dictionary<string, object?> { ["metric"] = metric, ["allowance"] = billed ? 1000L : null });
        }

        foreach (var status in new[] { "running", "completed", "failed" })
        {
            await BillingRows.InsertValidAsync(db, "metering_runs", new Dictionary<string, object?> { ["status"] = status });
        }

        foreach (var kind in new[] { "subscription", "overage" })
        {
            foreach (var status in new[] { "draft", "open", "paid", "void", "uncollectible" })
            {
                await BillingRows.InsertValidAsync(db, "invoices", new Dictionary<string, object?> { ["kind"] = kind, ["status"] = status });
            }
        }

        foreach (var kind in new[] { "subscription", "proration", "overage", "other" })
        {
            await BillingRows.InsertValidAsync(db, "invoice_lines", new Dictionary<string, object?> { ["kind"] = kind, ["metric"] = kind == "overage" ? "d1_rows_written" : null, ["description"] = null, ["quantity"] = null });
        }

        foreach (var status in new[] { "pending", "draft_created", "items_added", "finalized", "paid", "payment_failed", "skipped" })
        {
            await BillingRows.InsertValidAsync(db, "overage_runs", new Dictionary<string, object?> { ["status"] = status, ["stripe_invoice_id"] = status == "pending" ? null : "in_" + BillingRows.Fresh() });
        }

        foreach (var threshold in new[] { 80, 100 })
        {
            await BillingRows.InsertValidAsync(db, "usage_alerts", new Dictionary<string, object?> { ["threshold"] = threshold });
        }

        Assert.Equal(16L, await db.ScalarAsync("SELECT count(*) FROM subscriptions"));
        Assert.Equal(7L, await db.ScalarAsync("SELECT count(*) FROM overage_runs"));
    }

    [Fact]
    public async Task UsagePeriods_InformationalMetricHasNoAllowance_BilledMetricNeedsOne()
    {
        await using var db = await BillingDatabase.CreateAsync();

        var withAllowance = await Assert.ThrowsAsync<SqliteException>(() =>
            BillingRows.InsertValidAsync(db, "usage_periods", new Dictionary<string, object?> { ["metric"] = "kv_reads", ["allowance"] = 1000L }));
        Assert.Contains("ck_usage_periods_allowance", withAllowance.Message, StringComparison.Ordinal);
        var withoutAllowance = await Assert.ThrowsAsync<SqliteException>(() =>
            BillingRows.InsertValidAsync(db, "usage_periods", new Dictionary<string, object?> { ["metric"] = "workers_invocations", ["allowance"] = null }));
        Assert.Contains("ck_usage_periods_allowance", withoutAllowance.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(UniqueKeys))]
    public async Task UniqueKey_RefusesASecondRowWithTheSameValues(string table, string columns)
    {
        await using var db = await BillingDatabase.CreateAsync();
        var first = await BillingRows.InsertValidAsync(db, table);
        var keyColumns = columns.Split(' ');
        // Everything fresh (and a tier other than the first's where the tier is not the key), the key copied.
        var second = BillingRows.Row(table, BillingRows.NewPlatformId(), table == "tier_prices" && columns != "tier" ? new Dictionary<string, object?> { ["tier"] = "scale" } : null);
        foreach (var column in keyColumns)
        {
            second[column] = first[column];
        }

        // Where the key holds the parent's columns, the first row's parent is the second's too.
        if (table is not ("invoice_lines" or "overage_lines"))
        {
            await BillingRows.InsertParentsAsync(db, table, second);
        }

        var error = await Assert.ThrowsAsync<SqliteException>(() => db.InsertAsync(table, second));
        Assert.Contains($"UNIQUE constraint failed: {string.Join(", ", keyColumns.Select(c => table + "." + c))}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NullableUniqueColumns_AcceptManyNulls()
    {
        await using var db = await BillingDatabase.CreateAsync();
        await db.InsertAsync("tier_prices", BillingRows.Row("tier_prices", "", new Dictionary<string, object?> { ["tier"] = "starter", ["stripe_price_id"] = null, ["stripe_product_id"] = null, ["resolved_at"] = null }));
        await db.InsertAsync("tier_prices", BillingRows.Row("tier_prices", "", new Dictionary<string, object?> { ["tier"] = "growth", ["stripe_price_id"] = null, ["stripe_product_id"] = null, ["resolved_at"] = null }));
        await BillingRows.InsertValidAsync(db, "overage_runs", new Dictionary<string, object?> { ["stripe_invoice_id"] = null });
        await BillingRows.InsertValidAsync(db, "overage_runs", new Dictionary<string, object?> { ["stripe_invoice_id"] = null });

        Assert.Equal(2L, await db.ScalarAsync("SELECT count(*) FROM tier_prices WHERE stripe_price_id IS NULL"));
        Assert.Equal(2L, await db.ScalarAsync("SELECT count(*) FROM overage_runs WHERE stripe_invoice_id IS NULL"));
    }

    [Fact]
    public async Task Subscription_NeedsItsCustomer_AndKeepsTheCustomerFromBeingDeleted()
    {
        await using var db = await BillingDatabase.CreateAsync();
        var orphan = BillingRows.Row("subscriptions", BillingRows.NewPlatformId());
        var error = await Assert.ThrowsAsync<SqliteException>(() => db.InsertAsync("subscriptions", orphan));
        Assert.Contains("FOREIGN KEY", error.Message, StringComparison.Ordinal);

        var row = await BillingRows.InsertValidAsync(db, "subscriptions");
        var delete = await Assert.ThrowsAsync<SqliteException>(() => db.ExecuteAsync("DELETE FROM customers WHERE platform_id = $p", ("$p", row["platform_id"])));
        Assert.Contains("FOREIGN KEY", delete.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Subscription_SequencesDefaultToZero()
    {
        await using var db = await BillingDatabase.CreateAsync();
        var row = await BillingRows.InsertValidAsync(db, "subscriptions");

        var sequences = (await db.RowsAsync("SELECT tier_change_seq, cancel_seq FROM subscriptions WHERE platform_id = $p", ("$p", row["platform_id"]))).Single();
        Assert.Equal([0L, 0L], sequences);
    }

    [Fact]
    public async Task InvoiceLines_AndOverageLines_NeedTheirParent_AndGoWithIt()
    {
        await using var db = await BillingDatabase.CreateAsync();
        var orphanLine = BillingRows.Row("invoice_lines", BillingRows.NewPlatformId());
        Assert.Contains("FOREIGN KEY", (await Assert.ThrowsAsync<SqliteException>(() => db.InsertAsync("invoice_lines", orphanLine))).Message, StringComparison.Ordinal);
        var orphanOverage = BillingRows.Row("overage_lines", BillingRows.NewPlatformId());
        Assert.Contains("FOREIGN KEY", (await Assert.ThrowsAsync<SqliteException>(() => db.InsertAsync("overage_lines", orphanOverage))).Message, StringComparison.Ordinal);

        var line = await BillingRows.InsertValidAsync(db, "invoice_lines");
        var overage = await BillingRows.InsertValidAsync(db, "overage_lines");
        var otherLine = await BillingRows.InsertValidAsync(db, "invoice_lines");
        await db.ExecuteAsync("DELETE FROM invoices WHERE id = $i", ("$i", line["invoice_id"]));
        await db.ExecuteAsync("DELETE FROM overage_runs WHERE platform_id = $p", ("$p", overage["platform_id"]));

        Assert.Equal(0L, await db.ScalarAsync("SELECT count(*) FROM invoice_lines WHERE invoice_id = $i", ("$i", line["invoice_id"])));
        Assert.Equal(0L, await db.ScalarAsync("SELECT count(*) FROM overage_lines WHERE platform_id = $p", ("$p", overage["platform_id"])));
        Assert.Equal(1L, await db.ScalarAsync("SELECT count(*) FROM invoice_lines WHERE invoice_id = $i", ("$i", otherLine["invoice_id"])));
    }

    [Fact]
    public async Task ListQueries_UseTheirIndexes()
    {
        await using var db = await BillingDatabase.CreateAsync();
        (string Sql, string Index)[] queries =
        [
            ("SELECT * FROM invoices WHERE platform_id = 'abcdefghij' ORDER BY created DESC, id DESC LIMIT 21", "ix_invoices_platform_id_created_id_desc"),
            ("SELECT * FROM invoices WHERE platform_id = 'abcdefghij' AND status = 'paid' ORDER BY created DESC, id DESC LIMIT 21", "ix_invoices_platform_id_status_created_id_desc"),
            ("SELECT * FROM subscriptions WHERE (updated_at, platform_id) > (5, 'abcdefghij') ORDER BY updated_at, platform_id LIMIT 21", "ix_subscriptions_updated_at_platform_id"),
            ("SELECT * FROM usage_alerts WHERE (triggered_at, id) > (5, 'ual_x') ORDER BY triggered_at, id LIMIT 21", "ix_usage_alerts_triggered_at_id"),
            ("SELECT platform_id FROM subscriptions WHERE status = 'past_due' AND past_due_since <= 5", "ix_subscriptions_status_past_due_since"),
        ];
        foreach (var (sql, index) in queries)
        {
            var plan = string.Join(" | ", (await db.RowsAsync("EXPLAIN QUERY PLAN " + sql)).Select(r => (string)r[3]!));
            Assert.Contains(index, plan, StringComparison.Ordinal);
            Assert.DoesNotContain("TEMP B-TREE", plan, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task TheService_MigratesItsDatabaseAtStart()
    {
        await using var platform = await TestPlatform.StartAsync(["billing"]);
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(platform.DataDir, "db", "billing.db")};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT \"MigrationId\" FROM \"__EFMigrationsHistory\" ORDER BY \"MigrationId\"";
        var applied = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                applied.Add(reader.GetString(0));
            }
        }

        Assert.Collection(applied, m => Assert.EndsWith("_InitialBilling", m, StringComparison.Ordinal), m => Assert.EndsWith("_BillingModel", m, StringComparison.Ordinal));
    }
}

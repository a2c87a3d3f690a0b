using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Nno.Billing.Data.Migrations
{
    /// <inheritdoc />
    public partial class BillingModel : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "customers",
                columns: table => new
                {
                    platform_id = table.Column<string>(type: "TEXT", nullable: false),
                    stripe_customer_id = table.Column<string>(type: "TEXT", nullable: false),
                    email = table.Column<string>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_customers", x => x.platform_id);
                    table.CheckConstraint("ck_customers_platform_id", "length(platform_id) = 10 AND platform_id NOT GLOB '*[^a-z0-9]*'");
                    table.CheckConstraint("ck_customers_stripe_customer_id", "stripe_customer_id GLOB 'cus_?*'");
                });

            migrationBuilder.CreateTable(
                name: "invoices",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", nullable: false),
                    platform_id = table.Column<string>(type: "TEXT", nullable: false),
                    kind = table.Column<string>(type: "TEXT", nullable: false),
                    number = table.Column<string>(type: "TEXT", nullable: true),
                    status = table.Column<string>(type: "TEXT", nullable: false),
                    billing_reason = table.Column<string>(type: "TEXT", nullable: true),
                    currency = table.Column<string>(type: "TEXT", nullable: false),
                    subtotal = table.Column<long>(type: "INTEGER", nullable: false),
                    total = table.Column<long>(type: "INTEGER", nullable: false),
                    amount_due = table.Column<long>(type: "INTEGER", nullable: false),
                    amount_paid = table.Column<long>(type: "INTEGER", nullable: false),
                    amount_remaining = table.Column<long>(type: "INTEGER", nullable: false),
                    period_start = table.Column<long>(type: "INTEGER", nullable: false),
                    period_end = table.Column<long>(type: "INTEGER", nullable: false),
                    hosted_invoice_url = table.Column<string>(type: "TEXT", nullable: true),
                    invoice_pdf = table.Column<string>(type: "TEXT", nullable: true),
                    created = table.Column<long>(type: "INTEGER", nullable: false),
                    finalized_at = table.Column<long>(type: "INTEGER", nullable: true),
                    paid_at = table.Column<long>(type: "INTEGER", nullable: true),
                    voided_at = table.Column<long>(type: "INTEGER", nullable: true),
                    last_event_created = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_invoices", x => x.id);
                    table.CheckConstraint("ck_invoices_id", "id GLOB 'in_?*'");
                    table.CheckConstraint("ck_invoices_kind", "kind IN ('subscription', 'overage')");
                    table.CheckConstraint("ck_invoices_platform_id", "length(platform_id) = 10 AND platform_id NOT GLOB '*[^a-z0-9]*'");
                    table.CheckConstraint("ck_invoices_status", "status IN ('draft', 'open', 'paid', 'void', 'uncollectible')");
                });

            migrationBuilder.CreateTable(
                name: "job_leases",
                columns: table => new
                {
                    name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    holder = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    leased_until = table.Column<long>(type: "INTEGER", nullable: false),
                    last_run_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_job_leases", x => x.name);
                });

            migrationBuilder.CreateTable(
                name: "metering_runs",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", nullable: false),
                    usage_date = table.Column<string>(type: "TEXT", nullable: false),
                    status = table.Column<string>(type: "TEXT", nullable: false),
                    lease_until = table.Column<long>(type: "INTEGER", nullable: false),
                    started_at = table.Column<long>(type: "INTEGER", nullable: false),
                    finished_at = table.Column<long>(type: "INTEGER", nullable: true),
                    stats_json = table.Column<string>(type: "TEXT", nullable: true),
                    error = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_metering_runs", x => x.id);
                    table.CheckConstraint("ck_metering_runs_status", "status IN ('running', 'completed', 'failed')");
                    table.CheckConstraint("ck_metering_runs_usage_date", "usage_date GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'");
                });

            migrationBuilder.CreateTable(
                name: "overage_runs",
                columns: table => new
                {
                    platform_id = table.Column<string>(type: "TEXT", nullable: false),
                    period_start = table.Column<long>(type: "INTEGER", nullable: false),
                    period_end = table.Column<long>(type: "INTEGER", nullable: false),
                    status = table.Column<string>(type: "TEXT", nullable: false),
                    stripe_invoice_id = table.Column<string>(type: "TEXT", nullable: true),
                    total = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_overage_runs", x => new { x.platform_id, x.period_start });
                    table.CheckConstraint("ck_overage_runs_platform_id", "length(platform_id) = 10 AND platform_id NOT GLOB '*[^a-z0-9]*'");
                    table.CheckConstraint("ck_overage_runs_status", "status IN ('pending', 'draft_created', 'items_added', 'finalized', 'paid', 'payment_failed', 'skipped')");
                    table.CheckConstraint("ck_overage_runs_stripe_invoice_id", "stripe_invoice_id IS NULL OR stripe_invoice_id GLOB 'in_?*'");
                });

            migrationBuilder.CreateTable(
                name: "tier_prices",
                columns: table => new
                {
                    tier = table.Column<string>(type: "TEXT", nullable: false),
                    lookup_key = table.Column<string>(type: "TEXT", nullable: false),
                    unit_amount = table.Column<long>(type: "INTEGER", nullable: false),
                    currency = table.Column<string>(type: "TEXT", nullable: false),
                    stripe_price_id = table.Column<string>(type: "TEXT", nullable: true),
                    stripe_product_id = table.Column<string>(type: "TEXT", nullable: true),
                    resolved_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_tier_prices", x => x.tier);
                    table.CheckConstraint("ck_tier_prices_stripe_price_id", "stripe_price_id IS NULL OR stripe_price_id GLOB 'price_?*'");
                    table.CheckConstraint("ck_tier_prices_stripe_product_id", "stripe_product_id IS NULL OR stripe_product_id GLOB 'prod_?*'");
                    table.CheckConstraint("ck_tier_prices_tier", "tier IN ('starter', 'growth', 'scale')");
                });

            migrationBuilder.CreateTable(
                name: "usage_alerts",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", nullable: false),
                    platform_id = table.Column<string>(type: "TEXT", nullable: false),
                    period_start = table.Column<long>(type: "INTEGER", nullable: false),
                    metric = table.Column<string>(type: "TEXT", nullable: false),
                    threshold = table.Column<int>(type: "INTEGER", nullable: false),
                    quantity = table.Column<long>(type: "INTEGER", nullable: false),
                    allowance = table.Column<long>(type: "INTEGER", nullable: false),
                    triggered_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_usage_alerts", x => x.id);
                    table.CheckConstraint("ck_usage_alerts_metric", "metric IN ('workers_invocations', 'd1_rows_read', 'd1_rows_written')");
                    table.CheckConstraint("ck_usage_alerts_platform_id", "length(platform_id) = 10 AND platform_id NOT GLOB '*[^a-z0-9]*'");
                    table.CheckConstraint("ck_usage_alerts_threshold", "threshold IN (80, 100)");
                });

            migrationBuilder.CreateTable(
                name: "usage_periods",
                columns: table => new
                {
                    platform_id = table.Column<string>(type: "TEXT", nullable: false),
                    period_start = table.Column<long>(type: "INTEGER", nullable: false),
                    metric = table.Column<string>(type: "TEXT", nullable: false),
                    period_end = table.Column<long>(type: "INTEGER", nullable: false),
                    quantity = table.Column<long>(type: "INTEGER", nullable: false),
                    allowance = table.Column<long>(type: "INTEGER", nullable: true),
                    overage_quantity = table.Column<long>(type: "INTEGER", nullable: false),
                    closed = table.Column<bool>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_usage_periods", x => new { x.platform_id, x.period_start, x.metric });
                    table.CheckConstraint("ck_usage_periods_allowance", "(allowance IS NULL) = (metric NOT IN ('workers_invocations', 'd1_rows_read', 'd1_rows_written')) AND (allowance IS NULL OR allowance >= 0)");
                    table.CheckConstraint("ck_usage_periods_closed", "closed IN (0, 1)");
                    table.CheckConstraint("ck_usage_periods_metric", "metric IN ('workers_invocations', 'd1_rows_read', 'd1_rows_written', 'r2_storage_bytes', 'r2_class_a_ops', 'r2_class_b_ops', 'kv_reads', 'kv_writes')");
                    table.CheckConstraint("ck_usage_periods_overage_quantity", "overage_quantity >= 0");
                    table.CheckConstraint("ck_usage_periods_period_end", "period_end > period_start");
                    table.CheckConstraint("ck_usage_periods_platform_id", "length(platform_id) = 10 AND platform_id NOT GLOB '*[^a-z0-9]*'");
                });

            migrationBuilder.CreateTable(
                name: "usage_snapshots",
                columns: table => new
                {
                    platform_id = table.Column<string>(type: "TEXT", nullable: false),
                    usage_date = table.Column<string>(type: "TEXT", nullable: false),
                    metric = table.Column<string>(type: "TEXT", nullable: false),
                    quantity = table.Column<long>(type: "INTEGER", nullable: false),
                    run_id = table.Column<string>(type: "TEXT", nullable: false),
                    collected_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_usage_snapshots", x => new { x.platform_id, x.usage_date, x.metric });
                    table.CheckConstraint("ck_usage_snapshots_metric", "metric IN ('workers_invocations', 'd1_rows_read', 'd1_rows_written', 'r2_storage_bytes', 'r2_class_a_ops', 'r2_class_b_ops', 'kv_reads', 'kv_writes')");
                    table.CheckConstraint("ck_usage_snapshots_platform_id", "length(platform_id) = 10 AND platform_id NOT GLOB '*[^a-z0-9]*'");
                    table.CheckConstraint("ck_usage_snapshots_quantity", "quantity >= 0");
                    table.CheckConstraint("ck_usage_snapshots_usage_date", "usage_date GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'");
                });

            migrationBuilder.CreateTable(
                name: "webhook_events",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", nullable: false),
                    type = table.Column<string>(type: "TEXT", nullable: false),
                    object_id = table.Column<string>(type: "TEXT", nullable: false),
                    stripe_created = table.Column<long>(type: "INTEGER", nullable: false),
                    received_at = table.Column<long>(type: "INTEGER", nullable: false),
                    processed_at = table.Column<long>(type: "INTEGER", nullable: false),
                    outcome = table.Column<string>(type: "TEXT", nullable: false),
                    error = table.Column<string>(type: "TEXT", nullable: true),
                    payload_json = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_webhook_events", x => x.id);
                    table.CheckConstraint("ck_webhook_events_id", "id GLOB 'evt_?*'");
                    table.CheckConstraint("ck_webhook_events_outcome", "outcome IN ('processed', 'stale', 'ignored', 'failed')");
                });

            migrationBuilder.CreateTable(
                name: "subscriptions",
                columns: table => new
                {
                    platform_id = table.Column<string>(type: "TEXT", nullable: false),
                    stripe_subscription_id = table.Column<string>(type: "TEXT", nullable: false),
                    stripe_subscription_item_id = table.Column<string>(type: "TEXT", nullable: false),
                    tier = table.Column<string>(type: "TEXT", nullable: false),
                    status = table.Column<string>(type: "TEXT", nullable: false),
                    stripe_status = table.Column<string>(type: "TEXT", nullable: false),
                    current_period_start = table.Column<long>(type: "INTEGER", nullable: false),
                    current_period_end = table.Column<long>(type: "INTEGER", nullable: false),
                    cancel_at_period_end = table.Column<bool>(type: "INTEGER", nullable: false),
                    canceled_at = table.Column<long>(type: "INTEGER", nullable: true),
                    ended_at = table.Column<long>(type: "INTEGER", nullable: true),
                    end_reason = table.Column<string>(type: "TEXT", nullable: true),
                    trial_ends_at = table.Column<long>(type: "INTEGER", nullable: true),
                    past_due_since = table.Column<long>(type: "INTEGER", nullable: true),
                    max_tier_in_period = table.Column<string>(type: "TEXT", nullable: false),
                    tier_change_seq = table.Column<long>(type: "INTEGER", nullable: false, defaultValue: 0L),
                    cancel_seq = table.Column<long>(type: "INTEGER", nullable: false, defaultValue: 0L),
                    last_event_created = table.Column<long>(type: "INTEGER", nullable: false),
                    lock_until = table.Column<long>(type: "INTEGER", nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_subscriptions", x => x.platform_id);
                    table.CheckConstraint("ck_subscriptions_cancel_at_period_end", "cancel_at_period_end IN (0, 1)");
                    table.CheckConstraint("ck_subscriptions_cancel_seq", "cancel_seq >= 0");
                    table.CheckConstraint("ck_subscriptions_end_reason", "end_reason IS NULL OR end_reason IN ('period_end', 'payment_failed', 'immediate')");
                    table.CheckConstraint("ck_subscriptions_max_tier_in_period", "max_tier_in_period IN ('starter', 'growth', 'scale')");
                    table.CheckConstraint("ck_subscriptions_platform_id", "length(platform_id) = 10 AND platform_id NOT GLOB '*[^a-z0-9]*'");
                    table.CheckConstraint("ck_subscriptions_status", "status IN ('active', 'trialing', 'past_due', 'canceled')");
                    table.CheckConstraint("ck_subscriptions_stripe_subscription_id", "stripe_subscription_id GLOB 'sub_?*'");
                    table.CheckConstraint("ck_subscriptions_stripe_subscription_item_id", "stripe_subscription_item_id GLOB 'si_?*'");
                    table.CheckConstraint("ck_subscriptions_tier", "tier IN ('starter', 'growth', 'scale')");
                    table.CheckConstraint("ck_subscriptions_tier_change_seq", "tier_change_seq >= 0");
                    table.ForeignKey(
                        name: "fk_subscriptions_customers_platform_id",
                        column: x => x.platform_id,
                        principalTable: "customers",
                        principalColumn: "platform_id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "invoice_lines",
                columns: table => new
                {
                    invoice_id = table.Column<string>(type: "TEXT", nullable: false),
                    line_id = table.Column<string>(type: "TEXT", nullable: false),
                    description = table.Column<string>(type: "TEXT", nullable: true),
                    amount = table.Column<long>(type: "INTEGER", nullable: false),
                    quantity = table.Column<long>(type: "INTEGER", nullable: true),
                    period_start = table.Column<long>(type: "INTEGER", nullable: false),
                    period_end = table.Column<long>(type: "INTEGER", nullable: false),
                    proration = table.Column<bool>(type: "INTEGER", nullable: false),
                    kind = table.Column<string>(type: "TEXT", nullable: false),
                    metric = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_invoice_lines", x => new { x.invoice_id, x.line_id });
                    table.CheckConstraint("ck_invoice_lines_kind", "kind IN ('subscription', 'proration', 'overage', 'other')");
                    table.CheckConstraint("ck_invoice_lines_metric", "metric IS NULL OR metric IN ('workers_invocations', 'd1_rows_read', 'd1_rows_written')");
                    table.CheckConstraint("ck_invoice_lines_proration", "proration IN (0, 1)");
                    table.ForeignKey(
                        name: "fk_invoice_lines_invoices_invoice_id",
                        column: x => x.invoice_id,
                        principalTable: "invoices",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "overage_lines",
                columns: table => new
                {
                    platform_id = table.Column<string>(type: "TEXT", nullable: false),
                    period_start = table.Column<long>(type: "INTEGER", nullable: false),
                    metric = table.Column<string>(type: "TEXT", nullable: false),
                    quantity = table.Column<long>(type: "INTEGER", nullable: false),
                    allowance = table.Column<long>(type: "INTEGER", nullable: false),
                    overage_quantity = table.Column<long>(type: "INTEGER", nullable: false),
                    unit_amount_decimal = table.Column<string>(type: "TEXT", nullable: false),
                    amount = table.Column<long>(type: "INTEGER", nullable: false),
                    stripe_invoice_item_id = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_overage_lines", x => new { x.platform_id, x.period_start, x.metric });
                    table.CheckConstraint("ck_overage_lines_amount", "amount >= 0");
                    table.CheckConstraint("ck_overage_lines_metric", "metric IN ('workers_invocations', 'd1_rows_read', 'd1_rows_written')");
                    table.CheckConstraint("ck_overage_lines_platform_id", "length(platform_id) = 10 AND platform_id NOT GLOB '*[^a-z0-9]*'");
                    table.CheckConstraint("ck_overage_lines_stripe_invoice_item_id", "stripe_invoice_item_id IS NULL OR stripe_invoice_item_id GLOB 'ii_?*'");
                    table.ForeignKey(
                        name: "fk_overage_lines_overage_runs_platform_id_period_start",
                        columns: x => new { x.platform_id, x.period_start },
                        principalTable: "overage_runs",
                        principalColumns: new[] { "platform_id", "period_start" },
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ux_customers_stripe_customer_id",
                table: "customers",
                column: "stripe_customer_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_invoices_platform_id_created_id_desc",
                table: "invoices",
                columns: new[] { "platform_id", "created", "id" },
                descending: new[] { false, true, true });

            migrationBuilder.CreateIndex(
                name: "ix_invoices_platform_id_status_created_id_desc",
                table: "invoices",
                columns: new[] { "platform_id", "status", "created", "id" },
                descending: new[] { false, false, true, true });

            migrationBuilder.CreateIndex(
                name: "ux_metering_runs_usage_date",
                table: "metering_runs",
                column: "usage_date",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_overage_runs_status_updated_at",
                table: "overage_runs",
                columns: new[] { "status", "updated_at" });

            migrationBuilder.CreateIndex(
                name: "ux_overage_runs_stripe_invoice_id",
                table: "overage_runs",
                column: "stripe_invoice_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_subscriptions_status_past_due_since",
                table: "subscriptions",
                columns: new[] { "status", "past_due_since" });

            migrationBuilder.CreateIndex(
                name: "ix_subscriptions_updated_at_platform_id",
                table: "subscriptions",
                columns: new[] { "updated_at", "platform_id" });

            migrationBuilder.CreateIndex(
                name: "ux_subscriptions_stripe_subscription_id",
                table: "subscriptions",
                column: "stripe_subscription_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ux_tier_prices_lookup_key",
                table: "tier_prices",
                column: "lookup_key",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ux_tier_prices_stripe_price_id",
                table: "tier_prices",
                column: "stripe_price_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_usage_alerts_triggered_at_id",
                table: "usage_alerts",
                columns: new[] { "triggered_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ux_usage_alerts_platform_id_period_start_metric_threshold",
                table: "usage_alerts",
                columns: new[] { "platform_id", "period_start", "metric", "threshold" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_webhook_events_outcome_stripe_created",
                table: "webhook_events",
                columns: new[] { "outcome", "stripe_created" });

            migrationBuilder.CreateIndex(
                name: "ix_webhook_events_received_at",
                table: "webhook_events",
                column: "received_at");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "invoice_lines");

            migrationBuilder.DropTable(
                name: "job_leases");

            migrationBuilder.DropTable(
                name: "metering_runs");

            migrationBuilder.DropTable(
                name: "overage_lines");

            migrationBuilder.DropTable(
                name: "subscriptions");

            migrationBuilder.DropTable(
                name: "tier_prices");

            migrationBuilder.DropTable(
                name: "usage_alerts");

            migrationBuilder.DropTable(
                name: "usage_periods");

            migrationBuilder.DropTable(
                name: "usage_snapshots");

            migrationBuilder.DropTable(
                name: "webhook_events");

            migrationBuilder.DropTable(
                name: "invoices");

            migrationBuilder.DropTable(
                name: "overage_runs");

            migrationBuilder.DropTable(
                name: "customers");
        }
    }
}

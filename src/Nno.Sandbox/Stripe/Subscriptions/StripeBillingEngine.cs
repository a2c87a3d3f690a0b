using System.Globalization;
using System.Text.Json.Nodes;
using Nno.Sandbox.Stripe.Common;
using Nno.Sandbox.Stripe.Invoices;
using Nno.Sandbox.Stripe.Pipeline;

namespace Nno.Sandbox.Stripe.Subscriptions;

/// <summary>
/// The billing engine (billing.md §5.1) on the sandbox clock: period and trial ends (renewal invoice, or the end of a
/// subscription cancelled at period end), <c>trial_will_end</c> 3 days before a trial ends, renewal invoices finalized
/// <c>invoiceFinalizeDelaySeconds</c> after creation and charged, dunning retries after <c>dunning.retryDays</c> then
/// <c>dunning.finalAction</c>, and <c>incomplete</c> subscriptions expiring after 23 h. Each pending transition is a row of
/// <c>billing_due</c> (object, action, due time), so the next due time is one indexed query.
/// </summary>
public sealed class StripeBillingEngine(StripeStore store, StripeFaults faults) : IStripeClockHook
{
    public const string PeriodEnd = "period_end";
    public const string TrialWillEnd = "trial_will_end";
    public const string ExpireIncomplete = "expire_incomplete";
    public const string Finalize = "finalize";
    public const string Retry = "retry";

    /// <summary>How long an <c>incomplete</c> subscription waits for its first payment.</summary>
    public static readonly TimeSpan IncompleteExpiry = TimeSpan.FromHours(23);

    /// <summary><c>trial_will_end</c> fires this long before the trial ends.</summary>
    public static readonly TimeSpan TrialWillEndNotice = TimeSpan.FromDays(3);

    public async Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT MIN(due_at) FROM billing_due";
        return await command.ExecuteScalarAsync(cancellationToken) is long due ? DateTimeOffset.FromUnixTimeSeconds(due) : null;
    }

    public async Task RunDueAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var at = now.ToUnixTimeSeconds();
        // One transition per write, earliest first; a transition may schedule others (even due now), so re-read each time.
        while (true)
        {
            var ran = await store.WriteAsync(async (connection, transaction) =>
            {
                string objectId, action;
                await using (var command = connection.CreateCommand())
                {
                    command.Transaction = transaction;
                    command.CommandText = "SELECT object_id, action FROM billing_due WHERE due_at <= $now ORDER BY due_at, rowid LIMIT 1";
                    command.Parameters.AddWithValue("$now", at);
                    await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                    if (!await reader.ReadAsync(cancellationToken))
                    {
                        return false;
                    }

                    objectId = reader.GetString(0);
                    action = reader.GetString(1);
                }

                var scope = new BillingScope(connection, transaction, at, null, null, faults.Current, cancellationToken);
                await ClearDueAsync(scope, objectId, action);
                var version = await ApiVersionAsync(scope, objectId);
                scope = scope with { ApiVersion = version };
                await RunAsync(scope, objectId, action);
                return true;
            }, cancellationToken);
            if (!ran)
            {
                return;
            }
        }
    }

    private static async Task RunAsync(BillingScope scope, string objectId, string action)
    {
        switch (action)
        {
            case PeriodEnd:
                await EndPeriodAsync(scope, await scope.LoadAsync(objectId, SubscriptionsApi.Kind));
                break;
            case TrialWillEnd:
                var trialing = await scope.LoadAsync(objectId, SubscriptionsApi.Kind);
                if ((string?)trialing["status"] == "trialing")
                {
                    await scope.EmitAsync("customer.subscription.trial_will_end", trialing);
                }

                break;
            case ExpireIncomplete:
                await ExpireAsync(scope, await scope.LoadAsync(objectId, SubscriptionsApi.Kind));
                break;
            case Finalize:
                var draft = await scope.LoadAsync(objectId, StripeLedger.InvoiceKind);
                if ((string?)draft["status"] == "draft")
                {
                    await FinalizeAndCollectAsync(scope, draft);
                }

                break;
            case Retry:
                var open = await scope.LoadAsync(objectId, StripeLedger.InvoiceKind);
                if ((string?)open["status"] == "open")
                {
                    await CollectAsync(scope, open);
                }

                break;
            default:
                throw new InvalidOperationException($"Unknown billing transition {action}.");
        }
    }

    /// <summary>Schedules (or moves) a transition of an object.</summary>
    public static async Task SetDueAsync(BillingScope scope, string objectId, string action, long dueAt)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await using var command = scope.Connection.CreateCommand();
        command.Transaction = scope.Transaction;
        command.CommandText = """
            INSERT INTO billing_due (object_id, action, due_at) VALUES ($id, $action, $due)
            ON CONFLICT (object_id, action) DO UPDATE SET due_at = excluded.due_at
            """;
        command.Parameters.AddWithValue("$id", objectId);
        command.Parameters.AddWithValue("$action", action);
        command.Parameters.AddWithValue("$due", dueAt);
        await command.ExecuteNonQueryAsync(scope.CancellationToken);
    }

    /// <summary>Removes one transition of an object, or all of them when <paramref name="action"/> is null.</summary>
    public static async Task ClearDueAsync(BillingScope scope, string objectId, string? action = null)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await using var command = scope.Connection.CreateCommand();
        command.Transaction = scope.Transaction;
        command.CommandText = action is null
            ? "DELETE FROM billing_due WHERE object_id = $id"
            : "DELETE FROM billing_due WHERE object_id = $id AND action = $action";
        command.Parameters.AddWithValue("$id", objectId);
        if (action is not null)
        {
            command.Parameters.AddWithValue("$action", action);
        }

        await command.ExecuteNonQueryAsync(scope.CancellationToken);
    }

    /// <summary>Remembers the <c>Stripe-Version</c> of a subscription's creating request (time-driven events carry it).</summary>
    public static async Task SetApiVersionAsync(BillingScope scope, string subscription, string version)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await using var command = scope.Connection.CreateCommand();
        command.Transaction = scope.Transaction;
        command.CommandText = "INSERT OR REPLACE INTO billing_api_versions (subscription_id, api_version) VALUES ($id, $version)";
        command.Parameters.AddWithValue("$id", subscription);
        command.Parameters.AddWithValue("$version", version);
        await command.ExecuteNonQueryAsync(scope.CancellationToken);
    }

    /// <summary>The API version for time-driven events about a subscription or one of its invoices.</summary>
    private static async Task<string> ApiVersionAsync(BillingScope scope, string objectId)
    {
        var subscription = objectId;
        if (objectId.StartsWith("in_", StringComparison.Ordinal)
            && await StripeStore.GetObjectAsync(scope.Connection, scope.Transaction, objectId, StripeLedger.InvoiceKind, scope.CancellationToken) is { } invoice)
        {
            subscription = StripeLedger.SubscriptionOf(invoice) ?? objectId;
        }

        await using var command = scope.Connection.CreateCommand();
        command.Transaction = scope.Transaction;
        command.CommandText = "SELECT api_version FROM billing_api_versions WHERE subscription_id = $id";
        command.Parameters.AddWithValue("$id", subscription);
        return await command.ExecuteScalarAsync(scope.CancellationToken) as string ?? StripeOptions.DefaultApiVersion;
    }

    /// <summary>The end of the billing period starting at <paramref name="start"/>: the first anchor + n calendar months after it.</summary>
    public static long NextPeriodEnd(long anchor, long start)
    {
        var origin = DateTimeOffset.FromUnixTimeSeconds(anchor);
        for (var months = 1; ; months++)
        {
            var end = origin.AddMonths(months).ToUnixTimeSeconds();
            if (end > start)
            {
                return end;
            }
        }
    }

    /// <summary>
    /// <paramref name="amount"/> × (period_end − proration_date) / (period_end − period_start), rounded half-up (away from
    /// zero) to cents.
    /// </summary>
    public static long Prorate(long amount, long periodStart, long periodEnd, long prorationDate)
    {
        if (periodEnd <= periodStart)
        {
            return 0;
        }

        var share = (decimal)(periodEnd - prorationDate) / (periodEnd - periodStart);
        return (long)Math.Round(amount * share, MidpointRounding.AwayFromZero);
    }

    /// <summary>The subscription's only item.</summary>
    public static JsonObject Item(JsonObject subscription) => subscription["items"]!["data"]![0]!.AsObject();

    /// <summary>Finalizes a draft and collects it (charge, or the failure path of its subscription).</summary>
    public static async Task<bool> FinalizeAndCollectAsync(BillingScope scope, JsonObject invoice)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await StripeLedger.FinalizeAsync(scope, invoice);
        return await CollectAsync(scope, invoice);
    }

    /// <summary>
    /// Charges an open invoice and moves its subscription: paid → a <c>past_due</c>/<c>unpaid</c> subscription is
    /// <c>active</c> again; declined → <c>past_due</c> and the next dunning retry, or the final action once retries are spent.
    /// </summary>
    public static async Task<bool> CollectAsync(BillingScope scope, JsonObject invoice)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(invoice);
        var id = (string)invoice["id"]!;
        var subscriptionId = StripeLedger.SubscriptionOf(invoice);
        var subscription = subscriptionId is null
            ? null
            : await StripeStore.GetObjectAsync(scope.Connection, scope.Transaction, subscriptionId, SubscriptionsApi.Kind, scope.CancellationToken);
        var firstInvoice = (string?)invoice["billing_reason"] == "subscription_create";
        var retries = scope.Settings.Dunning.RetryDays;
        var attemptsBefore = (long?)invoice["attempt_count"] ?? 0;
        var willRetry = !firstInvoice && attemptsBefore < retries.Count;
        if (willRetry)
        {
            // Stripe tells the next attempt in the payment_failed event itself.
            invoice["next_payment_attempt"] = scope.Now + (long)TimeSpan.FromDays(retries[(int)attemptsBefore]).TotalSeconds;
        }

        var paid = await StripeLedger.ChargeAsync(scope, invoice);
        if (paid)
        {
            await ClearDueAsync(scope, id, Retry);
            if (subscription is not null && (string?)subscription["status"] is "past_due" or "unpaid" or "incomplete")
            {
                await SubscriptionsApi.ChangeStatusAsync(scope, subscription, "active");
            }

            return true;
        }

        if (subscription is null || firstInvoice)
        {
            return false;
        }

        if (willRetry)
        {
            await SetDueAsync(scope, id, Retry, (long)invoice["next_payment_attempt"]!);
            if ((string?)subscription["status"] is "active" or "trialing")
            {
                await SubscriptionsApi.ChangeStatusAsync(scope, subscription, "past_due");
            }

            return false;
        }

        invoice["next_payment_attempt"] = null;
        await scope.SaveAsync(invoice);
        if ((string?)subscription["status"] is "canceled" or "incomplete_expired")
        {
            return false;
        }

        if (scope.Settings.Dunning.FinalAction == "cancel")
        {
            await SubscriptionsApi.EndAsync(scope, subscription, "payment_failed");
        }
        else
        {
            await SubscriptionsApi.ChangeStatusAsync(scope, subscription, "unpaid");
        }

        return false;
    }

    /// <summary>
    /// A period (or trial) ended: a subscription cancelled at period end ends (no renewal invoice); otherwise the next
    /// period starts, a trial becomes active, and a draft <c>subscription_cycle</c> invoice collects the new period and
    /// the pending items, finalized after <c>invoiceFinalizeDelaySeconds</c>.
    /// </summary>
    private static async Task EndPeriodAsync(BillingScope scope, JsonObject subscription)
    {
        var status = (string?)subscription["status"];
        if (status is "canceled" or "incomplete" or "incomplete_expired")
        {
            return;
        }

        if ((bool?)subscription["cancel_at_period_end"] == true)
        {
            await SubscriptionsApi.EndAsync(scope, subscription, "cancellation_requested");
            return;
        }

        var id = (string)subscription["id"]!;
        var item = Item(subscription);
        var previous = new JsonObject();
        var previousItems = subscription["items"]!.DeepClone();
        var start = (long)item["current_period_end"]!;
        var end = NextPeriodEnd((long)subscription["billing_cycle_anchor"]!, start);
        item["current_period_start"] = start;
        item["current_period_end"] = end;
        previous["items"] = previousItems;
        if (status == "trialing")
        {
            StripeObjects.Change(subscription, previous, "status", "active");
        }

        var price = item["price"]!.AsObject();
        var customer = (string)subscription["customer"]!;
        var invoice = StripeLedger.NewInvoice(scope, customer, id, "subscription_cycle", start, start);
        var amount = (long)price["unit_amount"]!;
        StripeLedger.AddLine(invoice, StripeLedger.SubscriptionLine(id, (string)item["id"]!, price, amount,
            $"1 × {await ProductNameAsync(scope, price)} (at {Money(amount)} / month)", start, end));
        await StripeLedger.AttachPendingAsync(scope, invoice, await StripeLedger.PendingItemsAsync(scope, customer, id));
        await StripeLedger.CreateAsync(scope, invoice);
        StripeObjects.Change(subscription, previous, "latest_invoice", (string)invoice["id"]!);
        await scope.SaveAsync(subscription);
        await scope.EmitAsync("customer.subscription.updated", subscription, previous);
        await SetDueAsync(scope, (string)invoice["id"]!, Finalize, scope.Now + scope.Settings.InvoiceFinalizeDelaySeconds);
        await SetDueAsync(scope, id, PeriodEnd, end);
    }

    private static async Task ExpireAsync(BillingScope scope, JsonObject subscription)
    {
        if ((string?)subscription["status"] != "incomplete")
        {
            return;
        }

        if ((string?)subscription["latest_invoice"] is { } invoiceId
            && await StripeStore.GetObjectAsync(scope.Connection, scope.Transaction, invoiceId, StripeLedger.InvoiceKind, scope.CancellationToken) is { } invoice
            && (string?)invoice["status"] == "open")
        {
            await StripeLedger.VoidAsync(scope, invoice);
        }

        await ClearDueAsync(scope, (string)subscription["id"]!);
        var previous = new JsonObject();
        StripeObjects.Change(subscription, previous, "status", "incomplete_expired");
        StripeObjects.Change(subscription, previous, "ended_at", scope.Now);
        await scope.SaveAsync(subscription);
        await scope.EmitAsync("customer.subscription.updated", subscription, previous);
    }

    /// <summary>The product's name for line descriptions (its id when the product is gone).</summary>
    public static async Task<string> ProductNameAsync(BillingScope scope, JsonObject price)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(price);
        var productId = (string?)price["product"] ?? "";
        var product = await StripeStore.GetObjectAsync(scope.Connection, scope.Transaction, productId, "product", scope.CancellationToken);
        return (string?)product?["name"] ?? productId;
    }

    /// <summary>Cents as Stripe writes them in descriptions (<c>$19.00</c>).</summary>
    public static string Money(long cents) => (cents / 100m).ToString("$0.00", CultureInfo.InvariantCulture);
}

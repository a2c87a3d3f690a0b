using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Nno.Sandbox.Stripe.Common;
using Nno.Sandbox.Stripe.Customers;
using Nno.Sandbox.Stripe.Events;
using Nno.Sandbox.Stripe.Pipeline;

namespace Nno.Sandbox.Stripe.Invoices;

/// <summary>
/// One write of the billing engine: the open transaction, the sandbox time it runs at, the request that caused it
/// (null for a time-driven transition, whose events carry <see cref="ApiVersion"/>) and the knobs in force.
/// </summary>
public sealed record BillingScope(
    SqliteConnection Connection, SqliteTransaction Transaction, long Now, StripeRequestContext? Request, string? ApiVersion,
    StripeFaultSettings Settings, CancellationToken CancellationToken)
{
    /// <summary>Records an event of this write.</summary>
    public Task<JsonObject> EmitAsync(string type, JsonObject obj, JsonObject? previous = null) =>
        StripeEvents.EmitAsync(Connection, Transaction, Now, type, obj, previous is { Count: > 0 } ? previous : null, Request, ApiVersion, CancellationToken);

    /// <summary>The stored object, or a 404 naming <paramref name="kind"/>.</summary>
    public async Task<JsonObject> LoadAsync(string id, string kind, string param = "id") =>
        await StripeStore.GetObjectAsync(Connection, Transaction, id, kind, CancellationToken) ?? throw StripeException.NoSuch(kind, id, param);

    /// <summary>Stores a new object (the customer column filled from its <c>customer</c>).</summary>
    public async Task InsertAsync(JsonObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var columns = new ObjectColumns(Customer: (string?)obj["customer"]);
        if (obj.ContainsKey("created"))
        {
            await StripeStore.InsertObjectAsync(Connection, Transaction, obj, columns, CancellationToken);
            return;
        }

        // Invoice items have no created (Stripe's object has date): the row's creation time is set, the JSON keeps Stripe's shape.
        var row = obj.DeepClone().AsObject();
        row["created"] = Now;
        await StripeStore.InsertObjectAsync(Connection, Transaction, row, columns, CancellationToken);
        await StripeStore.UpdateObjectAsync(Connection, Transaction, obj, columns, CancellationToken);
    }

    /// <summary>Replaces a stored object.</summary>
    public Task SaveAsync(JsonObject obj) =>
        StripeStore.UpdateObjectAsync(Connection, Transaction, obj, new ObjectColumns(Customer: (string?)obj["customer"]), CancellationToken);
}

/// <summary>
/// Invoices as the billing engine builds them (billing.md §5.1): drafts with lines, finalization (customer balance,
/// number, minimum charge) and charging the customer's test card. Every step emits its events. Used by the invoice,
/// invoice item and subscription endpoints and by the engine's clock transitions.
/// </summary>
public static class StripeLedger
{
    public const string InvoiceKind = "invoice";
    public const string InvoiceItemKind = "invoiceitem";

    /// <summary>The smallest amount Stripe charges a card in USD (cents); a smaller amount due moves to the customer's balance.</summary>
    public const long MinimumChargeCents = 50;

    /// <summary>A new draft invoice (not stored yet).</summary>
    public static JsonObject NewInvoice(
        BillingScope scope, string customer, string? subscription, string billingReason, long periodStart, long periodEnd,
        JsonObject? metadata = null, bool autoAdvance = true, long? prorationDate = null)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var id = StripeStore.NewId("in");
        var invoice = new JsonObject
        {
            ["id"] = id,
            ["object"] = InvoiceKind,
            ["amount_due"] = 0L,
            ["amount_paid"] = 0L,
            ["amount_remaining"] = 0L,
            ["attempt_count"] = 0L,
            ["attempted"] = false,
            ["auto_advance"] = autoAdvance,
            ["billing_reason"] = billingReason,
            ["collection_method"] = "charge_automatically",
            ["created"] = scope.Now,
            ["currency"] = "usd",
            ["customer"] = customer,
            ["description"] = null,
            ["due_date"] = null,
            ["ending_balance"] = null,
            ["hosted_invoice_url"] = null,
            ["invoice_pdf"] = null,
            ["lines"] = new JsonObject
            {
                ["object"] = "list",
                ["data"] = new JsonArray(),
                ["has_more"] = false,
                ["total_count"] = 0L,
                ["url"] = $"/v1/invoices/{id}/lines",
            },
            ["livemode"] = false,
            ["metadata"] = metadata ?? new JsonObject(),
            ["next_payment_attempt"] = null,
            ["number"] = null,
            ["parent"] = subscription is null
                ? null
                : new JsonObject
                {
                    ["quote_details"] = null,
                    ["subscription_details"] = new JsonObject
                    {
                        ["metadata"] = null,
                        ["subscription"] = subscription,
                    },
                    ["type"] = "subscription_details",
                },
            ["period_end"] = periodEnd,
            ["period_start"] = periodStart,
            ["starting_balance"] = 0L,
            ["status"] = "draft",
            ["status_transitions"] = new JsonObject
            {
                ["finalized_at"] = null,
                ["marked_uncollectible_at"] = null,
                ["paid_at"] = null,
                ["voided_at"] = null,
            },
            ["subtotal"] = 0L,
            ["total"] = 0L,
        };
        if (prorationDate is { } date && invoice["parent"] is JsonObject parent)
        {
            // Stripe leaves the field out (not null) when the invoice is not a proration.
            parent["subscription_details"]!["subscription_proration_date"] = date;
        }

        return invoice;
    }

    /// <summary>The subscription an invoice belongs to (<c>parent.subscription_details.subscription</c>), or null.</summary>
    public static string? SubscriptionOf(JsonObject invoice) =>
        (string?)invoice["parent"]?["subscription_details"]?["subscription"];

    /// <summary>A line billing a subscription's price for a period (the subscription item's own line).</summary>
    public static JsonObject SubscriptionLine(
        string subscription, string subscriptionItem, JsonObject price, long amount, string description, long start, long end)
    {
        ArgumentNullException.ThrowIfNull(price);
        return new JsonObject
        {
            ["id"] = StripeStore.NewId("il"),
            ["object"] = "line_item",
            ["amount"] = amount,
            ["currency"] = (string?)price["currency"] ?? "usd",
            ["description"] = description,
            ["livemode"] = false,
            ["metadata"] = new JsonObject(),
            ["parent"] = new JsonObject
            {
                ["invoice_item_details"] = null,
                ["subscription_item_details"] = new JsonObject
                {
                    ["invoice_item"] = null,
                    ["proration"] = false,
                    ["proration_details"] = new JsonObject { ["credited_items"] = null },
                    ["subscription"] = subscription,
                    ["subscription_item"] = subscriptionItem,
                },
                ["type"] = "subscription_item_details",
            },
            ["period"] = new JsonObject { ["end"] = end, ["start"] = start },
            ["pricing"] = Pricing((string?)price["id"], (string?)price["product"], (long?)price["unit_amount"] ?? amount),
            ["quantity"] = 1L,
        };
    }

    /// <summary>The line an invoice item becomes on its invoice.</summary>
    public static JsonObject ItemLine(JsonObject item)
    {
        ArgumentNullException.ThrowIfNull(item);
        var subscription = (string?)item["parent"]?["subscription_details"]?["subscription"];
        var subscriptionItem = (string?)item["parent"]?["subscription_details"]?["subscription_item"];
        var proration = (bool?)item["proration"] ?? false;
        JsonObject parent = subscriptionItem is not null
            ? new JsonObject
            {
                ["invoice_item_details"] = null,
                ["subscription_item_details"] = new JsonObject
                {
                    ["invoice_item"] = (string?)item["id"],
                    ["proration"] = proration,
                    ["proration_details"] = new JsonObject { ["credited_items"] = null },
                    ["subscription"] = subscription,
                    ["subscription_item"] = subscriptionItem,
                },
                ["type"] = "subscription_item_details",
            }
            : new JsonObject
            {
                ["invoice_item_details"] = new JsonObject
                {
                    ["invoice_item"] = (string?)item["id"],
                    ["proration"] = proration,
                    ["proration_details"] = new JsonObject { ["credited_items"] = null },
                    ["subscription"] = subscription,
                },
                ["subscription_item_details"] = null,
                ["type"] = "invoice_item_details",
            };
        return new JsonObject
        {
            ["id"] = StripeStore.NewId("il"),
            ["object"] = "line_item",
            ["amount"] = (long)item["amount"]!,
            ["currency"] = (string?)item["currency"],
            ["description"] = (string?)item["description"],
            ["livemode"] = false,
            ["metadata"] = item["metadata"]?.DeepClone() ?? new JsonObject(),
            ["parent"] = parent,
            ["period"] = item["period"]!.DeepClone(),
            ["pricing"] = item["pricing"]?.DeepClone(),
            ["quantity"] = 1L,
        };
    }

    /// <summary>A line item's or invoice item's <c>pricing</c>.</summary>
    public static JsonObject? Pricing(string? price, string? product, long unitAmount) =>
        price is null
            ? null
            : new JsonObject
            {
                ["price_details"] = new JsonObject { ["price"] = price, ["product"] = product },
                ["type"] = "price_details",
                ["unit_amount_decimal"] = unitAmount.ToString(CultureInfo.InvariantCulture),
            };

    /// <summary>A new invoice item (not stored yet).</summary>
    public static JsonObject NewInvoiceItem(
        BillingScope scope, string customer, string? invoice, string? subscription, string? subscriptionItem, long amount, string currency,
        string? description, long start, long end, bool proration, JsonObject? metadata, JsonObject? price)
    {
        ArgumentNullException.ThrowIfNull(scope);
        return new JsonObject
        {
            ["id"] = StripeStore.NewId("ii"),
            ["object"] = InvoiceItemKind,
            ["amount"] = amount,
            ["currency"] = currency,
            ["customer"] = customer,
            ["date"] = scope.Now,
            ["description"] = description,
            ["discountable"] = !proration,
            ["invoice"] = invoice,
            ["livemode"] = false,
            ["metadata"] = metadata ?? new JsonObject(),
            ["parent"] = subscription is null
                ? null
                : new JsonObject
                {
                    ["subscription_details"] = new JsonObject { ["subscription"] = subscription, ["subscription_item"] = subscriptionItem },
                    ["type"] = "subscription_details",
                },
            ["period"] = new JsonObject { ["end"] = end, ["start"] = start },
            ["pricing"] = price is null ? null : Pricing((string?)price["id"], (string?)price["product"], (long?)price["unit_amount"] ?? amount),
            ["proration"] = proration,
            ["quantity"] = 1L,
        };
    }

    /// <summary>Adds <paramref name="line"/> and recomputes a draft's totals.</summary>
    public static void AddLine(JsonObject invoice, JsonObject line)
    {
        ArgumentNullException.ThrowIfNull(invoice);
        ArgumentNullException.ThrowIfNull(line);
        line["invoice"] = (string)invoice["id"]!;
        var lines = invoice["lines"]!.AsObject();
        lines["data"]!.AsArray().Add(line);
        Recalculate(invoice);
    }

    /// <summary>Subtotal, total and amount due of a draft from its lines.</summary>
    public static void Recalculate(JsonObject invoice)
    {
        ArgumentNullException.ThrowIfNull(invoice);
        var data = invoice["lines"]!["data"]!.AsArray();
        var total = data.Sum(l => (long)l!["amount"]!);
        invoice["lines"]!["total_count"] = (long)data.Count;
        invoice["subtotal"] = total;
        invoice["total"] = total;
        invoice["amount_due"] = Math.Max(0, total);
        invoice["amount_remaining"] = Math.Max(0, total);
    }

    /// <summary>The invoice as answered: at most 10 embedded lines, <c>has_more</c> telling whether there are more.</summary>
    public static JsonObject Present(JsonObject invoice)
    {
        ArgumentNullException.ThrowIfNull(invoice);
        var copy = invoice.DeepClone().AsObject();
        var data = copy["lines"]!["data"]!.AsArray();
        if (data.Count > 10)
        {
            var first = data.Take(10).Select(l => l!.DeepClone()).ToArray();
            copy["lines"]!["data"] = new JsonArray(first);
            copy["lines"]!["has_more"] = true;
        }

        return copy;
    }

    /// <summary>Pending invoice items (no invoice yet) of a customer: those of <paramref name="subscription"/>, or those of no subscription when null.</summary>
    public static async Task<List<JsonObject>> PendingItemsAsync(BillingScope scope, string customer, string? subscription)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await using var command = scope.Connection.CreateCommand();
        command.Transaction = scope.Transaction;
        command.CommandText = "SELECT data FROM objects WHERE kind = 'invoiceitem' AND customer = $customer ORDER BY seq";
        command.Parameters.AddWithValue("$customer", customer);
        var result = new List<JsonObject>();
        await using var reader = await command.ExecuteReaderAsync(scope.CancellationToken);
        while (await reader.ReadAsync(scope.CancellationToken))
        {
            var item = JsonNode.Parse(reader.GetString(0))!.AsObject();
            var itemSubscription = (string?)item["parent"]?["subscription_details"]?["subscription"];
            if (item["invoice"] is null && itemSubscription == subscription)
            {
                result.Add(item);
            }
        }

        return result;
    }

    /// <summary>Attaches the pending items to a draft (stored, not yet saved: the caller saves the invoice).</summary>
    public static async Task AttachPendingAsync(BillingScope scope, JsonObject invoice, IEnumerable<JsonObject> items)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(invoice);
        ArgumentNullException.ThrowIfNull(items);
        foreach (var item in items)
        {
            item["invoice"] = (string)invoice["id"]!;
            await scope.SaveAsync(item);
            AddLine(invoice, ItemLine(item));
        }
    }

    /// <summary>Stores a new draft and emits <c>invoice.created</c>.</summary>
    public static async Task CreateAsync(BillingScope scope, JsonObject invoice)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await scope.InsertAsync(invoice);
        await scope.EmitAsync("invoice.created", Present(invoice));
    }

    /// <summary>
    /// Finalizes a draft: the customer's balance is applied (positive = owed adds to the amount due, a credit reduces it;
    /// a negative total becomes credit), the invoice gets its number and <c>open</c>; emits <c>invoice.finalized</c>.
    /// Saves the invoice.
    /// </summary>
    public static async Task FinalizeAsync(BillingScope scope, JsonObject invoice)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(invoice);
        if ((string?)invoice["status"] != "draft")
        {
            throw new StripeException(400, StripeErrorTypes.InvalidRequest, "invoice_not_editable",
                $"This invoice is already finalized, you can't re-finalize a non-draft invoice.");
        }

        var customer = await scope.LoadAsync((string)invoice["customer"]!, CustomersApi.Kind, "customer");
        var balance = (long?)customer["balance"] ?? 0;
        var total = (long)invoice["total"]!;
        var owed = total + balance;
        var newBalance = owed >= 0 ? 0 : owed;
        var amountDue = Math.Max(0, owed);
        var sequence = (long?)customer["next_invoice_sequence"] ?? 1;
        invoice["starting_balance"] = balance;
        invoice["ending_balance"] = newBalance;
        invoice["amount_due"] = amountDue;
        invoice["amount_remaining"] = amountDue;
        invoice["number"] = $"{(string?)customer["invoice_prefix"]}-{sequence.ToString("D4", CultureInfo.InvariantCulture)}";
        invoice["status"] = "open";
        invoice["status_transitions"]!["finalized_at"] = scope.Now;
        invoice["hosted_invoice_url"] = $"https://invoice.stripe.com/i/sandbox/{(string)invoice["id"]!}";
        invoice["invoice_pdf"] = $"https://pay.stripe.com/invoice/sandbox/{(string)invoice["id"]!}/pdf";
        customer["next_invoice_sequence"] = sequence + 1;
        await SetBalanceAsync(scope, customer, newBalance);
        await scope.SaveAsync(invoice);
        await scope.EmitAsync("invoice.finalized", Present(invoice));
    }

    /// <summary>
    /// Collects an open invoice: nothing due → paid; due below the minimum charge → paid without a charge, the amount
    /// added to the customer's balance; else the test card is charged (<c>invoice.paid</c> + <c>payment_succeeded</c>,
    /// or <c>invoice.payment_failed</c>). Saves the invoice; returns whether it is paid.
    /// </summary>
    public static async Task<bool> ChargeAsync(BillingScope scope, JsonObject invoice)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(invoice);
        var due = (long)invoice["amount_remaining"]!;
        if (due > 0 && due < MinimumChargeCents)
        {
            var customer = await scope.LoadAsync((string)invoice["customer"]!, CustomersApi.Kind, "customer");
            await SetBalanceAsync(scope, customer, ((long?)customer["balance"] ?? 0) + due);
            invoice["ending_balance"] = (long?)customer["balance"];
            return await MarkPaidAsync(scope, invoice, 0);
        }

        if (due == 0)
        {
            return await MarkPaidAsync(scope, invoice, 0);
        }

        invoice["attempt_count"] = ((long?)invoice["attempt_count"] ?? 0) + 1;
        invoice["attempted"] = true;
        if (await DeclinesAsync(scope, (string)invoice["customer"]!))
        {
            await scope.SaveAsync(invoice);
            await scope.EmitAsync("invoice.payment_failed", Present(invoice));
            return false;
        }

        return await MarkPaidAsync(scope, invoice, due);
    }

    /// <summary>Whether the customer's card declines now (<c>declineAll</c> or its payment behaviour).</summary>
    public static async Task<bool> DeclinesAsync(BillingScope scope, string customer)
    {
        ArgumentNullException.ThrowIfNull(scope);
        if (scope.Settings.DeclineAll)
        {
            return true;
        }

        await using var command = scope.Connection.CreateCommand();
        command.Transaction = scope.Transaction;
        command.CommandText = "SELECT behavior FROM customer_payment_behavior WHERE customer_id = $id";
        command.Parameters.AddWithValue("$id", customer);
        return await command.ExecuteScalarAsync(scope.CancellationToken) as string == StripePaymentBehaviors.Decline;
    }

    /// <summary>Voids an open or draft invoice (<c>invoice.voided</c>).</summary>
    public static async Task VoidAsync(BillingScope scope, JsonObject invoice)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(invoice);
        invoice["status"] = "void";
        invoice["amount_remaining"] = 0L;
        invoice["next_payment_attempt"] = null;
        invoice["status_transitions"]!["voided_at"] = scope.Now;
        await scope.SaveAsync(invoice);
        await scope.EmitAsync("invoice.voided", Present(invoice));
    }

    private static async Task<bool> MarkPaidAsync(BillingScope scope, JsonObject invoice, long charged)
    {
        invoice["amount_paid"] = charged;
        invoice["amount_remaining"] = 0L;
        invoice["status"] = "paid";
        invoice["next_payment_attempt"] = null;
        invoice["status_transitions"]!["paid_at"] = scope.Now;
        await scope.SaveAsync(invoice);
        var presented = Present(invoice);
        await scope.EmitAsync("invoice.paid", presented);
        await scope.EmitAsync("invoice.payment_succeeded", presented);
        return true;
    }

    private static async Task SetBalanceAsync(BillingScope scope, JsonObject customer, long balance)
    {
        var previous = new JsonObject();
        StripeObjects.Change(customer, previous, "balance", balance);
        await scope.SaveAsync(customer);
        if (previous.Count > 0)
        {
            await scope.EmitAsync("customer.updated", customer, previous);
        }
    }
}

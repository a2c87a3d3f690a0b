using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Nno.Sandbox.Stripe.Catalog;
using Nno.Sandbox.Stripe.Common;
using Nno.Sandbox.Stripe.Customers;
using Nno.Sandbox.Stripe.Invoices;
using Nno.Sandbox.Stripe.Pipeline;

namespace Nno.Sandbox.Stripe.Subscriptions;

/// <summary>
/// Subscriptions (billing.md §5.1): <c>POST /v1/subscriptions</c>, <c>GET</c>/<c>POST</c>/<c>DELETE
/// /v1/subscriptions/{id}</c>, <c>GET /v1/subscriptions</c> (<c>customer</c>, <c>status</c> incl. <c>all</c>). One item;
/// period fields only on <c>items.data[0]</c>.
/// </summary>
internal static class SubscriptionsApi
{
    public const string Kind = "subscription";

    private static readonly string[] PaymentBehaviors = ["allow_incomplete", "default_incomplete", "error_if_incomplete"];
    private static readonly string[] ProrationBehaviors = ["always_invoice", "create_prorations", "none"];
    private static readonly string[] Statuses = ["active", "all", "canceled", "ended", "incomplete", "incomplete_expired", "past_due", "paused", "trialing", "unpaid"];

    public static void Map(RouteGroupBuilder v1)
    {
        var subscriptions = v1.MapGroup("/subscriptions").WithTags("Stripe subscriptions");
        subscriptions.MapPost("", Create).WithName("StripeCreateSubscription").WithSummary("Creates a one-item subscription (trial, or the first invoice charged at once).");
        subscriptions.MapGet("", List).WithName("StripeListSubscriptions").WithSummary("Lists subscriptions by customer and status.");
        subscriptions.MapGet("/{id}", Get).WithName("StripeGetSubscription").WithSummary("Reads a subscription.");
        subscriptions.MapPost("/{id}", Update).WithName("StripeUpdateSubscription").WithSummary("Schedules or withdraws a cancellation, changes the price (with prorations) or metadata.");
        subscriptions.MapDelete("/{id}", Cancel).WithName("StripeCancelSubscription").WithSummary("Cancels a subscription now (optionally prorating and invoicing).");
    }

    private static async Task<IResult> Create(HttpContext http, StripeStore store, StripeClock clock, StripeFaults faults, CancellationToken cancellationToken)
    {
        var request = StripeRequestContext.Get(http);
        var p = request.Params;
        p.OnlyAllow("customer", "items", "trial_period_days", "payment_behavior", "collection_method", "metadata", "expand", "proration_behavior", "off_session");
        var customerId = p.RequiredString("customer");
        var (_, priceId, _) = OneItem(p, requirePrice: true);
        var trialDays = p.GetInteger("trial_period_days");
        if (trialDays is < 0 or > 730)
        {
            throw StripeException.Invalid("trial_period_days", "Invalid trial_period_days: must be from 0 to 730", StripeErrorCodes.ParameterInvalidInteger);
        }

        var paymentBehavior = OneOf(p, "payment_behavior", PaymentBehaviors) ?? "allow_incomplete";
        if (p.GetString("collection_method") is { } method && method != "charge_automatically")
        {
            throw StripeException.Invalid("collection_method", "The sandbox supports only collection_method=charge_automatically.");
        }

        OneOf(p, "proration_behavior", ProrationBehaviors);
        p.GetBoolean("off_session");
        var metadata = p.GetHash("metadata");
        StripeObjects.CheckMetadata(metadata);
        var expand = p.GetList("expand");
        var now = clock.UnixNow;
        var answer = await store.WriteAsync(async (connection, transaction) =>
        {
            var scope = new BillingScope(connection, transaction, now, request, null, faults.Current, cancellationToken);
            await scope.LoadAsync(customerId, CustomersApi.Kind, "customer");
            var price = await ActivePriceAsync(scope, priceId!, "items[0][price]");
            var id = StripeStore.NewId("sub");
            var itemId = StripeStore.NewId("si");
            var trialEnd = trialDays is > 0 ? now + (trialDays.Value * 86_400) : (long?)null;
            var anchor = trialEnd ?? now;
            var periodEnd = trialEnd ?? StripeBillingEngine.NextPeriodEnd(anchor, now);
            var subscription = new JsonObject
            {
                ["id"] = id,
                ["object"] = Kind,
                ["application"] = null,
                ["automatic_tax"] = new JsonObject { ["enabled"] = false, ["liability"] = null },
                ["billing_cycle_anchor"] = anchor,
                ["cancel_at"] = null,
                ["cancel_at_period_end"] = false,
                ["canceled_at"] = null,
                ["cancellation_details"] = new JsonObject { ["comment"] = null, ["feedback"] = null, ["reason"] = null },
                ["collection_method"] = "charge_automatically",
                ["created"] = now,
                ["currency"] = (string?)price["currency"],
                ["customer"] = customerId,
                ["default_payment_method"] = null,
                ["description"] = null,
                ["ended_at"] = null,
                ["items"] = new JsonObject
                {
                    ["object"] = "list",
                    ["data"] = new JsonArray(new JsonObject
                    {
                        ["id"] = itemId,
                        ["object"] = "subscription_item",
                        ["created"] = now,
                        ["current_period_end"] = periodEnd,
                        ["current_period_start"] = now,
                        ["metadata"] = new JsonObject(),
                        ["price"] = price.DeepClone(),
                        ["quantity"] = 1L,
                        ["subscription"] = id,
                    }),
                    ["has_more"] = false,
                    ["total_count"] = 1L,
                    ["url"] = $"/v1/subscription_items?subscription={id}",
                },
                ["latest_invoice"] = null,
                ["livemode"] = false,
                ["metadata"] = StripeObjects.Metadata(metadata?.Where(kv => kv.Value.Length > 0).ToDictionary()),
                ["pending_update"] = null,
                ["start_date"] = now,
                ["status"] = trialEnd is null ? "incomplete" : "trialing",
                ["trial_end"] = trialEnd,
                ["trial_start"] = trialEnd is null ? null : now,
            };

            var productName = await StripeBillingEngine.ProductNameAsync(scope, price);
            var invoice = StripeLedger.NewInvoice(scope, customerId, id, "subscription_create", now, now);
            var amount = trialEnd is null ? (long)price["unit_amount"]! : 0;
            StripeLedger.AddLine(invoice, StripeLedger.SubscriptionLine(id, itemId, price, amount,
                trialEnd is null ? $"1 × {productName} (at {StripeBillingEngine.Money(amount)} / month)" : $"Trial period for {productName}",
                now, periodEnd));
            subscription["latest_invoice"] = (string)invoice["id"]!;
            await scope.InsertAsync(subscription);
            await StripeBillingEngine.SetApiVersionAsync(scope, id, request.ApiVersion);
            await scope.EmitAsync("customer.subscription.created", subscription);
            await StripeLedger.CreateAsync(scope, invoice);
            // Paying the first invoice moves the subscription from incomplete to active (customer.subscription.updated).
            var paid = await StripeBillingEngine.FinalizeAndCollectAsync(scope, invoice);
            subscription = await scope.LoadAsync(id, Kind);
            if (trialEnd is null)
            {
                if (!paid && paymentBehavior == "error_if_incomplete")
                {
                    // Stripe creates nothing when the first payment fails under error_if_incomplete: the write rolls back.
                    throw new StripeException(402, StripeErrorTypes.Card, StripeErrorCodes.CardDeclined, "Your card was declined.");
                }

                if (!paid)
                {
                    await StripeBillingEngine.SetDueAsync(scope, id, StripeBillingEngine.ExpireIncomplete, now + (long)StripeBillingEngine.IncompleteExpiry.TotalSeconds);
                }
            }
            else if (trialEnd.Value - (long)StripeBillingEngine.TrialWillEndNotice.TotalSeconds > now)
            {
                await StripeBillingEngine.SetDueAsync(scope, id, StripeBillingEngine.TrialWillEnd, trialEnd.Value - (long)StripeBillingEngine.TrialWillEndNotice.TotalSeconds);
            }

            await StripeBillingEngine.SetDueAsync(scope, id, StripeBillingEngine.PeriodEnd, periodEnd);
            return await PresentAsync(subscription, expand, connection, transaction, cancellationToken);
        }, cancellationToken);
        return StripeResults.Json(answer);
    }

    private static async Task<IResult> Get(string id, HttpContext http, StripeStore store, CancellationToken cancellationToken)
    {
        var p = StripeRequestContext.Get(http).Params;
        p.OnlyAllow("expand");
        var subscription = await store.GetObjectAsync(id, Kind, cancellationToken) ?? throw StripeException.NoSuch(Kind, id);
        await StripeExpand.ApplyAsync(subscription, p.GetList("expand"), store, cancellationToken);
        return StripeResults.Json(subscription);
    }

    private static async Task<IResult> List(HttpContext http, StripeStore store, CancellationToken cancellationToken)
    {
        var p = StripeRequestContext.Get(http).Params;
        p.OnlyAllow([.. StripeLists.Parameters, "customer", "status"]);
        var filters = new List<StripeListFilter> { new("kind = 'subscription'") };
        if (p.GetString("customer") is { Length: > 0 } customer)
        {
            filters.Add(new StripeListFilter("customer = $customer", new Dictionary<string, object> { ["$customer"] = customer }));
        }

        switch (OneOf(p, "status", Statuses))
        {
            case null:
                // Stripe lists every status except canceled by default.
                filters.Add(new StripeListFilter("json_extract(data, '$.status') <> 'canceled'"));
                break;
            case "all":
                break;
            case "ended":
                filters.Add(new StripeListFilter("json_extract(data, '$.status') IN ('canceled', 'incomplete_expired')"));
                break;
            case { } status:
                filters.Add(new StripeListFilter("json_extract(data, '$.status') = $status", new Dictionary<string, object> { ["$status"] = status }));
                break;
        }

        await using var connection = await store.OpenAsync(cancellationToken);
        var page = await StripeLists.PageAsync(connection, "objects", filters, p, "/v1/subscriptions", Kind, cancellationToken);
        await StripeExpand.ApplyAsync(page, p.GetList("expand"), store, cancellationToken);
        return StripeResults.Json(page);
    }

    private static async Task<IResult> Update(string id, HttpContext http, StripeStore store, StripeClock clock, StripeFaults faults, CancellationToken cancellationToken)
    {
        var request = StripeRequestContext.Get(http);
        var p = request.Params;
        p.OnlyAllow("cancel_at_period_end", "items", "proration_behavior", "proration_date", "payment_behavior", "metadata", "expand", "off_session");
        var cancelAtPeriodEnd = p.GetBoolean("cancel_at_period_end");
        var (itemId, priceId, hasItems) = p.Has("items") ? OneItem(p, requirePrice: false) : (null, null, false);
        var prorationBehavior = OneOf(p, "proration_behavior", ProrationBehaviors) ?? "create_prorations";
        var paymentBehavior = OneOf(p, "payment_behavior", PaymentBehaviors) ?? "allow_incomplete";
        var prorationDate = p.GetInteger("proration_date");
        p.GetBoolean("off_session");
        var metadata = p.GetHash("metadata");
        StripeObjects.CheckMetadata(metadata);
        var expand = p.GetList("expand");
        var now = clock.UnixNow;
        var answer = await store.WriteAsync(async (connection, transaction) =>
        {
            var scope = new BillingScope(connection, transaction, now, request, null, faults.Current, cancellationToken);
            var subscription = await scope.LoadAsync(id, Kind);
            var status = (string?)subscription["status"];
            if (status is "canceled" or "incomplete_expired" && (cancelAtPeriodEnd is not null || hasItems))
            {
                throw StripeException.Invalid(cancelAtPeriodEnd is not null ? "cancel_at_period_end" : "items",
                    "A canceled subscription can only update its cancellation_details and metadata.");
            }

            var previous = new JsonObject();
            var item = StripeBillingEngine.Item(subscription);
            var periodStart = (long)item["current_period_start"]!;
            var periodEnd = (long)item["current_period_end"]!;
            if (cancelAtPeriodEnd is { } cancel)
            {
                StripeObjects.Change(subscription, previous, "cancel_at_period_end", cancel);
                if ((bool?)previous["cancel_at_period_end"] is not null)
                {
                    StripeObjects.Change(subscription, previous, "cancel_at", cancel ? periodEnd : null);
                    StripeObjects.Change(subscription, previous, "canceled_at", cancel ? now : null);
                    StripeObjects.Change(subscription, previous, "cancellation_details",
                        new JsonObject { ["comment"] = null, ["feedback"] = null, ["reason"] = cancel ? "cancellation_requested" : null });
                }
            }

            JsonObject? prorationInvoice = null;
            if (hasItems)
            {
                if (itemId is not null && itemId != (string)item["id"]!)
                {
                    throw StripeException.Invalid("items[0][id]", $"Invalid subscription item: {itemId} is not an item of subscription {id}.");
                }

                if (priceId is not null && priceId != (string?)item["price"]!["id"])
                {
                    var newPrice = await ActivePriceAsync(scope, priceId, "items[0][price]");
                    var oldPrice = item["price"]!.AsObject();
                    var date = prorationDate ?? now;
                    if (date < periodStart || date > periodEnd)
                    {
                        throw StripeException.Invalid("proration_date", "proration_date must be within the subscription's current period.");
                    }

                    previous["items"] = subscription["items"]!.DeepClone();
                    item["price"] = newPrice.DeepClone();
                    // A trial is free: its remaining time prorates to nothing, so a change during a trial creates no items.
                    if (prorationBehavior != "none" && status != "trialing")
                    {
                        prorationInvoice = await ProrateAsync(scope, subscription, oldPrice, newPrice, periodStart, periodEnd, date, prorationBehavior);
                    }
                }
            }

            if (metadata is not null)
            {
                StripeObjects.Change(subscription, previous, "metadata", StripeObjects.MergeMetadata(subscription["metadata"]?.AsObject() ?? [], metadata));
            }

            if (prorationInvoice is not null)
            {
                StripeObjects.Change(subscription, previous, "latest_invoice", (string)prorationInvoice["id"]!);
            }

            await scope.SaveAsync(subscription);
            if (previous.Count > 0)
            {
                await scope.EmitAsync("customer.subscription.updated", subscription, previous);
            }

            if (prorationInvoice is not null)
            {
                await StripeLedger.CreateAsync(scope, prorationInvoice);
                await StripeLedger.FinalizeAsync(scope, prorationInvoice);
                if (!await StripeBillingEngine.CollectAsync(scope, prorationInvoice) && paymentBehavior == "error_if_incomplete")
                {
                    // Under error_if_incomplete a declined proration charge changes nothing: the write rolls back.
                    throw new StripeException(402, StripeErrorTypes.Card, StripeErrorCodes.CardDeclined, "Your card was declined.");
                }

                subscription = await scope.LoadAsync(id, Kind);
            }

            return await PresentAsync(subscription, expand, connection, transaction, cancellationToken);
        }, cancellationToken);
        return StripeResults.Json(answer);
    }

    /// <summary>
    /// Creates the two proration items (credit −old × r, charge new × r). <c>always_invoice</c> puts them on a new draft
    /// <c>subscription_update</c> invoice (returned, not stored); <c>create_prorations</c> leaves them pending for the renewal.
    /// </summary>
    private static async Task<JsonObject?> ProrateAsync(
        BillingScope scope, JsonObject subscription, JsonObject oldPrice, JsonObject newPrice, long periodStart, long periodEnd, long date, string behavior)
    {
        var id = (string)subscription["id"]!;
        var customer = (string)subscription["customer"]!;
        var item = StripeBillingEngine.Item(subscription);
        var invoice = behavior == "always_invoice"
            ? StripeLedger.NewInvoice(scope, customer, id, "subscription_update", scope.Now, scope.Now, prorationDate: date)
            : null;
        var day = DateTimeOffset.FromUnixTimeSeconds(date).ToString("d MMM yyyy", System.Globalization.CultureInfo.InvariantCulture);
        var credit = -StripeBillingEngine.Prorate((long)oldPrice["unit_amount"]!, periodStart, periodEnd, date);
        var charge = StripeBillingEngine.Prorate((long)newPrice["unit_amount"]!, periodStart, periodEnd, date);
        var lines = new[]
        {
            (Amount: credit, Price: oldPrice, Text: $"Unused time on {await StripeBillingEngine.ProductNameAsync(scope, oldPrice)} after {day}"),
            (Amount: charge, Price: newPrice, Text: $"Remaining time on {await StripeBillingEngine.ProductNameAsync(scope, newPrice)} after {day}"),
        };
        foreach (var line in lines)
        {
            var invoiceItem = StripeLedger.NewInvoiceItem(scope, customer, (string?)invoice?["id"], id, (string)item["id"]!, line.Amount,
                (string?)line.Price["currency"] ?? "usd", line.Text, date, periodEnd, proration: true, metadata: null, price: line.Price);
            await scope.InsertAsync(invoiceItem);
            await scope.EmitAsync("invoiceitem.created", invoiceItem);
            if (invoice is not null)
            {
                StripeLedger.AddLine(invoice, StripeLedger.ItemLine(invoiceItem));
            }
        }

        return invoice;
    }

    private static async Task<IResult> Cancel(string id, HttpContext http, StripeStore store, StripeClock clock, StripeFaults faults, CancellationToken cancellationToken)
    {
        var request = StripeRequestContext.Get(http);
        var p = request.Params;
        p.OnlyAllow("invoice_now", "prorate", "expand", "cancellation_details");
        var invoiceNow = p.GetBoolean("invoice_now") ?? false;
        var prorate = p.GetBoolean("prorate") ?? false;
        var expand = p.GetList("expand");
        var now = clock.UnixNow;
        var answer = await store.WriteAsync(async (connection, transaction) =>
        {
            var scope = new BillingScope(connection, transaction, now, request, null, faults.Current, cancellationToken);
            var subscription = await scope.LoadAsync(id, Kind);
            if ((string?)subscription["status"] is "canceled" or "incomplete_expired")
            {
                throw StripeException.Invalid("id", $"This subscription is already canceled ({id}).");
            }

            var item = StripeBillingEngine.Item(subscription);
            var customer = (string)subscription["customer"]!;
            var periodEnd = (long)item["current_period_end"]!;
            if (prorate && (string?)subscription["status"] != "trialing")
            {
                var price = item["price"]!.AsObject();
                var credit = -StripeBillingEngine.Prorate((long)price["unit_amount"]!, (long)item["current_period_start"]!, periodEnd, now);
                var day = DateTimeOffset.FromUnixTimeSeconds(now).ToString("d MMM yyyy", System.Globalization.CultureInfo.InvariantCulture);
                var invoiceItem = StripeLedger.NewInvoiceItem(scope, customer, null, id, (string)item["id"]!, credit, (string?)price["currency"] ?? "usd",
                    $"Unused time on {await StripeBillingEngine.ProductNameAsync(scope, price)} after {day}", now, periodEnd, proration: true, metadata: null, price: price);
                await scope.InsertAsync(invoiceItem);
                await scope.EmitAsync("invoiceitem.created", invoiceItem);
            }

            await EndAsync(scope, subscription, "cancellation_requested");
            if (invoiceNow && await StripeLedger.PendingItemsAsync(scope, customer, id) is { Count: > 0 } pending)
            {
                var invoice = StripeLedger.NewInvoice(scope, customer, id, "subscription_cycle", now, now);
                await StripeLedger.AttachPendingAsync(scope, invoice, pending);
                await StripeLedger.CreateAsync(scope, invoice);
                await StripeBillingEngine.FinalizeAndCollectAsync(scope, invoice);
                subscription["latest_invoice"] = (string)invoice["id"]!;
                await scope.SaveAsync(subscription);
            }

            return await PresentAsync(subscription, expand, connection, transaction, cancellationToken);
        }, cancellationToken);
        return StripeResults.Json(answer);
    }

    /// <summary>Moves a subscription's status and emits <c>customer.subscription.updated</c> with the old status.</summary>
    public static async Task ChangeStatusAsync(BillingScope scope, JsonObject subscription, string status)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(subscription);
        var previous = new JsonObject();
        StripeObjects.Change(subscription, previous, "status", status);
        if (previous.Count == 0)
        {
            return;
        }

        await scope.SaveAsync(subscription);
        await scope.EmitAsync("customer.subscription.updated", subscription, previous);
    }

    /// <summary>
    /// Ends a subscription now: <c>canceled</c>, <c>ended_at</c>, <c>cancellation_details.reason</c>
    /// (<c>cancellation_requested</c> or <c>payment_failed</c>), no more transitions; emits <c>customer.subscription.deleted</c>.
    /// </summary>
    public static async Task EndAsync(BillingScope scope, JsonObject subscription, string reason)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(subscription);
        var previous = new JsonObject();
        StripeObjects.Change(subscription, previous, "status", "canceled");
        StripeObjects.Change(subscription, previous, "ended_at", scope.Now);
        if (subscription["canceled_at"] is null)
        {
            StripeObjects.Change(subscription, previous, "canceled_at", scope.Now);
        }

        StripeObjects.Change(subscription, previous, "cancellation_details",
            new JsonObject { ["comment"] = null, ["feedback"] = null, ["reason"] = reason });
        await ClearAsync(scope, (string)subscription["id"]!);
        await scope.SaveAsync(subscription);
        await scope.EmitAsync("customer.subscription.deleted", subscription, previous);
    }

    private static Task ClearAsync(BillingScope scope, string id) => StripeBillingEngine.ClearDueAsync(scope, id);

    private static async Task<JsonObject> PresentAsync(
        JsonObject subscription, IReadOnlyList<string> expand, Microsoft.Data.Sqlite.SqliteConnection connection,
        Microsoft.Data.Sqlite.SqliteTransaction transaction, CancellationToken cancellationToken)
    {
        var answer = subscription.DeepClone().AsObject();
        await StripeExpand.ApplyAsync(answer, expand, connection, transaction, cancellationToken);
        if (answer["latest_invoice"] is JsonObject invoice)
        {
            answer["latest_invoice"] = StripeLedger.Present(invoice);
        }

        return answer;
    }

    /// <summary>A price that exists, is active and recurring (400 otherwise, naming <paramref name="param"/>).</summary>
    public static async Task<JsonObject> ActivePriceAsync(BillingScope scope, string priceId, string param)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var price = await StripeStore.GetObjectAsync(scope.Connection, scope.Transaction, priceId, PricesApi.Kind, scope.CancellationToken)
            ?? throw StripeException.NoSuch(PricesApi.Kind, priceId, param);
        if ((bool?)price["active"] != true)
        {
            throw StripeException.Invalid(param, $"The price specified ({priceId}) is inactive. This field only accepts active prices.");
        }

        return price;
    }

    /// <summary><c>items[0][id|price|quantity]</c>: exactly one item, quantity 1.</summary>
    private static (string? Id, string? Price, bool Present) OneItem(StripeParams p, bool requirePrice)
    {
        var items = p.GetObject("items");
        if (items is null)
        {
            return requirePrice ? throw StripeException.Missing("items") : (null, null, false);
        }

        if (items.Names.Any(n => n != "0"))
        {
            throw StripeException.Invalid("items", "The sandbox supports exactly one subscription item (items[0]).");
        }

        var first = items.GetObject("0") ?? throw StripeException.Invalid("items[0]", "Invalid items[0]: must be a hash.");
        first.OnlyAllow("id", "price", "quantity");
        if (first.GetInteger("quantity") is { } quantity && quantity != 1)
        {
            throw StripeException.Invalid("items[0][quantity]", "The sandbox supports only quantity 1.");
        }

        var price = first.GetString("price") is { Length: > 0 } pr ? pr : null;
        if (requirePrice && price is null)
        {
            throw StripeException.Missing("items[0][price]");
        }

        return (first.GetString("id") is { Length: > 0 } i ? i : null, price, true);
    }

    private static string? OneOf(StripeParams p, string name, string[] allowed)
    {
        var value = p.GetString(name);
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        return allowed.Contains(value, StringComparer.Ordinal)
            ? value
            : throw StripeException.Invalid(name, $"Invalid {name}: must be one of {string.Join(", ", allowed)}");
    }
}

using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Nno.Sandbox.Stripe.Common;
using Nno.Sandbox.Stripe.Customers;
using Nno.Sandbox.Stripe.Pipeline;
using Nno.Sandbox.Stripe.Subscriptions;

namespace Nno.Sandbox.Stripe.Invoices;

/// <summary>
/// Invoices (billing.md §5.1): <c>POST /v1/invoices</c> (a draft), <c>POST /v1/invoices/create_preview</c> (never
/// stored), <c>POST /v1/invoices/{id}/finalize</c> (finalized and charged at once), <c>GET /v1/invoices</c>
/// (<c>customer</c>, <c>subscription</c>, <c>status</c>), <c>GET /v1/invoices/{id}</c>, <c>GET /v1/invoices/{id}/lines</c>;
/// and invoice items, <c>POST /v1/invoiceitems</c>.
/// </summary>
internal static class InvoicesApi
{
    private static readonly string[] Statuses = ["draft", "open", "paid", "uncollectible", "void"];

    public static void Map(RouteGroupBuilder v1)
    {
        var invoices = v1.MapGroup("/invoices").WithTags("Stripe invoices");
        invoices.MapPost("", Create).WithName("StripeCreateInvoice").WithSummary("Creates a draft invoice for a customer.");
        invoices.MapPost("/create_preview", Preview).WithName("StripePreviewInvoice").WithSummary("Previews an invoice (a subscription's next one, or a tier change's prorations) without storing it.");
        invoices.MapGet("", List).WithName("StripeListInvoices").WithSummary("Lists invoices by customer, subscription and status.");
        invoices.MapGet("/{id}", Get).WithName("StripeGetInvoice").WithSummary("Reads an invoice.");
        invoices.MapGet("/{id}/lines", Lines).WithName("StripeListInvoiceLines").WithSummary("Lists an invoice's lines.");
        invoices.MapPost("/{id}/finalize", FinalizeInvoice).WithName("StripeFinalizeInvoice").WithSummary("Finalizes a draft invoice and charges it.");

        var items = v1.MapGroup("/invoiceitems").WithTags("Stripe invoice items");
        items.MapPost("", CreateItem).WithName("StripeCreateInvoiceItem").WithSummary("Creates an invoice item, pending or on a draft invoice of the customer.");
    }

    private static async Task<IResult> Create(HttpContext http, StripeStore store, StripeClock clock, StripeFaults faults, CancellationToken cancellationToken)
    {
        var request = StripeRequestContext.Get(http);
        var p = request.Params;
        p.OnlyAllow("customer", "subscription", "pending_invoice_items_behavior", "auto_advance", "metadata", "description", "collection_method", "currency", "expand");
        var customer = p.RequiredString("customer");
        var subscriptionId = p.GetString("subscription") is { Length: > 0 } s ? s : null;
        var pendingBehavior = p.GetString("pending_invoice_items_behavior") is { Length: > 0 } b ? b : "exclude";
        if (pendingBehavior is not ("exclude" or "include"))
        {
            throw StripeException.Invalid("pending_invoice_items_behavior", "Invalid pending_invoice_items_behavior: must be one of exclude, include");
        }

        if (p.GetString("collection_method") is { Length: > 0 } method && method != "charge_automatically")
        {
            throw StripeException.Invalid("collection_method", "The sandbox supports only collection_method=charge_automatically.");
        }

        if (p.GetString("currency") is { Length: > 0 } currency && currency != "usd")
        {
            throw StripeException.Invalid("currency", "The sandbox bills in usd only.");
        }

        var autoAdvance = p.GetBoolean("auto_advance") ?? false;
        var metadata = p.GetHash("metadata");
        StripeObjects.CheckMetadata(metadata);
        var description = p.GetString("description") is { Length: > 0 } d ? d : null;
        var expand = p.GetList("expand");
        var now = clock.UnixNow;
        var answer = await store.WriteAsync(async (connection, transaction) =>
        {
            var scope = new BillingScope(connection, transaction, now, request, null, faults.Current, cancellationToken);
            await scope.LoadAsync(customer, CustomersApi.Kind, "customer");
            if (subscriptionId is not null)
            {
                var subscription = await scope.LoadAsync(subscriptionId, SubscriptionsApi.Kind, "subscription");
                if ((string?)subscription["customer"] != customer)
                {
                    throw StripeException.Invalid("subscription", $"The subscription {subscriptionId} does not belong to customer {customer}.");
                }
            }

            var invoice = StripeLedger.NewInvoice(scope, customer, subscriptionId, "manual", now, now,
                StripeObjects.Metadata(metadata?.Where(kv => kv.Value.Length > 0).ToDictionary()), autoAdvance);
            invoice["description"] = description;
            if (pendingBehavior == "include")
            {
                await StripeLedger.AttachPendingAsync(scope, invoice, await StripeLedger.PendingItemsAsync(scope, customer, subscriptionId));
            }

            await StripeLedger.CreateAsync(scope, invoice);
            return await PresentAsync(invoice, expand, connection, transaction, cancellationToken);
        }, cancellationToken);
        return StripeResults.Json(answer);
    }

    private static async Task<IResult> FinalizeInvoice(string id, HttpContext http, StripeStore store, StripeClock clock, StripeFaults faults, CancellationToken cancellationToken)
    {
        var request = StripeRequestContext.Get(http);
        var p = request.Params;
        p.OnlyAllow("auto_advance", "expand");
        var autoAdvance = p.GetBoolean("auto_advance");
        var expand = p.GetList("expand");
        var now = clock.UnixNow;
        var answer = await store.WriteAsync(async (connection, transaction) =>
        {
            var scope = new BillingScope(connection, transaction, now, request, null, faults.Current, cancellationToken);
            var invoice = await scope.LoadAsync(id, StripeLedger.InvoiceKind);
            if (autoAdvance is { } advance)
            {
                invoice["auto_advance"] = advance;
            }

            await StripeBillingEngine.ClearDueAsync(scope, id, StripeBillingEngine.Finalize);
            await StripeBillingEngine.FinalizeAndCollectAsync(scope, invoice);
            return await PresentAsync(await scope.LoadAsync(id, StripeLedger.InvoiceKind), expand, connection, transaction, cancellationToken);
        }, cancellationToken);
        return StripeResults.Json(answer);
    }

    private static async Task<IResult> Get(string id, HttpContext http, StripeStore store, CancellationToken cancellationToken)
    {
        var p = StripeRequestContext.Get(http).Params;
        p.OnlyAllow("expand");
        var invoice = await store.GetObjectAsync(id, StripeLedger.InvoiceKind, cancellationToken) ?? throw StripeException.NoSuch(StripeLedger.InvoiceKind, id);
        var answer = StripeLedger.Present(invoice);
        await StripeExpand.ApplyAsync(answer, p.GetList("expand"), store, cancellationToken);
        return StripeResults.Json(answer);
    }

    private static async Task<IResult> List(HttpContext http, StripeStore store, CancellationToken cancellationToken)
    {
        var p = StripeRequestContext.Get(http).Params;
        p.OnlyAllow([.. StripeLists.Parameters, "customer", "subscription", "status"]);
        var filters = new List<StripeListFilter> { new("kind = 'invoice'") };
        if (p.GetString("customer") is { Length: > 0 } customer)
        {
            filters.Add(new StripeListFilter("customer = $customer", new Dictionary<string, object> { ["$customer"] = customer }));
        }

        if (p.GetString("subscription") is { Length: > 0 } subscription)
        {
            filters.Add(new StripeListFilter("json_extract(data, '$.parent.subscription_details.subscription') = $subscription",
                new Dictionary<string, object> { ["$subscription"] = subscription }));
        }

        if (p.GetString("status") is { Length: > 0 } status)
        {
            if (!Statuses.Contains(status, StringComparer.Ordinal))
            {
                throw StripeException.Invalid("status", $"Invalid status: must be one of {string.Join(", ", Statuses)}");
            }

            filters.Add(new StripeListFilter("json_extract(data, '$.status') = $status", new Dictionary<string, object> { ["$status"] = status }));
        }

        await using var connection = await store.OpenAsync(cancellationToken);
        var page = await StripeLists.PageAsync(connection, "objects", filters, p, "/v1/invoices", StripeLedger.InvoiceKind, cancellationToken);
        var data = page["data"]!.AsArray();
        for (var i = 0; i < data.Count; i++)
        {
            data[i] = StripeLedger.Present(data[i]!.AsObject());
        }

        await StripeExpand.ApplyAsync(page, p.GetList("expand"), store, cancellationToken);
        return StripeResults.Json(page);
    }

    private static async Task<IResult> Lines(string id, HttpContext http, StripeStore store, CancellationToken cancellationToken)
    {
        var p = StripeRequestContext.Get(http).Params;
        p.OnlyAllow([.. StripeLists.Parameters]);
        var invoice = await store.GetObjectAsync(id, StripeLedger.InvoiceKind, cancellationToken) ?? throw StripeException.NoSuch(StripeLedger.InvoiceKind, id);
        return StripeResults.Json(PageLines(invoice["lines"]!["data"]!.AsArray(), p, $"/v1/invoices/{id}/lines"));
    }

    /// <summary>A page of an invoice's lines, in invoice order (<c>starting_after</c>/<c>ending_before</c> a line id).</summary>
    private static JsonObject PageLines(JsonArray all, StripeParams p, string url)
    {
        var limit = p.GetInteger("limit") ?? 10;
        if (limit is < 1 or > 100)
        {
            throw StripeException.Invalid("limit", "Invalid limit: must be between 1 and 100", StripeErrorCodes.ParameterInvalidInteger);
        }

        var lines = all.Select(l => l!.AsObject()).ToList();
        var after = p.GetString("starting_after") is { Length: > 0 } a ? a : null;
        var before = p.GetString("ending_before") is { Length: > 0 } b ? b : null;
        int from = 0, to = lines.Count;
        if (after is not null)
        {
            var index = lines.FindIndex(l => (string?)l["id"] == after);
            from = index >= 0 ? index + 1 : throw StripeException.NoSuch("line_item", after, "starting_after");
        }
        else if (before is not null)
        {
            var index = lines.FindIndex(l => (string?)l["id"] == before);
            to = index >= 0 ? index : throw StripeException.NoSuch("line_item", before, "ending_before");
            from = Math.Max(0, to - (int)limit);
        }

        var page = lines.Skip(from).Take(Math.Min((int)limit, to - from)).Select(l => (JsonNode)l.DeepClone()).ToArray();
        return new JsonObject
        {
            ["object"] = "list",
            ["data"] = new JsonArray(page),
            ["has_more"] = before is not null ? from > 0 : from + page.Length < to,
            ["url"] = url,
        };
    }

    /// <summary>
    /// The invoice a subscription would produce, never stored (id <c>upcoming_…</c>): with a price change in
    /// <c>subscription_details</c>, the prorations (<c>always_invoice</c>: what is charged now) or the next renewal with
    /// them (<c>create_prorations</c>); without, the next renewal with the pending items.
    /// </summary>
    private static async Task<IResult> Preview(HttpContext http, StripeStore store, StripeClock clock, StripeFaults faults, CancellationToken cancellationToken)
    {
        var request = StripeRequestContext.Get(http);
        var p = request.Params;
        p.OnlyAllow("customer", "subscription", "subscription_details", "expand");
        var details = p.GetObject("subscription_details");
        details?.OnlyAllow("items", "proration_behavior", "proration_date");
        string? itemId = null, priceId = null;
        if (details?.GetObject("items") is { } items)
        {
            if (items.Names.Any(n => n != "0") || items.GetObject("0") is not { } first)
            {
                throw StripeException.Invalid("subscription_details[items]", "The sandbox supports exactly one subscription item (subscription_details[items][0]).");
            }

            first.OnlyAllow("id", "price", "quantity");
            itemId = first.GetString("id") is { Length: > 0 } i ? i : null;
            priceId = first.GetString("price") is { Length: > 0 } pr ? pr : null;
        }

        var behavior = details?.GetString("proration_behavior") is { Length: > 0 } pb ? pb : "create_prorations";
        if (behavior is not ("always_invoice" or "create_prorations" or "none"))
        {
            throw StripeException.Invalid("subscription_details[proration_behavior]", "Invalid proration_behavior: must be one of always_invoice, create_prorations, none");
        }

        var now = clock.UnixNow;
        var prorationDate = details?.GetInteger("proration_date") ?? now;
        if (prorationDate > now)
        {
            throw StripeException.Invalid("subscription_details[proration_date]", "proration_date must be at or before the current time.");
        }

        var customer = p.GetString("customer") is { Length: > 0 } c ? c : null;
        var subscriptionId = p.GetString("subscription") is { Length: > 0 } s ? s : null;
        if (subscriptionId is null)
        {
            throw StripeException.Missing("subscription");
        }

        var expand = p.GetList("expand");
        // Built with the engine's code on a read transaction that is never committed: the preview only reads.
        await using var connection = await store.OpenAsync(cancellationToken);
        await using var transaction = (Microsoft.Data.Sqlite.SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        {
            {
                var scope = new BillingScope(connection, transaction, now, request, null, faults.Current, cancellationToken);
                var subscription = await scope.LoadAsync(subscriptionId, SubscriptionsApi.Kind, "subscription");
                customer ??= (string)subscription["customer"]!;
                if ((string?)subscription["customer"] != customer)
                {
                    throw StripeException.Invalid("subscription", $"The subscription {subscriptionId} does not belong to customer {customer}.");
                }

                var item = StripeBillingEngine.Item(subscription);
                if (itemId is not null && itemId != (string)item["id"]!)
                {
                    throw StripeException.Invalid("subscription_details[items][0][id]", $"Invalid subscription item: {itemId} is not an item of subscription {subscriptionId}.");
                }

                var start = (long)item["current_period_start"]!;
                var end = (long)item["current_period_end"]!;
                var oldPrice = item["price"]!.AsObject();
                var newPrice = priceId is null ? oldPrice : await SubscriptionsApi.ActivePriceAsync(scope, priceId, "subscription_details[items][0][price]");
                if (priceId is not null && (prorationDate < start || prorationDate > end))
                {
                    throw StripeException.Invalid("subscription_details[proration_date]", "proration_date must be within the subscription's current period.");
                }

                var changes = priceId is not null && (string?)newPrice["id"] != (string?)oldPrice["id"];
                var prorationLines = new List<JsonObject>();
                if (changes && behavior != "none" && (string?)subscription["status"] != "trialing")
                {
                    var day = DateTimeOffset.FromUnixTimeSeconds(prorationDate).ToString("d MMM yyyy", CultureInfo.InvariantCulture);
                    var credit = -StripeBillingEngine.Prorate((long)oldPrice["unit_amount"]!, start, end, prorationDate);
                    var charge = StripeBillingEngine.Prorate((long)newPrice["unit_amount"]!, start, end, prorationDate);
                    prorationLines.Add(StripeLedger.ItemLine(StripeLedger.NewInvoiceItem(scope, customer, null, subscriptionId, (string)item["id"]!, credit, "usd",
                        $"Unused time on {await StripeBillingEngine.ProductNameAsync(scope, oldPrice)} after {day}", prorationDate, end, true, null, oldPrice)));
                    prorationLines.Add(StripeLedger.ItemLine(StripeLedger.NewInvoiceItem(scope, customer, null, subscriptionId, (string)item["id"]!, charge, "usd",
                        $"Remaining time on {await StripeBillingEngine.ProductNameAsync(scope, newPrice)} after {day}", prorationDate, end, true, null, newPrice)));
                }

                JsonObject invoice;
                if (changes && behavior == "always_invoice")
                {
                    invoice = StripeLedger.NewInvoice(scope, customer, subscriptionId, "subscription_update", now, now, prorationDate: prorationDate);
                }
                else
                {
                    invoice = StripeLedger.NewInvoice(scope, customer, subscriptionId, "upcoming", end, end, prorationDate: changes ? prorationDate : null);
                    var next = StripeBillingEngine.NextPeriodEnd((long)subscription["billing_cycle_anchor"]!, end);
                    var amount = (long)newPrice["unit_amount"]!;
                    StripeLedger.AddLine(invoice, StripeLedger.SubscriptionLine(subscriptionId, (string)item["id"]!, newPrice, amount,
                        $"1 × {await StripeBillingEngine.ProductNameAsync(scope, newPrice)} (at {StripeBillingEngine.Money(amount)} / month)", end, next));
                    foreach (var pending in await StripeLedger.PendingItemsAsync(scope, customer, subscriptionId))
                    {
                        StripeLedger.AddLine(invoice, StripeLedger.ItemLine(pending));
                    }
                }

                foreach (var line in prorationLines)
                {
                    StripeLedger.AddLine(invoice, line);
                }

                var customerObject = await scope.LoadAsync(customer, CustomersApi.Kind, "customer");
                var balance = (long?)customerObject["balance"] ?? 0;
                var owed = (long)invoice["total"]! + balance;
                invoice["starting_balance"] = balance;
                invoice["ending_balance"] = owed >= 0 ? 0 : owed;
                invoice["amount_due"] = Math.Max(0, owed);
                invoice["amount_remaining"] = Math.Max(0, owed);
                var previewId = "upcoming_" + ((string)invoice["id"]!)[3..];
                invoice["id"] = previewId;
                invoice["lines"]!["url"] = $"/v1/invoices/{previewId}/lines";
                foreach (var line in invoice["lines"]!["data"]!.AsArray())
                {
                    line!["invoice"] = previewId;
                }

                invoice["hosted_invoice_url"] = null;
                var preview = StripeLedger.Present(invoice);
                await StripeExpand.ApplyAsync(preview, expand, connection, transaction, cancellationToken);
                return StripeResults.Json(preview);
            }
        }
    }

    private static async Task<IResult> CreateItem(HttpContext http, StripeStore store, StripeClock clock, StripeFaults faults, CancellationToken cancellationToken)
    {
        var request = StripeRequestContext.Get(http);
        var p = request.Params;
        p.OnlyAllow("customer", "invoice", "subscription", "amount", "currency", "description", "period", "metadata", "expand");
        var customer = p.RequiredString("customer");
        var invoiceId = p.GetString("invoice") is { Length: > 0 } i ? i : null;
        var subscriptionId = p.GetString("subscription") is { Length: > 0 } s ? s : null;
        var amount = p.GetInteger("amount") ?? throw StripeException.Missing("amount");
        if (amount is < -99_999_999 or > 99_999_999)
        {
            throw StripeException.Invalid("amount", "Invalid amount: must be from -99999999 to 99999999", StripeErrorCodes.ParameterInvalidInteger);
        }

        var currency = p.RequiredString("currency").ToLowerInvariant();
        if (currency != "usd")
        {
            throw StripeException.Invalid("currency", "The sandbox bills in usd only.");
        }

        var description = p.GetString("description") is { Length: > 0 } d ? d : null;
        if (description is { Length: > 500 })
        {
            throw StripeException.Invalid("description", "Invalid description: must be at most 500 characters");
        }

        var now = clock.UnixNow;
        long start = now, end = now;
        if (p.GetObject("period") is { } period)
        {
            period.OnlyAllow("start", "end");
            start = period.GetInteger("start") ?? throw StripeException.Missing("period[start]");
            end = period.GetInteger("end") ?? throw StripeException.Missing("period[end]");
            if (end < start)
            {
                throw StripeException.Invalid("period[end]", "period[end] must be at or after period[start].");
            }
        }

        var metadata = p.GetHash("metadata");
        StripeObjects.CheckMetadata(metadata);
        var expand = p.GetList("expand");
        var answer = await store.WriteAsync(async (connection, transaction) =>
        {
            var scope = new BillingScope(connection, transaction, now, request, null, faults.Current, cancellationToken);
            await scope.LoadAsync(customer, CustomersApi.Kind, "customer");
            JsonObject? invoice = null;
            if (invoiceId is not null)
            {
                invoice = await scope.LoadAsync(invoiceId, StripeLedger.InvoiceKind, "invoice");
                if ((string?)invoice["customer"] != customer)
                {
                    throw StripeException.Invalid("invoice", $"Invoice {invoiceId} belongs to another customer.");
                }

                if ((string?)invoice["status"] != "draft")
                {
                    throw StripeException.Invalid("invoice", $"Invoice {invoiceId} is not a draft: items can be added only to draft invoices.");
                }
            }

            if (subscriptionId is not null)
            {
                var subscription = await scope.LoadAsync(subscriptionId, SubscriptionsApi.Kind, "subscription");
                if ((string?)subscription["customer"] != customer)
                {
                    throw StripeException.Invalid("subscription", $"The subscription {subscriptionId} does not belong to customer {customer}.");
                }
            }

            var item = StripeLedger.NewInvoiceItem(scope, customer, invoiceId, subscriptionId, null, amount, currency, description, start, end,
                proration: false, StripeObjects.Metadata(metadata?.Where(kv => kv.Value.Length > 0).ToDictionary()), price: null);
            await scope.InsertAsync(item);
            await scope.EmitAsync("invoiceitem.created", item);
            if (invoice is not null)
            {
                var before = new JsonObject
                {
                    ["amount_due"] = invoice["amount_due"]!.DeepClone(),
                    ["amount_remaining"] = invoice["amount_remaining"]!.DeepClone(),
                    ["subtotal"] = invoice["subtotal"]!.DeepClone(),
                    ["total"] = invoice["total"]!.DeepClone(),
                };
                StripeLedger.AddLine(invoice, StripeLedger.ItemLine(item));
                await scope.SaveAsync(invoice);
                await scope.EmitAsync("invoice.updated", StripeLedger.Present(invoice), before);
            }

            var answer = item.DeepClone().AsObject();
            await StripeExpand.ApplyAsync(answer, expand, connection, transaction, cancellationToken);
            return answer;
        }, cancellationToken);
        return StripeResults.Json(answer);
    }

    private static async Task<JsonObject> PresentAsync(
        JsonObject invoice, IReadOnlyList<string> expand, Microsoft.Data.Sqlite.SqliteConnection connection,
        Microsoft.Data.Sqlite.SqliteTransaction transaction, CancellationToken cancellationToken)
    {
        var answer = StripeLedger.Present(invoice);
        await StripeExpand.ApplyAsync(answer, expand, connection, transaction, cancellationToken);
        return answer;
    }
}

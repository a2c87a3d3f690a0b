using System.Net;
using Nno.Testing.Sandbox;
using Stripe;

namespace Nno.Sandbox.Tests.StripeEmulation;

/// <summary>Subscriptions, invoices, invoice items and the billing engine, driven by Stripe.net and admin advance.</summary>
public sealed class StripeBillingTests
{
    private const long Day = 86_400;

    private sealed record Catalog(StripeClient Stripe, Customer Customer, Price Starter, Price Pro);

    private static async Task<Catalog> CatalogAsync(TestSandbox sandbox)
    {
        var stripe = sandbox.StripeClient();
        var product = await stripe.V1.Products.CreateAsync(new ProductCreateOptions { Name = "NNO" });
        async Task<Price> PriceAsync(long amount) => await stripe.V1.Prices.CreateAsync(new PriceCreateOptions
        {
            Currency = "usd",
            UnitAmount = amount,
            Product = product.Id,
            Recurring = new PriceRecurringOptions { Interval = "month" },
        });
        var customer = await stripe.V1.Customers.CreateAsync(new CustomerCreateOptions { Email = "owner@example.com" });
        return new Catalog(stripe, customer, await PriceAsync(1900), await PriceAsync(4900));
    }

    private static Task<Subscription> SubscribeAsync(Catalog c, long? trialDays = null, string paymentBehavior = "allow_incomplete") =>
        c.Stripe.V1.Subscriptions.CreateAsync(new SubscriptionCreateOptions
        {
            Customer = c.Customer.Id,
            Items = [new SubscriptionItemOptions { Price = c.Starter.Id }],
            TrialPeriodDays = trialDays,
            PaymentBehavior = paymentBehavior,
            Metadata = new Dictionary<string, string> { ["platformId"] = "abcdefghij" },
            Expand = ["latest_invoice"],
        });

    private static async Task AdvanceAsync(TestSandbox sandbox, long seconds) =>
        await (await sandbox.StripeAdmin().PostJsonAsync("advance", $$"""{"seconds": {{seconds}}}""")).OkAsync();

    private static async Task<List<Invoice>> InvoicesAsync(Catalog c, string subscription) =>
        (await c.Stripe.V1.Invoices.ListAsync(new InvoiceListOptions { Subscription = subscription, Limit = 100 })).Data;

    private static async Task<List<Event>> EventsAsync(Catalog c, string type) =>
        (await c.Stripe.V1.Events.ListAsync(new EventListOptions { Type = type, Limit = 100 })).Data;

    [Fact]
    public async Task Trial_StartsTrialingWithPaidZeroInvoice_AndAfterAdvanceIsActiveWithPaidRenewal()
    {
        await using var sandbox = await StripeSandbox.StartAsync();
        var c = await CatalogAsync(sandbox);
        var start = StripeSandbox.Start.ToUnixTimeSeconds();

        var subscription = await SubscribeAsync(c, trialDays: 14);
        Assert.StartsWith("sub_", subscription.Id, StringComparison.Ordinal);
        Assert.Equal("trialing", subscription.Status);
        var item = Assert.Single(subscription.Items.Data);
        Assert.StartsWith("si_", item.Id, StringComparison.Ordinal);
        Assert.Equal(c.Starter.Id, item.Price.Id);
        Assert.Equal(StripeSandbox.Start.UtcDateTime, item.CurrentPeriodStart);
        Assert.Equal(StripeSandbox.Start.AddDays(14).UtcDateTime, item.CurrentPeriodEnd);
        Assert.Equal(StripeSandbox.Start.AddDays(14).UtcDateTime, subscription.TrialEnd);
        Assert.Equal(StripeSandbox.Start.AddDays(14).UtcDateTime, subscription.BillingCycleAnchor);
        Assert.Equal("abcdefghij", subscription.Metadata["platformId"]);
        var first = subscription.LatestInvoice;
        Assert.Equal("paid", first.Status);
        Assert.Equal("subscription_create", first.BillingReason);
        Assert.Equal(0, first.Total);
        Assert.Equal(subscription.Id, first.Parent.SubscriptionDetails.SubscriptionId);

        // The raw answer has no top-level period fields (this API version keeps them on the item).
        var raw = await (await sandbox.StripeHttp().GetAsync($"subscriptions/{subscription.Id}")).OkAsync();
        Assert.False(raw.TryGetProperty("current_period_end", out _));

        await AdvanceAsync(sandbox, 11 * Day);
        Assert.Single(await EventsAsync(c, "customer.subscription.trial_will_end"));

        await AdvanceAsync(sandbox, 3 * Day);
        var active = await c.Stripe.V1.Subscriptions.GetAsync(subscription.Id);
        Assert.Equal("active", active.Status);
        Assert.Equal(StripeSandbox.Start.AddDays(14).UtcDateTime, active.Items.Data[0].CurrentPeriodStart);
        Assert.Equal(StripeSandbox.Start.AddDays(14).AddMonths(1).UtcDateTime, active.Items.Data[0].CurrentPeriodEnd);
        var renewal = await c.Stripe.V1.Invoices.GetAsync(active.LatestInvoiceId);
        Assert.Equal("draft", renewal.Status);
        Assert.Equal("subscription_cycle", renewal.BillingReason);

        await AdvanceAsync(sandbox, 3600);
        renewal = await c.Stripe.V1.Invoices.GetAsync(renewal.Id);
        Assert.Equal("paid", renewal.Status);
        Assert.Equal(1900, renewal.AmountPaid);
        Assert.Equal(0, renewal.AmountRemaining);
        var line = Assert.Single(renewal.Lines.Data);
        Assert.Equal(1900, line.Amount);
        Assert.Equal(c.Starter.Id, line.Pricing.PriceDetails.PriceId);
        Assert.Equal(2, (await InvoicesAsync(c, subscription.Id)).Count);
        Assert.Equal(start + (14 * Day) + 3600, ((DateTimeOffset)renewal.StatusTransitions.PaidAt!.Value).ToUnixTimeSeconds());
        var updated = await EventsAsync(c, "customer.subscription.updated");
        Assert.Contains(updated, e => e.Data.PreviousAttributes?["status"]?.ToString() == "trialing");
    }

    [Fact]
    public async Task Decline_MakesRenewalPastDue_ThenDunningRetries_ThenUnpaid()
    {
        await using var sandbox = await StripeSandbox.StartAsync();
        var c = await CatalogAsync(sandbox);
        var subscription = await SubscribeAsync(c);
        Assert.Equal("active", subscription.Status);
        Assert.Equal("paid", subscription.LatestInvoice.Status);
        Assert.Equal(1900, subscription.LatestInvoice.AmountPaid);

        await (await sandbox.StripeAdmin().PutJsonAsync($"customers/{c.Customer.Id}/payment-behavior", "\"decline\"")).OkAsync();
        await AdvanceAsync(sandbox, (31 * Day) + 3600);
        var pastDue = await c.Stripe.V1.Subscriptions.GetAsync(subscription.Id);
        Assert.Equal("past_due", pastDue.Status);
        var renewal = await c.Stripe.V1.Invoices.GetAsync(pastDue.LatestInvoiceId);
        Assert.Equal("open", renewal.Status);
        Assert.Equal(1, renewal.AttemptCount);
        Assert.Equal(StripeSandbox.Start.AddDays(34).AddHours(1).UtcDateTime, renewal.NextPaymentAttempt);

        await AdvanceAsync(sandbox, 3 * Day);
        Assert.Equal(2, (await c.Stripe.V1.Invoices.GetAsync(renewal.Id)).AttemptCount);
        await AdvanceAsync(sandbox, 5 * Day);
        Assert.Equal(3, (await c.Stripe.V1.Invoices.GetAsync(renewal.Id)).AttemptCount);
        Assert.Equal("past_due", (await c.Stripe.V1.Subscriptions.GetAsync(subscription.Id)).Status);
        await AdvanceAsync(sandbox, 7 * Day);
        renewal = await c.Stripe.V1.Invoices.GetAsync(renewal.Id);
        Assert.Equal(4, renewal.AttemptCount);
        Assert.Null(renewal.NextPaymentAttempt);
        Assert.Equal("open", renewal.Status);
        Assert.Equal("unpaid", (await c.Stripe.V1.Subscriptions.GetAsync(subscription.Id)).Status);
        Assert.Equal(4, (await EventsAsync(c, "invoice.payment_failed")).Count);
        var listed = await c.Stripe.V1.Subscriptions.ListAsync(new SubscriptionListOptions { Customer = c.Customer.Id, Status = "unpaid" });
        Assert.Equal(subscription.Id, Assert.Single(listed.Data).Id);
    }

    [Fact]
    public async Task DunningFinalActionCancel_CancelsWithReasonPaymentFailed_AndPaymentRecoversPastDue()
    {
        await using var sandbox = await StripeSandbox.StartAsync();
        await (await sandbox.StripeAdmin().PutJsonAsync("faults", """{"dunning": {"retryDays": [2], "finalAction": "cancel"}, "invoiceFinalizeDelaySeconds": 60}""")).OkAsync();
        var c = await CatalogAsync(sandbox);
        var subscription = await SubscribeAsync(c);
        await (await sandbox.StripeAdmin().PutJsonAsync($"customers/{c.Customer.Id}/payment-behavior", "\"decline\"")).OkAsync();
        await AdvanceAsync(sandbox, (31 * Day) + 60);
        Assert.Equal("past_due", (await c.Stripe.V1.Subscriptions.GetAsync(subscription.Id)).Status);
        await AdvanceAsync(sandbox, 2 * Day);
        var canceled = await c.Stripe.V1.Subscriptions.GetAsync(subscription.Id);
        Assert.Equal("canceled", canceled.Status);
        Assert.Equal("payment_failed", canceled.CancellationDetails.Reason);
        Assert.Single(await EventsAsync(c, "customer.subscription.deleted"));
    }

    [Fact]
    public async Task CancelAtPeriodEnd_CanBeWithdrawn_AndWhenKeptEndsTheSubscriptionWithoutRenewalInvoice()
    {
        await using var sandbox = await StripeSandbox.StartAsync();
        var c = await CatalogAsync(sandbox);
        var subscription = await SubscribeAsync(c);
        var periodEnd = subscription.Items.Data[0].CurrentPeriodEnd;

        var scheduled = await c.Stripe.V1.Subscriptions.UpdateAsync(subscription.Id, new SubscriptionUpdateOptions { CancelAtPeriodEnd = true });
        Assert.True(scheduled.CancelAtPeriodEnd);
        Assert.Equal(periodEnd, scheduled.CancelAt);
        Assert.Equal("active", scheduled.Status);
        var withdrawn = await c.Stripe.V1.Subscriptions.UpdateAsync(subscription.Id, new SubscriptionUpdateOptions { CancelAtPeriodEnd = false });
        Assert.False(withdrawn.CancelAtPeriodEnd);
        Assert.Null(withdrawn.CancelAt);
        Assert.Null(withdrawn.CanceledAt);
        var update = (await EventsAsync(c, "customer.subscription.updated"))[0];
        Assert.Equal("True", update.Data.PreviousAttributes["cancel_at_period_end"]!.ToString());

        await c.Stripe.V1.Subscriptions.UpdateAsync(subscription.Id, new SubscriptionUpdateOptions { CancelAtPeriodEnd = true });
        await AdvanceAsync(sandbox, 40 * Day);
        var ended = await c.Stripe.V1.Subscriptions.GetAsync(subscription.Id);
        Assert.Equal("canceled", ended.Status);
        Assert.Equal("cancellation_requested", ended.CancellationDetails.Reason);
        Assert.Equal(periodEnd, ended.EndedAt);
        Assert.Single(await InvoicesAsync(c, subscription.Id));
        Assert.Single(await EventsAsync(c, "customer.subscription.deleted"));
        Assert.Empty((await c.Stripe.V1.Subscriptions.ListAsync(new SubscriptionListOptions { Customer = c.Customer.Id })).Data);
        Assert.Single((await c.Stripe.V1.Subscriptions.ListAsync(new SubscriptionListOptions { Customer = c.Customer.Id, Status = "all" })).Data);
    }

    [Fact]
    public async Task TierChange_AlwaysInvoice_ChargesProratedDifferenceToTheCent_MatchingThePreview()
    {
        await using var sandbox = await StripeSandbox.StartAsync();
        var c = await CatalogAsync(sandbox);
        var subscription = await SubscribeAsync(c);
        await AdvanceAsync(sandbox, 10 * Day);
        var prorationDate = StripeSandbox.Start.AddDays(10).UtcDateTime;
        var itemId = subscription.Items.Data[0].Id;

        // r = 21/31: credit −1900 × r = −1287.10 → −1287; charge 4900 × r = 3319.35 → 3319.
        var preview = await c.Stripe.V1.Invoices.CreatePreviewAsync(new InvoiceCreatePreviewOptions
        {
            Customer = c.Customer.Id,
            Subscription = subscription.Id,
            SubscriptionDetails = new InvoiceSubscriptionDetailsOptions
            {
                Items = [new InvoiceSubscriptionDetailsItemOptions { Id = itemId, Price = c.Pro.Id }],
                ProrationBehavior = "always_invoice",
                ProrationDate = prorationDate,
            },
        });
        Assert.StartsWith("upcoming_", preview.Id, StringComparison.Ordinal);
        Assert.Equal([-1287L, 3319L], preview.Lines.Data.Select(l => l.Amount));
        Assert.Equal(2032, preview.AmountDue);
        Assert.Single(await InvoicesAsync(c, subscription.Id));
        var missing = await sandbox.StripeHttp().GetAsync($"invoices/{preview.Id}");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        var changed = await c.Stripe.V1.Subscriptions.UpdateAsync(subscription.Id, new SubscriptionUpdateOptions
        {
            Items = [new SubscriptionItemOptions { Id = itemId, Price = c.Pro.Id }],
            ProrationBehavior = "always_invoice",
            ProrationDate = prorationDate,
            PaymentBehavior = "error_if_incomplete",
            Expand = ["latest_invoice"],
        });
        Assert.Equal(c.Pro.Id, changed.Items.Data[0].Price.Id);
        var invoice = changed.LatestInvoice;
        Assert.Equal("subscription_update", invoice.BillingReason);
        Assert.Equal("paid", invoice.Status);
        Assert.Equal(2032, invoice.AmountPaid);
        Assert.Equal(prorationDate, invoice.Parent.SubscriptionDetails.SubscriptionProrationDate);
        Assert.Equal([-1287L, 3319L], invoice.Lines.Data.Select(l => l.Amount));
        Assert.All(invoice.Lines.Data, l => Assert.True(l.Parent.SubscriptionItemDetails.Proration));
        var lines = await c.Stripe.V1.Invoices.LineItems.ListAsync(invoice.Id, new InvoiceLineItemListOptions { Limit = 1 });
        Assert.True(lines.HasMore);
        Assert.Equal(-1287, Assert.Single(lines.Data).Amount);
        Assert.Equal(2, (await EventsAsync(c, "invoiceitem.created")).Count);
    }

    [Fact]
    public async Task TierChange_DeclinedUnderErrorIfIncomplete_Is402AndChangesNothing_CreateProrationsBillsAtRenewal()
    {
        await using var sandbox = await StripeSandbox.StartAsync();
        var c = await CatalogAsync(sandbox);
        var subscription = await SubscribeAsync(c);
        var itemId = subscription.Items.Data[0].Id;
        await (await sandbox.StripeAdmin().PutJsonAsync("faults", """{"declineAll": true}""")).OkAsync();
        var declined = await Assert.ThrowsAsync<StripeException>(() => c.Stripe.V1.Subscriptions.UpdateAsync(subscription.Id, new SubscriptionUpdateOptions
        {
            Items = [new SubscriptionItemOptions { Id = itemId, Price = c.Pro.Id }],
            ProrationBehavior = "always_invoice",
            PaymentBehavior = "error_if_incomplete",
        }));
        Assert.Equal(HttpStatusCode.PaymentRequired, declined.HttpStatusCode);
        Assert.Equal("card_declined", declined.StripeError.Code);
        Assert.Equal(c.Starter.Id, (await c.Stripe.V1.Subscriptions.GetAsync(subscription.Id)).Items.Data[0].Price.Id);
        Assert.Single(await InvoicesAsync(c, subscription.Id));
        await (await sandbox.StripeAdmin().PutJsonAsync("faults", "{}")).OkAsync();

        // Downgrade later in the period: the items wait for the renewal invoice.
        await AdvanceAsync(sandbox, 20 * Day);
        await c.Stripe.V1.Subscriptions.UpdateAsync(subscription.Id, new SubscriptionUpdateOptions
        {
            Items = [new SubscriptionItemOptions { Id = itemId, Price = c.Pro.Id }],
            ProrationBehavior = "create_prorations",
        });
        Assert.Single(await InvoicesAsync(c, subscription.Id));
        await AdvanceAsync(sandbox, (11 * Day) + 3600);
        var renewal = (await InvoicesAsync(c, subscription.Id))[0];
        // r = 11/31: −1900 × r = −674.19 → −674; 4900 × r = 1738.71 → 1739; plus the new period at 4900.
        Assert.Equal([4900L, -674L, 1739L], renewal.Lines.Data.Select(l => l.Amount));
        Assert.Equal("paid", renewal.Status);
        Assert.Equal(5965, renewal.AmountPaid);
    }

    [Fact]
    public async Task FirstPaymentDeclined_ErrorIfIncompleteIs402WithNothingStored_AllowIncompleteExpiresAfter23Hours()
    {
        await using var sandbox = await StripeSandbox.StartAsync();
        var c = await CatalogAsync(sandbox);
        await (await sandbox.StripeAdmin().PutJsonAsync("faults", """{"declineAll": true}""")).OkAsync();

        var declined = await Assert.ThrowsAsync<StripeException>(() => SubscribeAsync(c, paymentBehavior: "error_if_incomplete"));
        Assert.Equal(HttpStatusCode.PaymentRequired, declined.HttpStatusCode);
        Assert.Equal("card_error", declined.StripeError.Type);
        Assert.Equal("card_declined", declined.StripeError.Code);
        Assert.Empty((await c.Stripe.V1.Subscriptions.ListAsync(new SubscriptionListOptions { Status = "all" })).Data);
        Assert.Empty((await c.Stripe.V1.Invoices.ListAsync(new InvoiceListOptions { Customer = c.Customer.Id })).Data);

        var incomplete = await SubscribeAsync(c);
        Assert.Equal("incomplete", incomplete.Status);
        Assert.Equal("open", incomplete.LatestInvoice.Status);
        await AdvanceAsync(sandbox, 23 * 3600);
        var expired = await c.Stripe.V1.Subscriptions.GetAsync(incomplete.Id, new SubscriptionGetOptions { Expand = ["latest_invoice", "customer"] });
        Assert.Equal("incomplete_expired", expired.Status);
        Assert.Equal("void", expired.LatestInvoice.Status);
        Assert.Equal(c.Customer.Id, expired.Customer.Id);
    }

    [Fact]
    public async Task MinimumCharge_SmallAmountDueIsPaidWithoutChargeAndCollectedWithTheNextInvoice()
    {
        await using var sandbox = await StripeSandbox.StartAsync();
        var c = await CatalogAsync(sandbox);

        async Task<Invoice> BillAsync(long amount)
        {
            var draft = await c.Stripe.V1.Invoices.CreateAsync(new InvoiceCreateOptions
            {
                Customer = c.Customer.Id,
                PendingInvoiceItemsBehavior = "exclude",
                AutoAdvance = false,
                Metadata = new Dictionary<string, string> { ["platformId"] = "abcdefghij" },
            });
            Assert.Equal("draft", draft.Status);
            var item = await c.Stripe.V1.InvoiceItems.CreateAsync(new InvoiceItemCreateOptions
            {
                Customer = c.Customer.Id,
                Invoice = draft.Id,
                Amount = amount,
                Currency = "usd",
                Description = "Workers invocations overage",
                Period = new InvoiceItemPeriodOptions { Start = StripeSandbox.Start.UtcDateTime, End = StripeSandbox.Start.AddDays(1).UtcDateTime },
                Metadata = new Dictionary<string, string> { ["metric"] = "workers_invocations" },
            });
            Assert.StartsWith("ii_", item.Id, StringComparison.Ordinal);
            return await c.Stripe.V1.Invoices.FinalizeInvoiceAsync(draft.Id, new InvoiceFinalizeOptions { AutoAdvance = true });
        }

        var small = await BillAsync(30);
        Assert.Equal("paid", small.Status);
        Assert.Equal(30, small.AmountDue);
        Assert.Equal(0, small.AmountPaid);
        Assert.NotNull(small.Number);
        Assert.Equal(30, (await c.Stripe.V1.Customers.GetAsync(c.Customer.Id)).Balance);

        var next = await BillAsync(100);
        Assert.Equal("paid", next.Status);
        Assert.Equal(130, next.AmountDue);
        Assert.Equal(130, next.AmountPaid);
        Assert.Equal(0, (await c.Stripe.V1.Customers.GetAsync(c.Customer.Id)).Balance);
        var paid = await c.Stripe.V1.Invoices.ListAsync(new InvoiceListOptions { Customer = c.Customer.Id, Status = "paid" });
        Assert.Equal([next.Id, small.Id], paid.Data.Select(i => i.Id));
    }

    [Fact]
    public async Task InvoiceItem_OnAnInvoiceThatIsNotADraftOfThatCustomer_Is400()
    {
        await using var sandbox = await StripeSandbox.StartAsync();
        var c = await CatalogAsync(sandbox);
        var other = await c.Stripe.V1.Customers.CreateAsync(new CustomerCreateOptions { Email = "other@example.com" });
        var draft = await c.Stripe.V1.Invoices.CreateAsync(new InvoiceCreateOptions { Customer = c.Customer.Id });
        var http = sandbox.StripeHttp();

        var foreign = await http.PostFormAsync("invoiceitems", null, ("customer", other.Id), ("invoice", draft.Id), ("amount", "100"), ("currency", "usd"));
        await foreign.AssertStripeErrorAsync(400, "invalid_request_error", param: "invoice");

        await c.Stripe.V1.Invoices.FinalizeInvoiceAsync(draft.Id);
        var finalized = await http.PostFormAsync("invoiceitems", null, ("customer", c.Customer.Id), ("invoice", draft.Id), ("amount", "100"), ("currency", "usd"));
        await finalized.AssertStripeErrorAsync(400, "invalid_request_error", param: "invoice");
        Assert.Empty((await c.Stripe.V1.Invoices.GetAsync(draft.Id)).Lines.Data);

        var future = await http.PostFormAsync("invoices/create_preview", null,
            ("subscription", (await SubscribeAsync(c)).Id), ("subscription_details[proration_date]", (StripeSandbox.Start.ToUnixTimeSeconds() + 60).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        await future.AssertStripeErrorAsync(400, "invalid_request_error", param: "subscription_details[proration_date]");
    }
}

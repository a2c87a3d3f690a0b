using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Stripe;

namespace Nno.Sandbox.Tests.StripeEmulation;

/// <summary>The emulator driven by the real Stripe.net client (apiBase = the sandbox's <c>/stripe</c>).</summary>
public sealed class StripeNetClientTests
{
    [Fact]
    public async Task Customers_CreateGetUpdate_RoundTripThroughStripeNet()
    {
        var time = StripeSandbox.NewClock();
        await using var sandbox = await StripeSandbox.StartAsync(time);
        var stripe = sandbox.StripeClient();

        var created = await stripe.V1.Customers.CreateAsync(new CustomerCreateOptions
        {
            Email = "owner@example.com",
            Name = "Acme",
            Description = "platform abc",
            Metadata = new Dictionary<string, string> { ["platformId"] = "abcdefghij", ["tier"] = "starter" },
        });
        Assert.StartsWith("cus_", created.Id, StringComparison.Ordinal);
        Assert.Equal("customer", created.Object);
        Assert.False(created.Livemode);
        Assert.Equal(0, created.Balance);
        Assert.Equal(StripeSandbox.Start.UtcDateTime, created.Created);
        Assert.Equal("abcdefghij", created.Metadata["platformId"]);

        var read = await stripe.V1.Customers.GetAsync(created.Id);
        Assert.Equal("owner@example.com", read.Email);
        Assert.Equal("Acme", read.Name);

        var updated = await stripe.V1.Customers.UpdateAsync(created.Id, new CustomerUpdateOptions
        {
            Name = "Acme Ltd",
            Balance = 125,
            Metadata = new Dictionary<string, string> { ["tier"] = "pro", ["platformId"] = "" },
        });
        Assert.Equal("Acme Ltd", updated.Name);
        Assert.Equal(125, updated.Balance);
        Assert.Equal("pro", updated.Metadata["tier"]);
        Assert.False(updated.Metadata.ContainsKey("platformId"));
        Assert.Equal("owner@example.com", updated.Email);
        Assert.Equal(125, (await stripe.V1.Customers.GetAsync(created.Id)).Balance);
    }

    [Fact]
    public async Task Prices_ListedByLookupKeys_ReturnOnlyThose_AndTransferLookupKeyMovesTheKey()
    {
        await using var sandbox = await StripeSandbox.StartAsync();
        var stripe = sandbox.StripeClient();
        var product = await stripe.V1.Products.CreateAsync(new ProductCreateOptions { Name = "NNO Starter" });
        async Task<Price> PriceAsync(string lookupKey, long amount, bool transfer = false) =>
            await stripe.V1.Prices.CreateAsync(new PriceCreateOptions
            {
                Currency = "usd",
                UnitAmount = amount,
                Product = product.Id,
                Recurring = new PriceRecurringOptions { Interval = "month" },
                LookupKey = lookupKey,
                TransferLookupKey = transfer,
            });

        var starter = await PriceAsync("nno_starter_monthly", 1900);
        var pro = await PriceAsync("nno_pro_monthly", 4900);
        await PriceAsync("nno_other_monthly", 100);

        var listed = await stripe.V1.Prices.ListAsync(new PriceListOptions { LookupKeys = ["nno_pro_monthly", "nno_starter_monthly"] });
        Assert.Equal([pro.Id, starter.Id], listed.Data.Select(p => p.Id));
        Assert.Equal("month", listed.Data[0].Recurring.Interval);
        Assert.Equal(4900, listed.Data[0].UnitAmount);

        var taken = await Assert.ThrowsAsync<StripeException>(() => PriceAsync("nno_pro_monthly", 5900));
        Assert.Equal("invalid_request_error", taken.StripeError.Type);
        Assert.Equal("lookup_key", taken.StripeError.Param);

        var pro2 = await PriceAsync("nno_pro_monthly", 5900, transfer: true);
        var now = await stripe.V1.Prices.ListAsync(new PriceListOptions { LookupKeys = ["nno_pro_monthly"] });
        Assert.Equal(pro2.Id, Assert.Single(now.Data).Id);
        Assert.Null((await stripe.V1.Prices.GetAsync(pro.Id)).LookupKey);

        var byProduct = await stripe.V1.Prices.ListAsync(new PriceListOptions { Product = product.Id, Active = true, Expand = ["data.product"] });
        Assert.Equal(4, byProduct.Data.Count);
        Assert.Equal("NNO Starter", byProduct.Data[0].Product.Name);
    }

    [Fact]
    public async Task IdempotencyKey_ReplaysTheFirstAnswer_AndCreatesOneCustomer()
    {
        await using var sandbox = await StripeSandbox.StartAsync();
        var stripe = sandbox.StripeClient();
        var options = new CustomerCreateOptions { Email = "a@example.com", Metadata = new Dictionary<string, string> { ["platformId"] = "p000000001" } };
        var first = await stripe.V1.Customers.CreateAsync(options, new RequestOptions { IdempotencyKey = "nno-customer:p000000001" });
        var second = await stripe.V1.Customers.CreateAsync(options, new RequestOptions { IdempotencyKey = "nno-customer:p000000001" });

        Assert.Equal(first.Id, second.Id);
        Assert.Equal("true", second.StripeResponse.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.False(first.StripeResponse.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(first.StripeResponse.RequestId, second.StripeResponse.RequestId);
        var events = await stripe.V1.Events.ListAsync(new EventListOptions { Type = "customer.created" });
        Assert.Single(events.Data);
    }

    [Fact]
    public async Task IdempotencyKey_ReusedWithOtherParameters_IsAnIdempotencyError()
    {
        await using var sandbox = await StripeSandbox.StartAsync();
        var stripe = sandbox.StripeClient();
        await stripe.V1.Customers.CreateAsync(new CustomerCreateOptions { Email = "a@example.com" }, new RequestOptions { IdempotencyKey = "k1" });
        var error = await Assert.ThrowsAsync<StripeException>(() =>
            stripe.V1.Customers.CreateAsync(new CustomerCreateOptions { Email = "b@example.com" }, new RequestOptions { IdempotencyKey = "k1" }));
        Assert.Equal(HttpStatusCode.BadRequest, error.HttpStatusCode);
        Assert.Equal("idempotency_error", error.StripeError.Type);
    }

    [Fact]
    public async Task Errors_MapToStripeException_WithTypeCodeAndParam()
    {
        await using var sandbox = await StripeSandbox.StartAsync();
        var stripe = sandbox.StripeClient();

        var missing = await Assert.ThrowsAsync<StripeException>(() => stripe.V1.Customers.GetAsync("cus_doesnotexist"));
        Assert.Equal(HttpStatusCode.NotFound, missing.HttpStatusCode);
        Assert.Equal("invalid_request_error", missing.StripeError.Type);
        Assert.Equal("resource_missing", missing.StripeError.Code);
        Assert.Equal("id", missing.StripeError.Param);
        Assert.Contains("cus_doesnotexist", missing.StripeError.Message, StringComparison.Ordinal);

        var product = await stripe.V1.Products.CreateAsync(new ProductCreateOptions { Name = "p" });
        var noCurrency = await Assert.ThrowsAsync<StripeException>(() => stripe.V1.Prices.CreateAsync(new PriceCreateOptions
        {
            UnitAmount = 100,
            Product = product.Id,
            Recurring = new PriceRecurringOptions { Interval = "month" },
        }));
        Assert.Equal("parameter_missing", noCurrency.StripeError.Code);
        Assert.Equal("currency", noCurrency.StripeError.Param);

        var badProduct = await Assert.ThrowsAsync<StripeException>(() => stripe.V1.Prices.CreateAsync(new PriceCreateOptions
        {
            Currency = "usd",
            UnitAmount = 100,
            Product = "prod_missing",
            Recurring = new PriceRecurringOptions { Interval = "month" },
        }));
        Assert.Equal("resource_missing", badProduct.StripeError.Code);
        Assert.Equal("product", badProduct.StripeError.Param);

        var yearly = await Assert.ThrowsAsync<StripeException>(() => stripe.V1.Prices.CreateAsync(new PriceCreateOptions
        {
            Currency = "usd",
            UnitAmount = 100,
            Product = product.Id,
            Recurring = new PriceRecurringOptions { Interval = "year" },
        }));
        Assert.Equal("recurring[interval]", yearly.StripeError.Param);

        var wrongKey = sandbox.StripeClient(key: "sk_test_wrong");
        var unauthorized = await Assert.ThrowsAsync<StripeException>(() => wrongKey.V1.Customers.GetAsync("cus_x"));
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.HttpStatusCode);
    }

    [Fact]
    public async Task Lists_PageNewestFirst_WithStartingAfterAndEndingBefore()
    {
        await using var sandbox = await StripeSandbox.StartAsync();
        var stripe = sandbox.StripeClient();
        var product = await stripe.V1.Products.CreateAsync(new ProductCreateOptions { Name = "p" });
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await stripe.V1.Prices.CreateAsync(new PriceCreateOptions
            {
                Currency = "usd",
                UnitAmount = 100 + i,
                Product = product.Id,
                Recurring = new PriceRecurringOptions { Interval = "month" },
            })).Id);
        }

        ids.Reverse();
        var first = await stripe.V1.Prices.ListAsync(new PriceListOptions { Limit = 2 });
        Assert.Equal(ids[..2], first.Data.Select(p => p.Id));
        Assert.True(first.HasMore);
        Assert.Equal("/v1/prices", first.Url);
        var second = await stripe.V1.Prices.ListAsync(new PriceListOptions { Limit = 2, StartingAfter = first.Data[^1].Id });
        Assert.Equal(ids[2..4], second.Data.Select(p => p.Id));
        Assert.True(second.HasMore);
        var third = await stripe.V1.Prices.ListAsync(new PriceListOptions { Limit = 2, StartingAfter = second.Data[^1].Id });
        Assert.Equal(ids[4..], third.Data.Select(p => p.Id));
        Assert.False(third.HasMore);
        var back = await stripe.V1.Prices.ListAsync(new PriceListOptions { Limit = 2, EndingBefore = third.Data[0].Id });
        Assert.Equal(ids[2..4], back.Data.Select(p => p.Id));

        var all = new List<string>();
        await foreach (var price in stripe.V1.Prices.ListAutoPagingAsync(new PriceListOptions { Limit = 2 }))
        {
            all.Add(price.Id);
        }

        Assert.Equal(ids, all);
    }

    [Fact]
    public async Task FailNext500_IsRetriedByStripeNetWithTheSameIdempotencyKey_AndThenSucceeds()
    {
        await using var sandbox = await StripeSandbox.StartAsync();
        var admin = sandbox.StripeAdmin();
        (await admin.PutJsonAsync("faults", """{"failNext":[{"method":"POST","pathRegex":"/v1/customers$","status":500,"count":2}]}""")).EnsureSuccessStatusCode();
        var stripe = sandbox.StripeClient(maxNetworkRetries: 2);

        var customer = await stripe.V1.Customers.CreateAsync(new CustomerCreateOptions { Email = "a@example.com" });
        Assert.StartsWith("cus_", customer.Id, StringComparison.Ordinal);

        var log = await admin.GetFromJsonAsync<JsonElement>("requests");
        var posts = log.EnumerateArray().Where(e => e.GetProperty("method").GetString() == "POST").ToArray();
        Assert.Equal([500, 500, 200], posts.Select(e => e.GetProperty("status").GetInt32()));
        var keys = posts.Select(e => e.GetProperty("idempotencyKey").GetString()).Distinct().ToArray();
        Assert.NotNull(Assert.Single(keys));
    }

    [Fact]
    public async Task FailNext500_MoreTimesThanTheRetries_SurfacesAsStripeExceptionApiError()
    {
        await using var sandbox = await StripeSandbox.StartAsync();
        var admin = sandbox.StripeAdmin();
        (await admin.PutJsonAsync("faults", """{"failNext":[{"pathRegex":"/v1/customers","status":500,"count":3}]}""")).EnsureSuccessStatusCode();
        var stripe = sandbox.StripeClient(maxNetworkRetries: 2);

        var error = await Assert.ThrowsAsync<StripeException>(() => stripe.V1.Customers.CreateAsync(new CustomerCreateOptions { Email = "a@example.com" }));
        Assert.Equal(HttpStatusCode.InternalServerError, error.HttpStatusCode);
        Assert.Equal("api_error", error.StripeError.Type);
        var faults = await admin.GetFromJsonAsync<JsonElement>("faults");
        Assert.Equal(0, faults.GetProperty("failNext").GetArrayLength());
        // The failures ran before the handler: nothing was created.
        Assert.Empty((await stripe.V1.Events.ListAsync()).Data);
    }

    [Fact]
    public async Task Events_RecordCustomerCreatedAndUpdated_FilterByTypesAndCreated_AndReadById()
    {
        var time = StripeSandbox.NewClock();
        await using var sandbox = await StripeSandbox.StartAsync(time);
        var stripe = sandbox.StripeClient();
        var customer = await stripe.V1.Customers.CreateAsync(new CustomerCreateOptions { Name = "A" }, new RequestOptions { IdempotencyKey = "create-a" });
        time.Advance(TimeSpan.FromMinutes(10));
        await stripe.V1.Customers.UpdateAsync(customer.Id, new CustomerUpdateOptions { Name = "B" });
        // An update that changes nothing emits nothing.
        await stripe.V1.Customers.UpdateAsync(customer.Id, new CustomerUpdateOptions { Name = "B" });

        var all = await stripe.V1.Events.ListAsync();
        Assert.Equal(["customer.updated", "customer.created"], all.Data.Select(e => e.Type));
        var createdEvent = all.Data[1];
        Assert.StartsWith("evt_", createdEvent.Id, StringComparison.Ordinal);
        Assert.Equal("2026-10-28.endive", createdEvent.ApiVersion);
        Assert.Equal("create-a", createdEvent.Request.IdempotencyKey);
        Assert.StartsWith("req_", createdEvent.Request.Id, StringComparison.Ordinal);
        Assert.Equal(customer.Id, ((Customer)createdEvent.Data.Object).Id);
        var updatedEvent = all.Data[0];
        Assert.Equal("B", ((Customer)updatedEvent.Data.Object).Name);
        Assert.Equal("A", (string)updatedEvent.Data.PreviousAttributes.name);

        var onlyUpdated = await stripe.V1.Events.ListAsync(new EventListOptions { Types = ["customer.updated", "invoice.paid"] });
        Assert.Equal(updatedEvent.Id, Assert.Single(onlyUpdated.Data).Id);
        var wildcard = await stripe.V1.Events.ListAsync(new EventListOptions { Type = "customer.*" });
        Assert.Equal(2, wildcard.Data.Count);
        var recent = await stripe.V1.Events.ListAsync(new EventListOptions
        {
            Created = new DateRangeOptions { GreaterThan = StripeSandbox.Start.UtcDateTime.AddMinutes(5) },
        });
        Assert.Equal(updatedEvent.Id, Assert.Single(recent.Data).Id);

        var read = await stripe.V1.Events.GetAsync(createdEvent.Id);
        Assert.Equal("customer.created", read.Type);
        Assert.Equal(StripeSandbox.Start.UtcDateTime, read.Created);
    }

    [Fact]
    public async Task PortalSession_PointsAtTheSandboxPortalPage_AndNeedsAnExistingCustomer()
    {
        await using var sandbox = await StripeSandbox.StartAsync();
        var stripe = sandbox.StripeClient();
        var customer = await stripe.V1.Customers.CreateAsync(new CustomerCreateOptions { Email = "a@example.com" });
        var session = await stripe.V1.BillingPortal.Sessions.CreateAsync(new global::Stripe.BillingPortal.SessionCreateOptions
        {
            Customer = customer.Id,
            ReturnUrl = "https://console.nno.app/billing",
        });
        Assert.StartsWith("bps_", session.Id, StringComparison.Ordinal);
        Assert.Equal($"{sandbox.StripeBase()}/_sandbox/portal/{session.Id}", session.Url);
        Assert.Equal("https://console.nno.app/billing", session.ReturnUrl);

        var error = await Assert.ThrowsAsync<StripeException>(() => stripe.V1.BillingPortal.Sessions.CreateAsync(
            new global::Stripe.BillingPortal.SessionCreateOptions { Customer = "cus_missing" }));
        Assert.Equal("resource_missing", error.StripeError.Code);
        Assert.Equal("customer", error.StripeError.Param);
    }

    [Fact]
    public async Task Expand_ReplacesIdsWithObjects_AndRefusesFieldsThatAreNotExpandable()
    {
        await using var sandbox = await StripeSandbox.StartAsync();
        var stripe = sandbox.StripeClient();
        var price = await stripe.V1.Prices.CreateAsync(new PriceCreateOptions
        {
            Currency = "usd",
            UnitAmount = 1900,
            ProductData = new PriceProductDataOptions { Name = "Inline" },
            Recurring = new PriceRecurringOptions { Interval = "month" },
        });
        Assert.Null(price.Product);
        Assert.StartsWith("prod_", price.ProductId, StringComparison.Ordinal);
        var expanded = await stripe.V1.Prices.GetAsync(price.Id, new PriceGetOptions { Expand = ["product"] });
        Assert.Equal("Inline", expanded.Product.Name);

        var error = await Assert.ThrowsAsync<StripeException>(() => stripe.V1.Prices.GetAsync(price.Id, new PriceGetOptions { Expand = ["currency"] }));
        Assert.Equal("invalid_request_error", error.StripeError.Type);
        Assert.Equal("expand[0]", error.StripeError.Param);
    }
}

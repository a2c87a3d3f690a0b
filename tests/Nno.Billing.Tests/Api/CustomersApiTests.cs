using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Nno.Billing.Data;
using Nno.Billing.Tests.Support;
using Stripe;

namespace Nno.Billing.Tests.Api;

/// <summary>B12/B13 against the Stripe emulator.</summary>
public sealed class CustomersApiTests
{
    private const string Pid = "k3m9p2xw7q";

    private static object Body(string pid = Pid, string email = "owner@example.com", string name = "Acme") =>
        new { platformId = pid, email, name };

    [Fact]
    public async Task B12_CreatesOneStripeCustomer_201ThenRepeat200WithTheSameId()
    {
        await using var host = await BillingHost.StartAsync();
        var registry = await host.RegistryAsync();

        using var first = await registry.PostAsJsonAsync(new Uri("/customers", UriKind.Relative), Body());
        var created = await BillingHost.ExpectAsync(first, HttpStatusCode.Created);
        using var second = await registry.PostAsJsonAsync(new Uri("/customers", UriKind.Relative), Body());
        var repeated = await BillingHost.ExpectAsync(second, HttpStatusCode.OK);

        var customerId = created.GetProperty("stripeCustomerId").GetString()!;
        Assert.Equal(Pid, created.GetProperty("platformId").GetString());
        Assert.Equal(customerId, repeated.GetProperty("stripeCustomerId").GetString());
        var customer = await host.Services.GetRequiredService<StripeClient>().V1.Customers.GetAsync(customerId);
        Assert.Equal(("owner@example.com", "Acme", Pid), (customer.Email, customer.Name, customer.Metadata["platformId"]));
        var creates = host.StripeRequests.Where(r => r.Method == "POST" && r.Path == "/stripe/v1/customers").ToList();
        Assert.Equal("nno-customer:" + Pid, Assert.Single(creates).IdempotencyKey);
        var row = await host.WithDbAsync(db => db.Customers.AsNoTracking().SingleAsync());
        Assert.Equal((customerId, "owner@example.com", "Acme"), (row.StripeCustomerId, row.Email, row.Name));
    }

    [Fact]
    public async Task B12_AfterACrashBeforeTheInsert_ReplaysStripesCustomer()
    {
        await using var host = await BillingHost.StartAsync();
        // Stripe already has the customer under the platform's key (the insert never happened).
        var earlier = await host.Services.GetRequiredService<StripeClient>().V1.Customers.CreateAsync(
            new CustomerCreateOptions { Email = "owner@example.com", Name = "Acme", Metadata = new Dictionary<string, string> { ["platformId"] = Pid } },
            new RequestOptions { IdempotencyKey = "nno-customer:" + Pid });
        var registry = await host.RegistryAsync();

        using var response = await registry.PostAsJsonAsync(new Uri("/customers", UriKind.Relative), Body());

        var created = await BillingHost.ExpectAsync(response, HttpStatusCode.Created);
        Assert.Equal(earlier.Id, created.GetProperty("stripeCustomerId").GetString());
        Assert.Contains(host.StripeRequests, r => r.Path == "/stripe/v1/customers" && r.Replayed);
    }

    [Fact]
    public async Task B12_BadInput_Is400NamingEveryField_AndCallsNoStripe()
    {
        await using var host = await BillingHost.StartAsync();
        var registry = await host.RegistryAsync();
        var before = host.StripeRequests.Count;

        using var bad = await registry.PostAsJsonAsync(new Uri("/customers", UriKind.Relative), new { platformId = "NOPE", email = "not-an-email", name = new string('x', 101) });
        var error = await BillingHost.ExpectAsync(bad, HttpStatusCode.BadRequest);
        var fields = error.GetProperty("error").GetProperty("details").GetProperty("fields");
        Assert.True(fields.TryGetProperty("platformId", out _));
        Assert.True(fields.TryGetProperty("email", out _));
        Assert.True(fields.TryGetProperty("name", out _));

        using var unknown = await registry.PostAsJsonAsync(new Uri("/customers", UriKind.Relative), new { platformId = Pid, email = "a@example.com", name = "A", extra = 1 });
        await BillingHost.ExpectAsync(unknown, HttpStatusCode.BadRequest);
        using var missing = await registry.PostAsJsonAsync(new Uri("/customers", UriKind.Relative), new { platformId = Pid });
        await BillingHost.ExpectAsync(missing, HttpStatusCode.BadRequest);
        using var bidi = await registry.PostAsJsonAsync(new Uri("/customers", UriKind.Relative), Body(name: "Acme\u202E"));
        await BillingHost.ExpectAsync(bidi, HttpStatusCode.BadRequest);

        Assert.Equal(before, host.StripeRequests.Count);
        Assert.Equal(0, await host.CountAsync<CustomerRecord>());
    }

    [Fact]
    public async Task B12AndB13_AreInternal_UsersAndOperators404_OtherServices403()
    {
        await using var host = await BillingHost.StartAsync();
        using var user = await host.User("owner", Pid).PostAsJsonAsync(new Uri("/customers", UriKind.Relative), Body());
        await BillingHost.ExpectAsync(user, HttpStatusCode.NotFound);
        using var op = await host.Operator().PostAsJsonAsync(new Uri("/customers", UriKind.Relative), Body());
        await BillingHost.ExpectAsync(op, HttpStatusCode.NotFound);
        var cli = await host.ServiceAsync("cli");
        using var other = await cli.PostAsJsonAsync(new Uri("/customers", UriKind.Relative), Body());
        await BillingHost.ExpectAsync(other, HttpStatusCode.Forbidden);
        using var patch = await host.Operator().PatchAsJsonAsync(new Uri("/customers/" + Pid, UriKind.Relative), new { name = "B" });
        await BillingHost.ExpectAsync(patch, HttpStatusCode.NotFound);
        Assert.Equal(0, await host.CountAsync<CustomerRecord>());
    }

    [Fact]
    public async Task B13_UpdatesStripeWithTheChangeKey_AndTheRow_And404sWithoutACustomer()
    {
        await using var host = await BillingHost.StartAsync();
        var registry = await host.RegistryAsync();
        using var missing = await registry.PatchAsJsonAsync(new Uri("/customers/" + Pid, UriKind.Relative), new { name = "Other" });
        var notFound = await BillingHost.ExpectAsync(missing, HttpStatusCode.NotFound);
        Assert.Equal("customer", notFound.GetProperty("error").GetProperty("details").GetProperty("resource").GetString());
        using var create = await registry.PostAsJsonAsync(new Uri("/customers", UriKind.Relative), Body());
        var customerId = (await BillingHost.ExpectAsync(create, HttpStatusCode.Created)).GetProperty("stripeCustomerId").GetString()!;

        using var update = await registry.PatchAsJsonAsync(new Uri("/customers/" + Pid, UriKind.Relative), new { email = "billing@example.com", name = "Acme Ltd" });
        var updated = await BillingHost.ExpectAsync(update, HttpStatusCode.OK);
        using var same = await registry.PatchAsJsonAsync(new Uri("/customers/" + Pid, UriKind.Relative), new { name = "Acme Ltd" });
        await BillingHost.ExpectAsync(same, HttpStatusCode.OK);
        using var empty = await registry.PatchAsJsonAsync(new Uri("/customers/" + Pid, UriKind.Relative), new { });
        await BillingHost.ExpectAsync(empty, HttpStatusCode.BadRequest);

        Assert.Equal(customerId, updated.GetProperty("stripeCustomerId").GetString());
        var customer = await host.Services.GetRequiredService<StripeClient>().V1.Customers.GetAsync(customerId);
        Assert.Equal(("billing@example.com", "Acme Ltd"), (customer.Email, customer.Name));
        var updates = host.StripeRequests.Where(r => r.Method == "POST" && r.Path == "/stripe/v1/customers/" + customerId).ToList();
        var key = Assert.Single(updates).IdempotencyKey!;
        Assert.Matches("^nno-customer-update:" + Pid + ":[0-9a-f]{16}$", key);
        var row = await host.WithDbAsync(db => db.Customers.AsNoTracking().SingleAsync());
        Assert.Equal(("billing@example.com", "Acme Ltd"), (row.Email, row.Name));
    }

    [Fact]
    public async Task B12_AStripe429_Answers503RetryAfter5_AndStoresNothing()
    {
        await using var host = await BillingHost.StartAsync();
        await host.SetFaultsAsync(new { failNext = new[] { new { method = "POST", pathRegex = "/v1/customers$", status = 429, count = 1 } } });
        var registry = await host.RegistryAsync();

        using var response = await registry.PostAsJsonAsync(new Uri("/customers", UriKind.Relative), Body());

        await BillingHost.ExpectAsync(response, HttpStatusCode.ServiceUnavailable);
        Assert.Equal("5", response.Headers.RetryAfter!.Delta!.Value.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(0, await host.CountAsync<CustomerRecord>());
    }
}

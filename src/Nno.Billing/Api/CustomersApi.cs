using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Nno.Billing.Data;
using Nno.Billing.Stripe;
using Nno.Core.Errors;
using Nno.Core.Services;
using Nno.ServiceDefaults.Idempotency;
using Nno.ServiceDefaults.Limits;
using Nno.ServiceDefaults.Security;
using Stripe;

namespace Nno.Billing.Api;

/// <summary>B12 body.</summary>
internal sealed record CreateCustomerRequest
{
    public string? PlatformId { get; init; }

    public string? Email { get; init; }

    public string? Name { get; init; }
}

/// <summary>B13 body.</summary>
internal sealed record UpdateCustomerRequest
{
    public string? Email { get; init; }

    public string? Name { get; init; }
}

/// <summary>B12/B13 answer.</summary>
internal sealed record CustomerView(string PlatformId, string StripeCustomerId);

/// <summary>
/// B12 <c>POST /customers</c> and B13 <c>PATCH /customers/{platformId}</c> (billing.md §3, internal: the Registry only;
/// another service 403, users and operators 404). B12 is idempotent per platform: a platform with a customer answers 200
/// with it and calls Stripe no more; the Stripe create carries <c>nno-customer:{pid}</c>, so a retry after a crash between
/// Stripe's answer and the insert replays Stripe's customer instead of making a second one.
/// </summary>
internal static class CustomersApi
{
    public const string Path = "/customers";

    public static IEndpointRouteBuilder MapCustomers(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Path).WithTags("Customers")
            .ServiceOnly(NnoServices.Registry).WithRequestBodyLimit(BillingApi.MaxBodyBytes);
        group.MapPost("", CreateAsync).WithName("CreateBillingCustomer")
            .WithSummary("B12: create the platform's Stripe customer (201; 200 with the same customer on repeat).")
            .WithIdempotency();
        group.MapPatch("/{platformId}", UpdateAsync).WithName("UpdateBillingCustomer")
            .WithSummary("B13: change the email or name of the platform's Stripe customer.");
        return app;
    }

    private static async Task<Results<Created<CustomerView>, Ok<CustomerView>>> CreateAsync(
        CreateCustomerRequest body, HttpContext context, BillingDbContext db, StripeClient stripe, TimeProvider time, CancellationToken cancellationToken)
    {
        context.RequirePrincipal();
        var fields = new BillingFields();
        var pid = fields.PlatformId(body.PlatformId);
        var email = fields.Email(body.Email, required: true)!;
        var name = fields.Name(body.Name, required: true)!;
        fields.ThrowIfAny();

        if (await FindAsync(db, pid, cancellationToken) is { } existing)
        {
            return TypedResults.Ok(View(existing));
        }

        var customer = await StripeCalls.RunAsync(() => stripe.V1.Customers.CreateAsync(
            new CustomerCreateOptions { Email = email, Name = name, Metadata = new Dictionary<string, string> { ["platformId"] = pid } },
            StripeIdempotencyKeys.Options(StripeIdempotencyKeys.Customer(pid)), cancellationToken), cancellationToken);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var row = new CustomerRecord { PlatformId = pid, StripeCustomerId = customer.Id, Email = email, Name = name, CreatedAt = now, UpdatedAt = now };
        db.Customers.Add(row);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // A concurrent B12 for the platform inserted first (same key, so the same Stripe customer): answer with it.
            db.ChangeTracker.Clear();
            return TypedResults.Ok(View(await FindAsync(db, pid, cancellationToken) ?? throw new InvalidOperationException("The customer row vanished.")));
        }

        return TypedResults.Created($"{Path}/{pid}", View(row));
    }

    private static async Task<Ok<CustomerView>> UpdateAsync(
        string platformId, UpdateCustomerRequest body, HttpContext context, BillingDbContext db, StripeClient stripe, TimeProvider time, CancellationToken cancellationToken)
    {
        context.RequirePrincipal();
        var fields = new BillingFields();
        var pid = fields.PlatformId(platformId);
        var email = fields.Email(body.Email, required: false);
        var name = fields.Name(body.Name, required: false);
        if (email is null && name is null)
        {
            fields.Add("email", "email or name is required");
        }

        fields.ThrowIfAny();
        var row = await db.Customers.SingleOrDefaultAsync(c => c.PlatformId == pid, cancellationToken)
            ?? throw ApiException.NotFound("customer", "The platform has no billing customer.");

        // Only the fields that change go to Stripe; nothing changing means no call at all.
        var newEmail = email is not null && !string.Equals(email, row.Email, StringComparison.Ordinal) ? email : null;
        var newName = name is not null && !string.Equals(name, row.Name, StringComparison.Ordinal) ? name : null;
        if (newEmail is null && newName is null)
        {
            return TypedResults.Ok(View(row));
        }

        var key = StripeIdempotencyKeys.CustomerUpdate(pid, StripeIdempotencyKeys.CustomerUpdateBody(newEmail, newName));
        await StripeCalls.RunAsync(() => stripe.V1.Customers.UpdateAsync(
            row.StripeCustomerId, new CustomerUpdateOptions { Email = newEmail, Name = newName }, StripeIdempotencyKeys.Options(key), cancellationToken), cancellationToken);
        row.Email = newEmail ?? row.Email;
        row.Name = newName ?? row.Name;
        row.UpdatedAt = time.GetUtcNow().ToUnixTimeMilliseconds();
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(View(row));
    }

    private static Task<CustomerRecord?> FindAsync(BillingDbContext db, string pid, CancellationToken ct) =>
        db.Customers.AsNoTracking().SingleOrDefaultAsync(c => c.PlatformId == pid, ct);

    private static CustomerView View(CustomerRecord row) => new(row.PlatformId, row.StripeCustomerId);
}

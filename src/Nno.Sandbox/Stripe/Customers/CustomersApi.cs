using System.Net.Mail;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Nno.Sandbox.Stripe.Common;
using Nno.Sandbox.Stripe.Events;

namespace Nno.Sandbox.Stripe.Customers;

/// <summary>
/// Customers (billing.md §5.1): <c>POST /v1/customers</c>, <c>GET</c>/<c>POST /v1/customers/{id}</c>; <c>email</c>,
/// <c>name</c>, <c>description</c>, <c>metadata</c>, <c>balance</c> (cents, positive = owed). Emits
/// <c>customer.created</c> and <c>customer.updated</c> (with <c>previous_attributes</c>).
/// </summary>
internal static class CustomersApi
{
    public const string Kind = "customer";

    public static void Map(RouteGroupBuilder v1)
    {
        var customers = v1.MapGroup("/customers").WithTags("Stripe customers");
        customers.MapPost("", Create).WithName("StripeCreateCustomer").WithSummary("Creates a customer.");
        customers.MapGet("/{id}", Get).WithName("StripeGetCustomer").WithSummary("Reads a customer.");
        customers.MapPost("/{id}", Update).WithName("StripeUpdateCustomer").WithSummary("Updates a customer's email, name, description, metadata or balance.");
    }

    private static async Task<IResult> Create(HttpContext http, StripeStore store, StripeClock clock, CancellationToken cancellationToken)
    {
        var request = StripeRequestContext.Get(http);
        var p = request.Params;
        p.OnlyAllow("email", "name", "description", "metadata", "balance", "expand");
        var email = Email(p);
        var metadata = p.GetHash("metadata");
        StripeObjects.CheckMetadata(metadata);
        var now = clock.UnixNow;
        var customer = new JsonObject
        {
            ["id"] = StripeStore.NewId("cus"),
            ["object"] = Kind,
            ["address"] = null,
            ["balance"] = p.GetInteger("balance") ?? 0,
            ["created"] = now,
            ["currency"] = null,
            ["default_source"] = null,
            ["delinquent"] = false,
            ["description"] = Text(p, "description", 350),
            ["discount"] = null,
            ["email"] = email,
            ["invoice_prefix"] = InvoicePrefix(),
            ["invoice_settings"] = new JsonObject
            {
                ["custom_fields"] = null,
                ["default_payment_method"] = null,
                ["footer"] = null,
                ["rendering_options"] = null,
            },
            ["livemode"] = false,
            ["metadata"] = StripeObjects.Metadata(metadata?.Where(kv => kv.Value.Length > 0).ToDictionary()),
            ["name"] = Text(p, "name", 256),
            ["next_invoice_sequence"] = 1,
            ["phone"] = null,
            ["preferred_locales"] = new JsonArray(),
            ["shipping"] = null,
            ["tax_exempt"] = "none",
            ["test_clock"] = null,
        };
        var answer = await store.WriteAsync(async (connection, transaction) =>
        {
            await StripeStore.InsertObjectAsync(connection, transaction, customer, new ObjectColumns(), cancellationToken);
            var expanded = customer.DeepClone().AsObject();
            await StripeExpand.ApplyAsync(expanded, p.GetList("expand"), connection, transaction, cancellationToken);
            await StripeEvents.EmitAsync(connection, transaction, now, "customer.created", customer, null, request, cancellationToken: cancellationToken);
            return expanded;
        }, cancellationToken);
        return StripeResults.Json(answer);
    }

    private static async Task<IResult> Get(string id, HttpContext http, StripeStore store, CancellationToken cancellationToken)
    {
        var p = StripeRequestContext.Get(http).Params;
        p.OnlyAllow("expand");
        var customer = await store.GetObjectAsync(id, Kind, cancellationToken) ?? throw StripeException.NoSuch(Kind, id);
        await StripeExpand.ApplyAsync(customer, p.GetList("expand"), store, cancellationToken);
        return StripeResults.Json(customer);
    }

    private static async Task<IResult> Update(string id, HttpContext http, StripeStore store, StripeClock clock, CancellationToken cancellationToken)
    {
        var request = StripeRequestContext.Get(http);
        var p = request.Params;
        p.OnlyAllow("email", "name", "description", "metadata", "balance", "expand");
        var email = p.Has("email") ? Email(p) : null;
        var metadata = p.GetHash("metadata");
        StripeObjects.CheckMetadata(metadata);
        var balance = p.GetInteger("balance");
        var name = Text(p, "name", 256);
        var description = Text(p, "description", 350);
        var now = clock.UnixNow;
        var customer = await store.WriteAsync(async (connection, transaction) =>
        {
            var current = await StripeStore.GetObjectAsync(connection, transaction, id, Kind, cancellationToken) ?? throw StripeException.NoSuch(Kind, id);
            var previous = new JsonObject();
            if (p.Has("email"))
            {
                StripeObjects.Change(current, previous, "email", email);
            }

            if (p.Has("name"))
            {
                StripeObjects.Change(current, previous, "name", name);
            }

            if (p.Has("description"))
            {
                StripeObjects.Change(current, previous, "description", description);
            }

            if (balance is { } b)
            {
                StripeObjects.Change(current, previous, "balance", b);
            }

            if (metadata is not null)
            {
                var merged = StripeObjects.MergeMetadata(current["metadata"]?.AsObject() ?? [], metadata);
                if (merged.Count > 50)
                {
                    throw StripeException.Invalid("metadata", "Invalid metadata: metadata can have at most 50 keys.");
                }

                StripeObjects.Change(current, previous, "metadata", merged);
            }

            await StripeStore.UpdateObjectAsync(connection, transaction, current, new ObjectColumns(), cancellationToken);
            var expanded = current.DeepClone().AsObject();
            await StripeExpand.ApplyAsync(expanded, p.GetList("expand"), connection, transaction, cancellationToken);
            if (previous.Count > 0)
            {
                await StripeEvents.EmitAsync(connection, transaction, now, "customer.updated", current, previous, request, cancellationToken: cancellationToken);
            }

            return expanded;
        }, cancellationToken);
        return StripeResults.Json(customer);
    }

    /// <summary>An optional text (empty = unset → null), at most <paramref name="max"/> characters.</summary>
    private static string? Text(StripeParams p, string name, int max)
    {
        var value = p.GetString(name);
        if (value is { Length: > 0 } && value.Length > max)
        {
            throw StripeException.Invalid(name, $"Invalid {name}: must be at most {max} characters");
        }

        return string.IsNullOrEmpty(value) ? null : value;
    }

    private static string? Email(StripeParams p)
    {
        var email = Text(p, "email", 512);
        if (email is not null && (!MailAddress.TryCreate(email, out var parsed) || parsed.Address != email))
        {
            throw StripeException.Invalid("email", $"Invalid email address: {email}", "email_invalid");
        }

        return email;
    }

    private static string InvoicePrefix() => StripeStore.NewId("x")[2..10].ToUpperInvariant();
}

using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Nno.Sandbox.Stripe.Common;
using Nno.Sandbox.Stripe.Customers;

namespace Nno.Sandbox.Stripe.Portal;

/// <summary>
/// <c>POST /v1/billing_portal/sessions</c> (billing.md §5.1): a session whose <c>url</c> points at the sandbox portal
/// page <c>/stripe/_sandbox/portal/{id}</c> on the address the request came to.
/// </summary>
internal static class PortalApi
{
    public const string Kind = "billing_portal.session";

    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapPost("/billing_portal/sessions", Create)
            .WithName("StripeCreatePortalSession").WithSummary("Creates a billing portal session.").WithTags("Stripe billing portal");
    }

    private static async Task<IResult> Create(HttpContext http, StripeStore store, StripeClock clock, CancellationToken cancellationToken)
    {
        var p = StripeRequestContext.Get(http).Params;
        p.OnlyAllow("customer", "return_url", "locale", "configuration", "expand");
        var customer = p.RequiredString("customer");
        var returnUrl = p.GetString("return_url") is { Length: > 0 } r ? r : null;
        if (returnUrl is not null && (!Uri.TryCreate(returnUrl, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("http" or "https")))
        {
            throw StripeException.Invalid("return_url", "Invalid URL: return_url must be an absolute http(s) URL.", StripeErrorCodes.UrlInvalid);
        }

        var id = StripeStore.NewId("bps");
        var session = new JsonObject
        {
            ["id"] = id,
            ["object"] = Kind,
            ["configuration"] = "bpc_sandbox_default",
            ["created"] = clock.UnixNow,
            ["customer"] = customer,
            ["flow"] = null,
            ["livemode"] = false,
            ["locale"] = p.GetString("locale") is { Length: > 0 } locale ? locale : null,
            ["on_behalf_of"] = null,
            ["return_url"] = returnUrl,
            ["url"] = $"{http.Request.Scheme}://{http.Request.Host}{StripeEmulator.BasePath}/_sandbox/portal/{id}",
        };
        var answer = await store.WriteAsync(async (connection, transaction) =>
        {
            if (await StripeStore.GetObjectAsync(connection, transaction, customer, CustomersApi.Kind, cancellationToken) is null)
            {
                throw StripeException.NoSuch(CustomersApi.Kind, customer, "customer");
            }

            await StripeStore.InsertObjectAsync(connection, transaction, session, new ObjectColumns(Customer: customer), cancellationToken);
            await StripeExpand.ApplyAsync(session, p.GetList("expand"), connection, transaction, cancellationToken);
            return session;
        }, cancellationToken);
        return StripeResults.Json(answer);
    }
}

using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Nno.Sandbox.Stripe.Common;
using Nno.Sandbox.Stripe.Customers;

namespace Nno.Sandbox.Stripe.Portal;

/// <summary>
/// The sandbox billing portal page a session's <c>url</c> points at (billing.md §5.1): plain HTML showing the customer
/// and two POST forms, "card that pays" and "card that declines", which set the customer's payment behaviour
/// (<see cref="StripePaymentBehaviors"/>) and redirect (303) to the session's <c>return_url</c>. No key needed, as a
/// real portal URL is a bearer link.
/// </summary>
internal static class PortalPage
{
    public const string PathPrefix = StripeEmulator.BasePath + "/_sandbox/portal";

    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(PathPrefix).WithTags("Sandbox Stripe portal").ExcludeFromDescription();
        group.MapGet("/{id}", Show).WithName("StripeSandboxPortalPage").WithSummary("The sandbox billing portal page of a session.");
        group.MapPost("/{id}/payment-behavior", SetBehavior)
            .WithName("StripeSandboxPortalSetBehavior").WithSummary("Sets the customer's test card (pays or declines) and returns to return_url.");
    }

    private static async Task<IResult> Show(string id, StripeStore store, StripePaymentBehaviors behaviors, CancellationToken cancellationToken)
    {
        if (await LoadAsync(store, id, cancellationToken) is not { } found)
        {
            return NotFound(id);
        }

        var (session, customer) = found;
        var customerId = (string)session["customer"]!;
        var behavior = await behaviors.GetAsync(customerId, cancellationToken);
        var html = HtmlEncoder.Default;
        var returnUrl = session["return_url"]?.GetValue<string>();
        var action = $"{PathPrefix}/{Uri.EscapeDataString(id)}/payment-behavior";
        var page = new StringBuilder()
            .Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sandbox billing portal</title></head><body>\n")
            .Append("<h1>Sandbox billing portal</h1>\n<dl>\n")
            .Append("<dt>Customer</dt><dd id=\"customer\">").Append(html.Encode(customerId)).Append("</dd>\n")
            .Append("<dt>Name</dt><dd id=\"name\">").Append(html.Encode(customer?["name"]?.GetValue<string>() ?? "")).Append("</dd>\n")
            .Append("<dt>Email</dt><dd id=\"email\">").Append(html.Encode(customer?["email"]?.GetValue<string>() ?? "")).Append("</dd>\n")
            .Append("<dt>Test card</dt><dd id=\"behavior\">").Append(behavior == StripePaymentBehaviors.Decline ? "declines" : "pays").Append("</dd>\n</dl>\n");
        foreach (var (value, label) in new[] { (StripePaymentBehaviors.Succeed, "Use a card that pays"), (StripePaymentBehaviors.Decline, "Use a card that declines") })
        {
            page.Append("<form method=\"post\" action=\"").Append(html.Encode(action)).Append("\">")
                .Append("<input type=\"hidden\" name=\"behavior\" value=\"").Append(value).Append("\">")
                .Append("<button type=\"submit\">").Append(label).Append("</button></form>\n");
        }

        if (returnUrl is not null)
        {
            page.Append("<p><a id=\"return\" href=\"").Append(html.Encode(returnUrl)).Append("\">Return without changes</a></p>\n");
        }

        page.Append("</body></html>\n");
        return TypedResults.Content(page.ToString(), "text/html; charset=utf-8");
    }

    private static async Task<IResult> SetBehavior(
        string id, HttpRequest request, StripeStore store, StripePaymentBehaviors behaviors, CancellationToken cancellationToken)
    {
        if (await LoadAsync(store, id, cancellationToken) is not { } found)
        {
            return NotFound(id);
        }

        var behavior = request.HasFormContentType ? (await request.ReadFormAsync(cancellationToken))["behavior"].ToString() : "";
        if (behavior is not (StripePaymentBehaviors.Succeed or StripePaymentBehaviors.Decline))
        {
            return TypedResults.Content("<!DOCTYPE html>\n<html lang=\"en\"><body><p>behavior must be succeed or decline.</p></body></html>\n",
                "text/html; charset=utf-8", statusCode: 400);
        }

        if (!await behaviors.SetAsync((string)found.Session["customer"]!, behavior, cancellationToken))
        {
            return NotFound(id);
        }

        // The session's return_url was checked (absolute http(s)) when it was created; without one, back to the page.
        var target = found.Session["return_url"]?.GetValue<string>() ?? $"{PathPrefix}/{Uri.EscapeDataString(id)}";
        return new SeeOther(target);
    }

    private static async Task<(JsonObject Session, JsonObject? Customer)?> LoadAsync(StripeStore store, string id, CancellationToken cancellationToken)
    {
        if (await store.GetObjectAsync(id, PortalApi.Kind, cancellationToken) is not { } session)
        {
            return null;
        }

        var customer = await store.GetObjectAsync((string)session["customer"]!, CustomersApi.Kind, cancellationToken);
        return (session, customer);
    }

    private static Microsoft.AspNetCore.Http.HttpResults.ContentHttpResult NotFound(string id) =>
        TypedResults.Content(
            $"<!DOCTYPE html>\n<html lang=\"en\"><body><p>No such billing portal session: {HtmlEncoder.Default.Encode(id)}</p></body></html>\n",
            "text/html; charset=utf-8", statusCode: 404);

    /// <summary>303 See Other: the browser follows a form POST with a GET of the return URL.</summary>
    private sealed class SeeOther(string location) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = StatusCodes.Status303SeeOther;
            httpContext.Response.Headers.Location = location;
            return Task.CompletedTask;
        }
    }
}

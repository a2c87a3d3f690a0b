using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Nno.Sandbox.Stripe.Admin;

namespace Nno.Sandbox.Stripe.Webhooks;

/// <summary>The endpoints in force.</summary>
public sealed record StripeWebhookEndpointList(IReadOnlyList<StripeWebhookEndpoint> Endpoints);

/// <summary>The deliveries a resend queued.</summary>
public sealed record StripeWebhookResend(string EventId, IReadOnlyList<StripeWebhookDelivery> Deliveries);

/// <summary>
/// Admin routes of webhook delivery under <c>/stripe/_admin</c> (billing.md §5.1): <c>GET/PUT /webhook-endpoints</c>,
/// <c>GET /deliveries</c>, <c>POST /events/{id}/resend</c>. Plain JSON, admin header checked by the group.
/// </summary>
internal static class StripeWebhooksAdminApi
{
    private const int DefaultLimit = 20;
    private const int MaxLimit = 100;

    public static void Map(RouteGroupBuilder admin)
    {
        admin.MapGet("/webhook-endpoints", GetEndpoints)
            .WithName("StripeAdminGetWebhookEndpoints").WithSummary("The webhook endpoints in force (secrets not shown).");
        admin.MapPut("/webhook-endpoints", PutEndpoints)
            .WithName("StripeAdminPutWebhookEndpoints")
            .WithSummary("Replaces the webhook endpoints: [{url, secret?, enabledEvents?}] (kept across restarts until a reset).");
        admin.MapGet("/deliveries", List)
            .WithName("StripeAdminListDeliveries").WithSummary("Webhook deliveries oldest first (event, status, after, limit).");
        admin.MapPost("/events/{id}/resend", Resend)
            .WithName("StripeAdminResendEvent").WithSummary("Queues a new delivery of an event to every endpoint in force that takes its type.");
    }

    private static JsonHttpResult<StripeAdminError> Bad(string message) => TypedResults.Json(new StripeAdminError(message), StripeAdminApi.Json, statusCode: 400);

    private static async Task<JsonHttpResult<StripeWebhookEndpointList>> GetEndpoints(StripeWebhooks webhooks, CancellationToken cancellationToken) =>
        TypedResults.Json(new StripeWebhookEndpointList(await webhooks.GetEndpointsAsync(cancellationToken)), StripeAdminApi.Json);

    private static async Task<Results<JsonHttpResult<StripeWebhookEndpointList>, JsonHttpResult<StripeAdminError>>> PutEndpoints(
        HttpRequest request, StripeWebhooks webhooks, CancellationToken cancellationToken)
    {
        StripeWebhookEndpointSpec?[]? specs;
        try
        {
            specs = await JsonSerializer.DeserializeAsync<StripeWebhookEndpointSpec?[]>(request.Body, StripeAdminApi.Json, cancellationToken);
        }
        catch (JsonException e)
        {
            return Bad($"Malformed webhook endpoints: {e.Message}");
        }

        if (specs is null)
        {
            return Bad("The body must be a JSON array of {url, secret?, enabledEvents?}.");
        }

        if (StripeWebhookEndpoints.Normalize(specs, out var normalized) is { } problem)
        {
            return Bad(problem);
        }

        return TypedResults.Json(new StripeWebhookEndpointList(await webhooks.SetEndpointsAsync(normalized, cancellationToken)), StripeAdminApi.Json);
    }

    private static async Task<Results<JsonHttpResult<StripeWebhookDeliveryPage>, JsonHttpResult<StripeAdminError>>> List(
        string? @event, string? status, long? after, int? limit, StripeWebhooks webhooks, CancellationToken cancellationToken)
    {
        if (status is not (null or StripeWebhooks.Pending or StripeWebhooks.Delivered or StripeWebhooks.Failed))
        {
            return Bad("status must be pending, delivered or failed.");
        }

        if (limit is < 1 or > MaxLimit || after is < 0)
        {
            return Bad($"limit must be from 1 to {MaxLimit} and after >= 0.");
        }

        var page = await webhooks.ListAsync(string.IsNullOrEmpty(@event) ? null : @event, status, after ?? 0, limit ?? DefaultLimit, cancellationToken);
        return TypedResults.Json(page, StripeAdminApi.Json);
    }

    private static async Task<Results<JsonHttpResult<StripeWebhookResend>, JsonHttpResult<StripeAdminError>>> Resend(
        string id, StripeWebhooks webhooks, CancellationToken cancellationToken) =>
        await webhooks.ResendAsync(id, cancellationToken) is { } deliveries
            ? TypedResults.Json(new StripeWebhookResend(id, deliveries), StripeAdminApi.Json)
            : TypedResults.Json(new StripeAdminError($"No such event: '{id}'"), StripeAdminApi.Json, statusCode: 404);
}

using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Nno.Sandbox.Stripe.Common;
using Nno.Sandbox.Stripe.Customers;
using Nno.Sandbox.Stripe.Pipeline;
using Nno.Sandbox.Stripe.Webhooks;

namespace Nno.Sandbox.Stripe.Admin;

/// <summary>An admin error (plain JSON, no envelope).</summary>
public sealed record StripeAdminError(string Error);

/// <summary>The sandbox clock: its time (ISO and Unix seconds) and its offset from the host clock.</summary>
public sealed record StripeClockState(DateTimeOffset Now, long Unix, long OffsetSeconds);

/// <summary>The body of <c>POST /advance</c>.</summary>
public sealed record StripeAdvanceRequest(long Seconds);

/// <summary>A customer's payment behaviour.</summary>
public sealed record StripePaymentBehavior(string Customer, string Behavior);

/// <summary>
/// The Stripe emulator's admin API under <c>/stripe/_admin</c> (billing.md §5.1): header
/// <c>X-Sandbox-Admin: {Sandbox:AdminToken}</c>, JSON without envelope.
/// </summary>
internal static class StripeAdminApi
{
    public const string HeaderName = "X-Sandbox-Admin";

    /// <summary>camelCase like the spec's knob names; unknown fields rejected.</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The longest single advance (10 years).</summary>
    private const long MaxAdvanceSeconds = 10L * 366 * 86_400;

    /// <summary>Maps the admin routes; returns the group (with its admin-token filter) so other parts add theirs.</summary>
    public static RouteGroupBuilder Map(IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup(StripeEmulator.BasePath + "/_admin").WithTags("Sandbox Stripe admin").AddEndpointFilter(async (context, next) =>
        {
            var expected = context.HttpContext.RequestServices.GetRequiredService<IOptions<SandboxOptions>>().Value.AdminToken;
            var given = context.HttpContext.Request.Headers[HeaderName].ToString();
            if (string.IsNullOrEmpty(given) || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(expected)))
            {
                return TypedResults.Json(new StripeAdminError($"The {HeaderName} header is missing or wrong."), Json, statusCode: 401);
            }

            return await next(context);
        });

        admin.MapGet("/faults", (StripeFaults faults) => TypedResults.Json(faults.Current, Json))
            .WithName("StripeAdminGetFaults").WithSummary("The knobs in force.");
        admin.MapPut("/faults", PutFaults)
            .WithName("StripeAdminPutFaults").WithSummary("Replaces the knobs (missing ones take their defaults).");
        admin.MapPost("/reset", Reset)
            .WithName("StripeAdminReset").WithSummary("Deletes every object, event, delivery and idempotency record, the knobs, the request log and the clock offset; webhook endpoints back to configuration.");
        admin.MapGet("/clock", (StripeClock clock) => TypedResults.Json(ClockState(clock), Json))
            .WithName("StripeAdminGetClock").WithSummary("The sandbox time and its offset from the host clock.");
        admin.MapPost("/advance", Advance)
            .WithName("StripeAdminAdvance").WithSummary("Moves the sandbox clock forward, running due transitions in time order.");
        admin.MapGet("/requests", Requests)
            .WithName("StripeAdminRequests").WithSummary("Requests answered since a time (ISO 8601) or after a sequence number.");
        admin.MapPut("/customers/{id}/payment-behavior", PutPaymentBehavior)
            .WithName("StripeAdminPutPaymentBehavior").WithSummary("Makes a customer's default test card pay (succeed) or decline.");
        return admin;
    }

    private static async Task<T?> ReadAsync<T>(HttpRequest request)
    {
        return await JsonSerializer.DeserializeAsync<T>(request.Body, Json, request.HttpContext.RequestAborted);
    }

    private static JsonHttpResult<StripeAdminError> Bad(string message) => TypedResults.Json(new StripeAdminError(message), Json, statusCode: 400);

    private static StripeClockState ClockState(StripeClock clock) => new(clock.Now, clock.UnixNow, clock.OffsetSeconds);

    private static async Task<Results<JsonHttpResult<StripeFaultSettings>, JsonHttpResult<StripeAdminError>>> PutFaults(HttpRequest request, StripeFaults faults)
    {
        StripeFaultSettings? settings;
        try
        {
            settings = await ReadAsync<StripeFaultSettings>(request);
        }
        catch (JsonException e)
        {
            return Bad($"Malformed faults: {e.Message}");
        }

        if (settings is null)
        {
            return Bad("The body must be a JSON object.");
        }

        if (StripeFaults.Validate(settings) is { } problem)
        {
            return Bad(problem);
        }

        faults.Replace(settings);
        return TypedResults.Json(faults.Current, Json);
    }

    private static async Task<NoContent> Reset(
        StripeStore store, StripeClock clock, StripeFaults faults, StripeIdempotency idempotency, StripeRequestLog log, StripeWebhooks webhooks,
        CancellationToken cancellationToken)
    {
        await store.ResetAsync(cancellationToken);
        await clock.LoadAsync(cancellationToken);
        await webhooks.InitializeAsync(cancellationToken);
        faults.Reset();
        idempotency.Clear();
        log.Clear();
        return TypedResults.NoContent();
    }

    private static async Task<Results<JsonHttpResult<StripeClockState>, JsonHttpResult<StripeAdminError>>> Advance(
        HttpRequest request, StripeClock clock, CancellationToken cancellationToken)
    {
        StripeAdvanceRequest? body;
        try
        {
            body = await ReadAsync<StripeAdvanceRequest>(request);
        }
        catch (JsonException e)
        {
            return Bad($"Malformed advance: {e.Message}");
        }

        if (body is null || body.Seconds is < 0 or > MaxAdvanceSeconds)
        {
            return Bad($"advance needs {{\"seconds\": n}} with 0 <= n <= {MaxAdvanceSeconds}.");
        }

        await clock.AdvanceAsync(body.Seconds, cancellationToken);
        return TypedResults.Json(ClockState(clock), Json);
    }

    private static Results<JsonHttpResult<IReadOnlyList<StripeRequestEntry>>, JsonHttpResult<StripeAdminError>> Requests(string? since, StripeRequestLog log)
    {
        if (string.IsNullOrEmpty(since))
        {
            return TypedResults.Json(log.Read(0, null), Json);
        }

        if (long.TryParse(since, NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
        {
            return TypedResults.Json(log.Read(seq, null), Json);
        }

        return DateTimeOffset.TryParse(since, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? TypedResults.Json(log.Read(0, at), Json)
            : Bad("since must be an ISO 8601 time or a sequence number.");
    }

    /// <summary>The body is <c>"succeed"</c>/<c>"decline"</c> or <c>{"behavior": …}</c>.</summary>
    private static async Task<Results<JsonHttpResult<StripePaymentBehavior>, JsonHttpResult<StripeAdminError>>> PutPaymentBehavior(
        string id, HttpRequest request, StripePaymentBehaviors behaviors, CancellationToken cancellationToken)
    {
        string? behavior;
        try
        {
            using var document = await JsonDocument.ParseAsync(request.Body, cancellationToken: cancellationToken);
            var root = document.RootElement;
            behavior = root.ValueKind switch
            {
                JsonValueKind.String => root.GetString(),
                JsonValueKind.Object when root.EnumerateObject().Count() == 1 && root.TryGetProperty("behavior", out var b) && b.ValueKind == JsonValueKind.String
                    => b.GetString(),
                _ => null,
            };
        }
        catch (JsonException e)
        {
            return Bad($"Malformed payment behavior: {e.Message}");
        }

        if (behavior is not (StripePaymentBehaviors.Succeed or StripePaymentBehaviors.Decline))
        {
            return Bad("The body must be \"succeed\" or \"decline\" (or {\"behavior\": …}).");
        }

        return await behaviors.SetAsync(id, behavior, cancellationToken)
            ? TypedResults.Json(new StripePaymentBehavior(id, behavior), Json)
            : TypedResults.Json(new StripeAdminError($"No such customer: '{id}'"), Json, statusCode: 404);
    }
}

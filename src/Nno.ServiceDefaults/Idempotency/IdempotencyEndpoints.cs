using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Nno.ServiceDefaults.Idempotency;

/// <summary>Marks a POST endpoint that accepts <c>Idempotency-Key</c> (00-system §7).</summary>
/// <param name="SecretBearing">
/// True when a successful response carries a secret (a new API key, a session or access token): it is never stored, and
/// a repeat answers 409 <c>CONFLICT</c> with the created object's id in <c>details.id</c>.
/// </param>
public sealed record IdempotentEndpointMetadata(bool SecretBearing);

/// <summary>Endpoint conventions and per-request hints for the idempotency middleware.</summary>
public static class IdempotencyEndpointExtensions
{
    private static readonly object ResourceIdKey = new();
    private static readonly object RetryableKey = new();

    /// <summary>The endpoint creates something or starts work: it accepts <c>Idempotency-Key</c> from authenticated principals.</summary>
    /// <param name="builder">The endpoint or group.</param>
    /// <param name="secretBearing">See <see cref="IdempotentEndpointMetadata.SecretBearing"/>.</param>
    public static TBuilder WithIdempotency<TBuilder>(this TBuilder builder, bool secretBearing = false)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new IdempotentEndpointMetadata(secretBearing));

    /// <summary>
    /// Declares the id of the object a secret-bearing response created (otherwise the response JSON's top-level
    /// <c>id</c> is used).
    /// </summary>
    public static void SetIdempotencyResourceId(this HttpContext context, string id)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Items[ResourceIdKey] = id;
    }

    /// <summary>
    /// This response asks the client to try again (for example a 409 "operation in progress"), so it must not be stored
    /// for its <c>Idempotency-Key</c>. 5xx, 429 and 409 responses carrying <c>Retry-After</c> are never stored anyway.
    /// </summary>
    public static void MarkResponseRetryable(this HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Items[RetryableKey] = true;
    }

    internal static string? GetIdempotencyResourceId(this HttpContext context) =>
        context.Items.TryGetValue(ResourceIdKey, out var value) ? value as string : null;

    internal static bool IsResponseMarkedRetryable(this HttpContext context) =>
        context.Items.TryGetValue(RetryableKey, out var value) && value is true;
}

using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace Nno.Sandbox.Stripe.Common;

/// <summary>What the pipeline learned about one request before its handler runs.</summary>
/// <param name="RequestId">The <c>Request-Id</c> answered (<c>req_…</c>); events the request causes carry it.</param>
/// <param name="ApiVersion">The request's <c>Stripe-Version</c>, or the default <c>endive</c> version.</param>
/// <param name="IdempotencyKey">The request's <c>Idempotency-Key</c>, when sent.</param>
/// <param name="Params">The parsed form parameters (body of a POST, query of a GET or DELETE).</param>
public sealed record StripeRequestContext(string RequestId, string ApiVersion, string? IdempotencyKey, StripeParams Params)
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>A new request id, <c>req_</c> and 14 letters or digits.</summary>
    public static string NewRequestId() => "req_" + RandomNumberGenerator.GetString(Alphabet, 14);

    /// <summary>The context the pipeline stored for <paramref name="http"/>.</summary>
    public static StripeRequestContext Get(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        return http.Items[typeof(StripeRequestContext)] as StripeRequestContext
            ?? throw new InvalidOperationException("The Stripe pipeline did not run for this request.");
    }

    internal void Attach(HttpContext http) => http.Items[typeof(StripeRequestContext)] = this;
}

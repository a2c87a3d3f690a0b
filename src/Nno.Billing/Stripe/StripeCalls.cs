using System.Net;
using Nno.Core.Errors;
using Stripe;

namespace Nno.Billing.Stripe;

/// <summary>
/// The one place where a failed Stripe call becomes the answer of billing.md §3: Stripe's 429 → 503 with
/// <c>Retry-After: 5</c>; any other Stripe error (5xx or network after Stripe.net's retries, other 4xx) → 502
/// <c>BAD_GATEWAY</c> with <c>details {stripeRequestId, stripeCode}</c>. Callers that give one Stripe error its own
/// meaning (a declined upgrade) catch it before calling here.
/// </summary>
internal static class StripeCalls
{
    /// <summary>Seconds a 503 after Stripe's 429 asks the caller to wait.</summary>
    public const int RateLimitedRetryAfterSeconds = 5;

    /// <summary>Runs <paramref name="call"/>, translating its failure into an <see cref="ApiException"/>.</summary>
    public static async Task<T> RunAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        try
        {
            return await call();
        }
        catch (StripeException e)
        {
            throw Translate(e);
        }
        catch (HttpRequestException e)
        {
            throw Unreachable(e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            // The HTTP client's own timeout, not the caller giving up.
            throw Unreachable(e);
        }
    }

    /// <summary>The answer of §3's table for a Stripe error.</summary>
    public static ApiException Translate(StripeException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var requestId = error.StripeResponse?.RequestId;
        var code = error.StripeError?.Code;
        if (error.HttpStatusCode == HttpStatusCode.TooManyRequests)
        {
            return ApiException.Unavailable("Stripe is rate-limiting NNO; try again shortly.", RateLimitedRetryAfterSeconds,
                new StripeFailure(requestId, code));
        }

        return new ApiException(ErrorCodes.BadGateway, "Stripe refused or failed the call.", new StripeFailure(requestId, code));
    }

    /// <summary>True when <paramref name="error"/> says Stripe cannot be reached or failed on its side (not a refusal).</summary>
    public static bool IsUnavailable(Exception error) =>
        error is HttpRequestException or OperationCanceledException
        || (error is StripeException s && (s.HttpStatusCode is 0 || (int)s.HttpStatusCode >= 500 || s.HttpStatusCode == HttpStatusCode.TooManyRequests));

    private static ApiException Unreachable(Exception error) =>
        new(ErrorCodes.BadGateway, "Stripe could not be reached.", new StripeFailure(null, error is OperationCanceledException ? "timeout" : "network_error"));

    /// <summary><c>details</c> of a 502/503 caused by Stripe.</summary>
    public sealed record StripeFailure(string? StripeRequestId, string? StripeCode);
}

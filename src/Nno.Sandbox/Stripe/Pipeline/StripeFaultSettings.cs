using Nno.Sandbox.Faults;

namespace Nno.Sandbox.Stripe.Pipeline;

/// <summary>
/// The admin knobs of the Stripe emulator (billing.md §5.1), as <c>GET/PUT /stripe/_admin/faults</c> reads and writes
/// them. A PUT replaces the whole set: a knob left out goes back to its default. Applied from the next request.
/// </summary>
public sealed record StripeFaultSettings
{
    /// <summary>Share of requests (0–1) answered <see cref="ErrorStatus"/> <c>api_error</c> before the handler runs.</summary>
    public double ErrorRate { get; init; }

    /// <summary>500 or 503.</summary>
    public int ErrorStatus { get; init; } = 500;

    /// <summary>Share of requests (0–1) answered 429 <c>rate_limit</c> with <c>Retry-After: </c><see cref="RetryAfterSeconds"/>.</summary>
    public double RateLimitRate { get; init; }

    public int RetryAfterSeconds { get; init; } = 1;

    /// <summary>Added latency, uniformly between min and max milliseconds (on the host's clock).</summary>
    public StripeLatencyRange? LatencyMs { get; init; }

    /// <summary>When set, the random knobs (latency, 429, error, drop) apply only to paths this regex matches.</summary>
    public string? PathRegex { get; init; }

    /// <summary>Share of requests (0–1) that run (and store their idempotent result), then lose their connection.</summary>
    public double DropResponseRate { get; init; }

    /// <summary>Scripted failures for the next matching requests, first match wins, each used <c>count</c> times.</summary>
    public IReadOnlyList<StripeFailNextRule> FailNext { get; init; } = [];

    /// <summary>Webhook delivery faults (applied by <c>Webhooks/StripeWebhookDispatcher</c>).</summary>
    public StripeWebhookFaults Webhook { get; init; } = new();

    /// <summary>Every charge declines, whatever the customer's payment behaviour (read by the billing engine).</summary>
    public bool DeclineAll { get; init; }

    /// <summary>Simulated seconds between a renewal invoice's creation and its finalization (billing engine).</summary>
    public int InvoiceFinalizeDelaySeconds { get; init; } = 3600;

    /// <summary>Payment retries of a past-due subscription (billing engine).</summary>
    public StripeDunning Dunning { get; init; } = new();

    /// <summary>Seeds the random source of every random knob, so a run is repeatable.</summary>
    public int? Seed { get; init; }
}

/// <summary>Milliseconds of added latency.</summary>
public sealed record StripeLatencyRange(int Min, int Max);

/// <summary>
/// A scripted failure: the next <see cref="Count"/> requests whose method (any when null) and path (regex, any when
/// null) match are answered <see cref="Status"/> with Stripe's error object.
/// </summary>
public sealed record StripeFailNextRule : IFailNextRule
{
    public string? Method { get; init; }

    public string? PathRegex { get; init; }

    public int Status { get; init; } = 500;

    /// <summary>The error type; by default <c>api_error</c> for 5xx, <c>card_error</c> for 402, else <c>invalid_request_error</c>.</summary>
    public string? Type { get; init; }

    public string? Code { get; init; }

    public string? Message { get; init; }

    public int Count { get; init; } = 1;
}

/// <summary>Webhook delivery faults.</summary>
public sealed record StripeWebhookFaults
{
    /// <summary>Share of attempts (0–1) dropped before reaching the endpoint (counted as a failed attempt, so retried).</summary>
    public double DropRate { get; init; }

    /// <summary>Share of attempts (0–1) POSTed twice (the second copy re-signed, right after the first).</summary>
    public double DuplicateRate { get; init; }

    /// <summary>Extra delay before each attempt, in milliseconds (on the host's <c>TimeProvider</c>).</summary>
    public int DelayMs { get; init; }

    /// <summary>
    /// Out-of-order delivery: a new event's first attempt waits until 1 s (wall clock) after it was emitted, then the
    /// waiting ones go newest first, one at a time per endpoint.
    /// </summary>
    public bool Reorder { get; init; }
}

/// <summary>Dunning: retry delays in days after a failed payment, then the final action.</summary>
public sealed record StripeDunning
{
    public IReadOnlyList<int> RetryDays { get; init; } = [3, 5, 7];

    /// <summary><c>unpaid</c> or <c>cancel</c>.</summary>
    public string FinalAction { get; init; } = "unpaid";
}

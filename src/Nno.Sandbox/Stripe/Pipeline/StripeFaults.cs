using System.Text.RegularExpressions;
using Nno.Sandbox.Faults;

namespace Nno.Sandbox.Stripe.Pipeline;

/// <summary>The fault knobs in force and the random source they draw from. Changes apply from the next request. Thread-safe.</summary>
public sealed class StripeFaults
{
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(200);
    private readonly Lock _gate = new();
    private StripeFaultSettings _settings = new();
    private Regex? _scope;
    private FailNextScript<StripeFailNextRule> _failNext = new([], RegexTimeout);
    private Random _random = new();

    /// <summary>The knobs in force, with <c>failNext</c> counts as remaining.</summary>
    public StripeFaultSettings Current
    {
        get
        {
            lock (_gate)
            {
                return _settings with
                {
                    FailNext = _failNext.Remaining((rule, count) => rule with { Count = count }),
                };
            }
        }
    }

    /// <summary>Checks <paramref name="settings"/>; returns the problem, or null when they are valid.</summary>
    public static string? Validate(StripeFaultSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        static bool Rate(double r) => r is >= 0 and <= 1 && !double.IsNaN(r);
        var webhook = settings.Webhook;
        if (!Rate(settings.ErrorRate) || !Rate(settings.RateLimitRate) || !Rate(settings.DropResponseRate)
            || webhook is null || !Rate(webhook.DropRate) || !Rate(webhook.DuplicateRate))
        {
            return "errorRate, rateLimitRate, dropResponseRate, webhook.dropRate and webhook.duplicateRate must be between 0 and 1.";
        }

        if (settings.ErrorStatus is not (500 or 503))
        {
            return "errorStatus must be 500 or 503.";
        }

        if (settings.RetryAfterSeconds is < 0 or > 86_400)
        {
            return "retryAfterSeconds must be from 0 to 86400.";
        }

        if (settings.LatencyMs is { } latency && (latency.Min < 0 || latency.Max < latency.Min || latency.Max > 120_000))
        {
            return "latencyMs needs 0 <= min <= max <= 120000.";
        }

        if (webhook.DelayMs is < 0 or > 600_000)
        {
            return "webhook.delayMs must be from 0 to 600000.";
        }

        if (settings.InvoiceFinalizeDelaySeconds is < 0 or > 30 * 86_400)
        {
            return "invoiceFinalizeDelaySeconds must be from 0 to 2592000.";
        }

        if (settings.Dunning is not { } dunning || dunning.RetryDays is null || dunning.RetryDays.Any(d => d is < 1 or > 60)
            || dunning.FinalAction is not ("unpaid" or "cancel"))
        {
            return "dunning needs retryDays from 1 to 60 and finalAction unpaid or cancel.";
        }

        return FailNextScript<StripeFailNextRule>.Validate(settings.FailNext, settings.PathRegex, RegexTimeout);
    }

    /// <summary>Puts <paramref name="settings"/> in force (validate first).</summary>
    public void Replace(StripeFaultSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        lock (_gate)
        {
            _settings = settings;
            _scope = settings.PathRegex is null ? null : new Regex(settings.PathRegex, RegexOptions.None, RegexTimeout);
            _failNext = new FailNextScript<StripeFailNextRule>(settings.FailNext, RegexTimeout);
#pragma warning disable CA5394 // fault injection, not security: a seed makes a test run repeatable
            _random = settings.Seed is { } seed ? new Random(seed) : new Random();
#pragma warning restore CA5394
        }
    }

    /// <summary>Back to the defaults (admin reset).</summary>
    public void Reset() => Replace(new StripeFaultSettings());

    /// <summary>The scripted failure for this request, consuming one use of it; null when none matches.</summary>
    public StripeFailNextRule? TakeFailNext(string method, string path)
    {
        lock (_gate)
        {
            return _failNext.Take(method, path);
        }
    }

    /// <summary>Draws the <c>webhook</c> knobs' decisions for one delivery attempt (from the same seeded random source).</summary>
    public StripeWebhookFaultDraw DrawWebhook()
    {
        lock (_gate)
        {
            var w = _settings.Webhook;
#pragma warning disable CA5394 // fault injection, not security
            var drop = w.DropRate > 0 && _random.NextDouble() < w.DropRate;
            var duplicate = !drop && w.DuplicateRate > 0 && _random.NextDouble() < w.DuplicateRate;
#pragma warning restore CA5394
            return new StripeWebhookFaultDraw(drop, duplicate, TimeSpan.FromMilliseconds(w.DelayMs), w.Reorder);
        }
    }

    /// <summary>Draws the random decisions of one request (none outside the <c>pathRegex</c> scope).</summary>
    public StripeFaultDraw Draw(string path)
    {
        lock (_gate)
        {
            var s = _settings;
            if (_scope is not null && !_scope.IsMatch(path))
            {
                return new StripeFaultDraw(TimeSpan.Zero, false, s.RetryAfterSeconds, null, false);
            }

#pragma warning disable CA5394 // fault injection, not security
            var latency = s.LatencyMs is { } range ? TimeSpan.FromMilliseconds(_random.Next(range.Min, range.Max + 1)) : TimeSpan.Zero;
            var rateLimited = s.RateLimitRate > 0 && _random.NextDouble() < s.RateLimitRate;
            var error = s.ErrorRate > 0 && _random.NextDouble() < s.ErrorRate;
            var drop = s.DropResponseRate > 0 && _random.NextDouble() < s.DropResponseRate;
#pragma warning restore CA5394
            return new StripeFaultDraw(latency, rateLimited, s.RetryAfterSeconds, error ? s.ErrorStatus : null, drop);
        }
    }
}

/// <summary>The webhook fault decisions of one delivery attempt.</summary>
public sealed record StripeWebhookFaultDraw(bool Drop, bool Duplicate, TimeSpan Delay, bool Reorder);

/// <summary>The random fault decisions of one request.</summary>
public sealed record StripeFaultDraw(TimeSpan Latency, bool RateLimited, int RetryAfterSeconds, int? ErrorStatus, bool Drop);

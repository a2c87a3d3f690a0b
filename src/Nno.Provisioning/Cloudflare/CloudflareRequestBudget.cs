using System.Net;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Nno.Provisioning.Cloudflare;

/// <summary>
/// The share of the Cloudflare token's rate limit this service may use (provisioning.md §4.5): every REST call draws
/// one permit; a real 429 pauses every call on the token. In-process here; a Redis implementation behind the same
/// interface serves the distributed mode.
/// </summary>
public interface ICloudflareRequestBudget
{
    /// <summary>
    /// Takes one permit, waiting at most <c>Cloudflare:BudgetWaitSeconds</c>; otherwise throws
    /// <see cref="CloudflareBudgetExhaustedException"/> (the job engine defers the job).
    /// </summary>
    ValueTask AcquireAsync(CancellationToken cancellationToken = default);

    /// <summary>Records a real 429: every call waits until <paramref name="retryAfter"/> (default 300 s) has passed.</summary>
    void ReportRateLimited(TimeSpan? retryAfter);

    /// <summary>The part of the window's permits still free, 0–1 (0 while paused by a 429). The SSL poller runs only above 0.2.</summary>
    double RemainingFraction { get; }

    /// <summary>Why the store cannot serve permits reliably (readiness); null when it can.</summary>
    string? UnavailableReason { get; }
}

/// <summary>No permit could be had in time: defer the work until <see cref="RetryAfter"/> (not an attempt, provisioning.md §4.4).</summary>
public sealed class CloudflareBudgetExhaustedException(TimeSpan retryAfter, bool rateLimited)
    : Exception(rateLimited
        ? $"Cloudflare rate-limited this token; calls resume in {retryAfter.TotalSeconds:0.#} s."
        : $"The Cloudflare request budget is used up; a permit frees in {retryAfter.TotalSeconds:0.#} s.")
{
    /// <summary>When a permit can be expected.</summary>
    public TimeSpan RetryAfter { get; } = retryAfter;

    /// <summary>True when the cause is a real 429 pause rather than the local budget.</summary>
    public bool RateLimited { get; } = rateLimited;
}

/// <summary>
/// In-process sliding window: the times of the permits granted in the last window, a 429 pause, both on
/// <see cref="TimeProvider"/> so tests drive them with a fake clock.
/// </summary>
public sealed class SlidingWindowRequestBudget(CloudflareOptions options, TimeProvider time) : ICloudflareRequestBudget
{
    private readonly Lock _gate = new();
    private readonly Queue<DateTimeOffset> _granted = new();
    private DateTimeOffset _pausedUntil = DateTimeOffset.MinValue;

    /// <inheritdoc />
    public string? UnavailableReason => null;

    /// <inheritdoc />
    public double RemainingFraction
    {
        get
        {
            lock (_gate)
            {
                var now = time.GetUtcNow();
                if (now < _pausedUntil)
                {
                    return 0;
                }

                Prune(now);
                return Math.Max(0, options.RequestBudget - _granted.Count) / (double)options.RequestBudget;
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask AcquireAsync(CancellationToken cancellationToken = default)
    {
        var deadline = time.GetUtcNow() + options.BudgetWait;
        while (true)
        {
            DateTimeOffset freeAt;
            bool paused;
            lock (_gate)
            {
                var now = time.GetUtcNow();
                Prune(now);
                paused = now < _pausedUntil;
                if (!paused && _granted.Count < options.RequestBudget)
                {
                    _granted.Enqueue(now);
                    return;
                }

                freeAt = paused ? _pausedUntil : _granted.Peek() + options.RequestBudgetWindow;
                if (freeAt > deadline)
                {
                    // Waiting would outlast the allowed wait: fail now instead of holding a worker for 2 s.
                    throw new CloudflareBudgetExhaustedException(freeAt - now, paused);
                }
            }

            var wait = freeAt - time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    public void ReportRateLimited(TimeSpan? retryAfter)
    {
        lock (_gate)
        {
            var until = time.GetUtcNow() + (retryAfter is { } r && r > TimeSpan.Zero ? r : options.DefaultRetryAfter);
            if (until > _pausedUntil)
            {
                _pausedUntil = until;
            }
        }
    }

    private void Prune(DateTimeOffset now)
    {
        var horizon = now - options.RequestBudgetWindow;
        while (_granted.Count > 0 && _granted.Peek() <= horizon)
        {
            _granted.Dequeue();
        }
    }
}

/// <summary>
/// Draws one budget permit per REST request (retries included) and turns a real 429 into a pause of the whole token.
/// Sits inside the GET retry, so every attempt counts.
/// </summary>
public sealed class CloudflareBudgetHandler(ICloudflareRequestBudget budget, TimeProvider time) : DelegatingHandler
{
    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        await budget.AcquireAsync(cancellationToken).ConfigureAwait(false);
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            var retryAfter = response.Headers.RetryAfter;
            budget.ReportRateLimited(retryAfter?.Delta ?? (retryAfter?.Date is { } date ? date - time.GetUtcNow() : null));
        }

        return response;
    }
}

/// <summary>Readiness check <c>cloudflareBudget</c> ("Cloudflare budget store", provisioning.md §3); reports the remaining share.</summary>
public sealed class CloudflareBudgetHealthCheck(ICloudflareRequestBudget budget) : IHealthCheck
{
    /// <summary>Name in <c>/health/ready</c>.</summary>
    public const string Name = "cloudflareBudget";

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(budget.UnavailableReason is { } reason
            ? HealthCheckResult.Unhealthy(reason)
            : HealthCheckResult.Healthy(data: new Dictionary<string, object> { ["remaining"] = budget.RemainingFraction }));
}

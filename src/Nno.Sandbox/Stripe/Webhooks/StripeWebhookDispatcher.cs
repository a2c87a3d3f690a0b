using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Nno.Sandbox.Stripe.Common;
using Nno.Sandbox.Stripe.Pipeline;

namespace Nno.Sandbox.Stripe.Webhooks;

/// <summary>
/// Sends webhook deliveries (billing.md §5.1) in the Sandbox application's background: each attempt POSTs the event JSON
/// signed <c>Stripe-Signature: t=…,v1=…</c> (wall clock, re-signed per attempt); a 2xx within 10 s delivers, anything
/// else is retried on <see cref="StripeWebhookSchedule"/>. At most 4 attempts per endpoint run at once. The loop wakes
/// on every committed Stripe write (a new event has its delivery rows by then) and otherwise sleeps with a one-shot
/// delay on the <see cref="TimeProvider"/> until the next due attempt, so a FakeTimeProvider drives retries in tests.
/// </summary>
public sealed class StripeWebhookDispatcher : BackgroundService
{
    /// <summary>Attempts running at once per endpoint.</summary>
    public const int MaxConcurrentPerEndpoint = 4;

    /// <summary>With <c>webhook.reorder</c>, how long a new event waits so later ones can overtake it.</summary>
    public static readonly TimeSpan ReorderWindow = TimeSpan.FromSeconds(1);

    private const int DueBatch = 200;
    private readonly StripeWebhooks _webhooks;
    private readonly StripeStore _store;
    private readonly StripeClock _clock;
    private readonly StripeFaults _faults;
    private readonly TimeProvider _time;
    private readonly ILogger<StripeWebhookDispatcher> _logger;
    private readonly HttpClient _http;
    private readonly SemaphoreSlim _signal = new(0, 1);
    private readonly Lock _gate = new();
    private readonly Dictionary<string, string> _inFlight = new(StringComparer.Ordinal);
    private readonly List<Task> _running = [];
    private DateTimeOffset? _waitingUntil;
    private bool _idle;
    private int _delaying;

    public StripeWebhookDispatcher(
        StripeWebhooks webhooks, StripeStore store, StripeClock clock, StripeFaults faults, TimeProvider time, ILogger<StripeWebhookDispatcher> logger)
    {
        _webhooks = webhooks;
        _store = store;
        _clock = clock;
        _faults = faults;
        _time = time;
        _logger = logger;
        // Stripe does not follow redirects: a 3xx is a failed attempt.
        _http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(1) })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>
    /// Test probe: true while the loop waits with nothing in flight, and the time its one-shot delay ends (null: waits for a
    /// write only). Once it reads as expected, moving a FakeTimeProvider to that time runs the next attempt.
    /// </summary>
    internal (bool Idle, DateTimeOffset? Until) State
    {
        get
        {
            lock (_gate)
            {
                // A pending wake-up means the loop is about to look again, so it is not settled yet.
                return (_idle && _inFlight.Count == 0 && _signal.CurrentCount == 0, _waitingUntil);
            }
        }
    }

    /// <summary>Test probe: attempts waiting out <c>webhook.delayMs</c> (their delay is registered on the TimeProvider).</summary>
    internal int DelayingAttempts => Volatile.Read(ref _delaying);

    public override void Dispose()
    {
        _http.Dispose();
        _signal.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _store.WriteCommitted += OnChanged;
        _webhooks.Changed += OnChanged;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                DateTimeOffset? wakeAt;
                try
                {
                    wakeAt = await DispatchDueAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A failing read (database busy) must not end delivery: try again shortly.
                    _logger.LogError(e, "Stripe webhook dispatch failed; retrying in 1 s");
                    wakeAt = _time.GetUtcNow().AddSeconds(1);
                }

                await WaitAsync(wakeAt, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            _store.WriteCommitted -= OnChanged;
            _webhooks.Changed -= OnChanged;
            Task[] running;
            lock (_gate)
            {
                running = _running.ToArray();
            }

            await Task.WhenAll(running).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private void OnChanged(object? sender, EventArgs e) => Wake();

    private void Wake()
    {
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled: one wake-up covers every change before it.
        }
        catch (ObjectDisposedException)
        {
            // Stopping.
        }
    }

    private async Task WaitAsync(DateTimeOffset? wakeAt, CancellationToken stoppingToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var signal = _signal.WaitAsync(cts.Token);
        var waits = new List<Task> { signal };
        if (wakeAt is { } at)
        {
            var delay = at - _time.GetUtcNow();
            if (delay <= TimeSpan.Zero)
            {
                return;
            }

            waits.Add(Task.Delay(delay, _time, cts.Token));
        }

        lock (_gate)
        {
            _waitingUntil = wakeAt;
            _idle = true;
        }

        await Task.WhenAny(waits);
        lock (_gate)
        {
            _idle = false;
        }

        await cts.CancelAsync();
        await Task.WhenAll(waits).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        stoppingToken.ThrowIfCancellationRequested();
    }

    /// <summary>Starts every due attempt the per-endpoint limit allows; returns when the loop must look again at the latest.</summary>
    private async Task<DateTimeOffset?> DispatchDueAsync(CancellationToken stoppingToken)
    {
        var now = _time.GetUtcNow();
        var nowMs = now.ToUnixTimeMilliseconds();
        var reorder = _faults.Current.Webhook.Reorder;
        var due = await _webhooks.DueAsync(nowMs, DueBatch, stoppingToken);
        DateTimeOffset? heldUntil = null;
        var ready = new List<DueDelivery>();
        foreach (var delivery in due)
        {
            if (reorder && delivery.Attempts == 0 && delivery.EventCreated is { } created)
            {
                // The event's emission on the wall clock: its sandbox time minus the sandbox offset.
                var release = DateTimeOffset.FromUnixTimeSeconds(created - _clock.OffsetSeconds) + ReorderWindow;
                if (release > now)
                {
                    heldUntil = heldUntil is { } h && h < release ? h : release;
                    continue;
                }
            }

            ready.Add(delivery);
        }

        if (reorder)
        {
            ready.Reverse();
        }

        var perEndpoint = reorder ? 1 : MaxConcurrentPerEndpoint;
        lock (_gate)
        {
            foreach (var delivery in ready)
            {
                if (_inFlight.ContainsKey(delivery.Id) || _inFlight.Values.Count(e => e == delivery.EndpointId) >= perEndpoint)
                {
                    continue;
                }

                _inFlight[delivery.Id] = delivery.EndpointId;
                _running.Add(Task.Run(() => AttemptAsync(delivery, stoppingToken), CancellationToken.None));
            }

            _running.RemoveAll(t => t.IsCompleted);
        }

        var next = await _webhooks.NextDueAfterAsync(nowMs, stoppingToken) is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : (DateTimeOffset?)null;
        return next is { } n && (heldUntil is null || n < heldUntil) ? n : heldUntil;
    }

    private async Task AttemptAsync(DueDelivery delivery, CancellationToken stoppingToken)
    {
        try
        {
            var draw = _faults.DrawWebhook();
            if (draw.Delay > TimeSpan.Zero)
            {
                var wait = Task.Delay(draw.Delay, _time, stoppingToken);
                Interlocked.Increment(ref _delaying);
                try
                {
                    await wait;
                }
                finally
                {
                    Interlocked.Decrement(ref _delaying);
                }
            }

            var body = await _webhooks.EventBodyAsync(delivery.EventId, stoppingToken);
            var started = _time.GetUtcNow();
            if (body is null)
            {
                await _webhooks.AbandonAsync(delivery, started.ToUnixTimeMilliseconds(), stoppingToken);
                return;
            }

            bool delivered;
            int? status = null;
            string? error = null;
            if (draw.Drop)
            {
                delivered = false;
                error = "Dropped by the sandbox (webhook.dropRate).";
            }
            else
            {
                (delivered, status, error) = await PostAsync(delivery, body, stoppingToken);
                if (draw.Duplicate)
                {
                    _ = await PostAsync(delivery, body, stoppingToken);
                }
            }

            var finished = _time.GetUtcNow();
            var firstAttemptAt = delivery.FirstAttemptAtMs is { } first ? DateTimeOffset.FromUnixTimeMilliseconds(first) : started;
            long? next = delivered
                ? null
                : StripeWebhookSchedule.NextAttempt(firstAttemptAt, delivery.Attempts + 1, finished)?.ToUnixTimeMilliseconds();
            if (!delivered)
            {
                _logger.LogInformation(
                    "Stripe webhook {DeliveryId} of {EventId} attempt {Attempt} failed ({Status}); {Next}", delivery.Id, delivery.EventId,
                    delivery.Attempts + 1, status?.ToString(CultureInfo.InvariantCulture) ?? error,
                    next is { } n ? "retry at " + DateTimeOffset.FromUnixTimeMilliseconds(n).ToString("O", CultureInfo.InvariantCulture) : "giving up");
            }

            await _webhooks.RecordAttemptAsync(
                delivery, started.ToUnixTimeMilliseconds(), firstAttemptAt.ToUnixTimeMilliseconds(), delivered, status, error, next, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the row stays pending and due, so the attempt is made after a restart.
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Stripe webhook {DeliveryId} attempt could not be recorded", delivery.Id);
        }
        finally
        {
            lock (_gate)
            {
                _inFlight.Remove(delivery.Id);
            }

            Wake();
        }
    }

    /// <summary>One POST, signed now; (2xx within the timeout, HTTP status, error text).</summary>
    private async Task<(bool Delivered, int? Status, string? Error)> PostAsync(DueDelivery delivery, string body, CancellationToken stoppingToken)
    {
        using var timeout = new CancellationTokenSource(StripeWebhookSchedule.AttemptTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, timeout.Token);
        using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url)
        {
            Content = new StringContent(body, new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" }),
        };
        request.Headers.TryAddWithoutValidation("User-Agent", "Stripe/1.0");
        request.Headers.TryAddWithoutValidation("Stripe-Signature", Sign(delivery.Secret, body, _time.GetUtcNow().ToUnixTimeSeconds()));
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            var status = (int)response.StatusCode;
            return (status is >= 200 and < 300, status, null);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
        {
            return (false, null, $"No answer within {StripeWebhookSchedule.AttemptTimeout.TotalSeconds:0} s.");
        }
        catch (HttpRequestException e)
        {
            return (false, null, e.Message);
        }
    }

    /// <summary><c>t={t},v1={hex HMAC-SHA256(secret, "{t}.{body}")}</c>, as Stripe signs (Stripe.net's <c>EventUtility</c> checks it).</summary>
    public static string Sign(string secret, string body, long unixSeconds)
    {
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(body);
        var t = unixSeconds.ToString(CultureInfo.InvariantCulture);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{t}.{body}"));
        return $"t={t},v1={Convert.ToHexStringLower(mac)}";
    }
}

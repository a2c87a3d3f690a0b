using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Stripe;

namespace Nno.Sandbox.Tests.StripeEmulation;

/// <summary>One POST the receiver got: raw body and headers, and the event Stripe.net's own verification built (or why it refused).</summary>
internal sealed record ReceivedWebhook(int Index, string Body, string? Signature, string? ContentType, string? UserAgent, Event? Event, string? VerifyError)
{
    /// <summary>The <c>t=</c> of the signature.</summary>
    public long SignedAt => long.Parse(Signature!.Split(',')[0]["t=".Length..], System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// A real webhook endpoint for the tests: a tiny Kestrel app on a free loopback port that checks every POST with
/// Stripe.net's <c>EventUtility.ConstructEvent</c> (the 3-argument form on the real clock, or with the test's clock as
/// <c>utcNow</c> when the test moves a fake clock), records it and answers the status <see cref="StatusFor"/> picks.
/// </summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedWebhook> _hits = new();
    private int _count;
    private int _inFlight;
    private int _maxInFlight;

    private WebhookReceiver(WebApplication app, string secret, TimeProvider? verifyClock)
    {
        _app = app;
        Secret = secret;
        VerifyClock = verifyClock;
    }

    public string Secret { get; }

    public TimeProvider? VerifyClock { get; }

    public string Url { get; private set; } = "";

    /// <summary>The status answered to the n-th POST (1-based); 200 by default.</summary>
    public Func<int, int> StatusFor { get; set; } = _ => 200;

    /// <summary>Awaited before answering the n-th POST (holds requests open in concurrency and timeout tests).</summary>
    public Func<int, Task>? Hold { get; set; }

    public IReadOnlyList<ReceivedWebhook> Hits => _hits.ToArray();

    /// <summary>POSTs being answered now, and the most there ever were at once.</summary>
    public (int Now, int Max) InFlight => (Volatile.Read(ref _inFlight), Volatile.Read(ref _maxInFlight));

    public static async Task<WebhookReceiver> StartAsync(string secret = "whsec_test_receiver", TimeProvider? verifyClock = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var receiver = new WebhookReceiver(app, secret, verifyClock);
        app.MapPost("/hooks", receiver.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        receiver.Url = address + "/hooks";
        return receiver;
    }

    /// <summary>Waits (real time, bounded) until at least <paramref name="count"/> POSTs arrived.</summary>
    public async Task<IReadOnlyList<ReceivedWebhook>> WaitForAsync(int count)
    {
        await Eventually.HoldsAsync(() => Task.FromResult(_hits.Count >= count), $"{count} webhook POSTs");
        return Hits;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task<IResult> HandleAsync(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync();
        var signature = request.Headers["Stripe-Signature"].ToString();
        Event? evt = null;
        string? error = null;
        try
        {
            evt = VerifyClock is null
                ? EventUtility.ConstructEvent(body, signature, Secret)
                : EventUtility.ConstructEvent(body, signature, Secret, 300, VerifyClock.GetUtcNow().ToUnixTimeSeconds(), true);
        }
        catch (StripeException e)
        {
            error = e.Message;
        }

        var index = Interlocked.Increment(ref _count);
        var now = Interlocked.Increment(ref _inFlight);
        int max;
        while (now > (max = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, max) != max)
        {
        }

        _hits.Enqueue(new ReceivedWebhook(index, body, signature, request.ContentType, request.Headers.UserAgent.ToString(), evt, error));
        try
        {
            if (Hold is { } hold)
            {
                await hold(index);
            }

            return Results.StatusCode(StatusFor(index));
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }
}

/// <summary>Polls a condition on the real clock (bounded), for work the emulator does in the background.</summary>
internal static class Eventually
{
    public static async Task HoldsAsync(Func<Task<bool>> condition, string what, int timeoutMs = 15_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting for {what}.");
            await Task.Delay(20);
        }
    }
}

using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace Nno.Provisioning.Tests.Support;

/// <summary>A recorded call to the Registry.</summary>
internal sealed record RegistryCall(string Method, string Path, string? Body, string? IdempotencyKey);

/// <summary>
/// The Registry at the edge of the test: records Provisioning's reports and answers them (201 with an id by default;
/// <see cref="Answer"/> scripts other answers).
/// </summary>
internal sealed class RecordingRegistry
{
    private int _ids;

    public ConcurrentQueue<RegistryCall> Calls { get; } = new();

    /// <summary>Returns a status (and optional JSON) for a call, or null for the default answer.</summary>
    public Func<RegistryCall, (HttpStatusCode Status, string? Json)?>? Answer { get; set; }

    public HttpMessageHandler CreateHandler() => new Handler(this);

    private async Task<HttpResponseMessage> HandleAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        var call = new RegistryCall(request.Method.Method, request.RequestUri!.AbsolutePath, body,
            request.Headers.TryGetValues("Idempotency-Key", out var keys) ? keys.Single() : null);
        if (Answer?.Invoke(call) is { } scripted)
        {
            Calls.Enqueue(call with { Method = call.Method + "!" + (int)scripted.Status });
            return new HttpResponseMessage(scripted.Status) { Content = new StringContent(scripted.Json ?? "{}", Encoding.UTF8, "application/json") };
        }

        Calls.Enqueue(call);
        var id = "reg" + Interlocked.Increment(ref _ids).ToString("D4", System.Globalization.CultureInfo.InvariantCulture);
        return new HttpResponseMessage(HttpStatusCode.Created) { Content = new StringContent($$"""{"id":"{{id}}"}""", Encoding.UTF8, "application/json") };
    }

    private sealed class Handler(RecordingRegistry registry) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            registry.HandleAsync(request, cancellationToken);
    }
}

using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Nno.Core.Errors;
using Nno.ServiceDefaults.Idempotency;

namespace Nno.ServiceDefaults.Tests.Idempotency;

public sealed record ThingRequest
{
    public required string Name { get; init; }
}

/// <summary>How many times each test endpoint actually ran (a replay does not run it).</summary>
public sealed class RunCounter
{
    private readonly ConcurrentDictionary<string, int> _runs = new(StringComparer.Ordinal);

    public int Next(string name) => _runs.AddOrUpdate(name, 1, (_, n) => n + 1);

    public int Runs(string name) => _runs.TryGetValue(name, out var n) ? n : 0;
}

/// <summary>Holds <c>/slow</c> until the test releases it.</summary>
public sealed class Gate
{
    public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>Endpoints that create things, with and without <c>WithIdempotency()</c>.</summary>
public static class IdempotencyTestEndpoints
{
    public static void AddServices(WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<RunCounter>();
        builder.Services.AddSingleton<Gate>();
    }

    public static void Map(IEndpointRouteBuilder app)
    {
        var counter = app.ServiceProvider.GetRequiredService<RunCounter>();
        var gate = app.ServiceProvider.GetRequiredService<Gate>();

        // Every run answers something new (run number, a fresh GUID), so a re-run is told apart from a replay.
        app.MapPost("/things", (ThingRequest request) =>
            {
                var n = counter.Next("things");
                return TypedResults.Created($"/things/thing-{n}", new { id = $"thing-{n}", name = request.Name, nonce = Guid.NewGuid() });
            })
            .WithIdempotency();

        app.MapPost("/plain", (ThingRequest request) => TypedResults.Ok(new { run = counter.Next("plain"), name = request.Name }));

        app.MapPost("/keys", (ThingRequest request) =>
            {
                var n = counter.Next("keys");
                return TypedResults.Created($"/keys/key-{n}", new { id = $"key-{n}", name = request.Name, key = $"nno_secret_{Guid.NewGuid():N}" });
            })
            .WithIdempotency(secretBearing: true);

        app.MapPost("/keys-declared", (HttpContext context) =>
            {
                var n = counter.Next("keys-declared");
                context.SetIdempotencyResourceId($"declared-{n}");
                return TypedResults.Ok(new { secret = $"s-{Guid.NewGuid():N}" });
            })
            .WithIdempotency(secretBearing: true);

        // The first run fails in the way named by {mode}; later runs succeed.
        app.MapPost("/fail-once/{mode}", IResult (string mode, HttpContext context) =>
            {
                var n = counter.Next("fail-once-" + mode);
                if (n > 1)
                {
                    return TypedResults.Created($"/fail-once/{mode}/{n}", new { id = $"{mode}-{n}" });
                }

                switch (mode)
                {
                    case "throw":
                        throw new InvalidOperationException("boom");
                    case "503":
                        return TypedResults.StatusCode(StatusCodes.Status503ServiceUnavailable);
                    case "429":
                        throw new ApiException(ErrorCodes.RateLimited, "Slow down.");
                    case "409-retry-after":
                        var busy = new ApiException(ErrorCodes.Conflict, "Another operation is in progress.", new { reason = "operation_in_progress" });
                        busy.Headers["Retry-After"] = "2";
                        throw busy;
                    case "409-marked":
                        context.MarkResponseRetryable();
                        return TypedResults.Conflict(new { reason = "head_moving" });
                    default:
                        throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown mode.");
                }
            })
            .WithIdempotency();

        app.MapPost("/missing", (ThingRequest request) =>
            {
                counter.Next("missing");
                throw ApiException.NotFound("thing", $"No thing named {request.Name} ({Guid.NewGuid():N}).");
            })
            .WithIdempotency();

        app.MapPost("/slow", async (ThingRequest request) =>
            {
                var n = counter.Next("slow");
                gate.Entered.TrySetResult();
                await gate.Release.Task;
                return TypedResults.Created($"/slow/{n}", new { id = $"slow-{n}", name = request.Name });
            })
            .WithIdempotency();
    }
}

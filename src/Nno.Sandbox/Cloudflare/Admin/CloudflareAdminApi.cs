using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Nno.Sandbox.Cloudflare.Common;
using Nno.Sandbox.Cloudflare.Pipeline;

namespace Nno.Sandbox.Cloudflare.Admin;

/// <summary>An admin error (plain JSON, no envelope).</summary>
public sealed record AdminError(string Error);

/// <summary>A counter injection: <c>value</c> is added to <c>metric</c> of <c>dimension</c> in <c>dataset</c> on <c>date</c>.</summary>
public sealed record UsageInjection
{
    public required string Date { get; init; }

    public required string Dataset { get; init; }

    public required string Dimension { get; init; }

    public required string Metric { get; init; }

    public required double Value { get; init; }
}

/// <summary>The resources of one kind.</summary>
public sealed record StateKind(int Count, IReadOnlyList<string> Names);

/// <summary>
/// The emulator's admin API under <c>/cloudflare/_admin</c> (provisioning.md §5.1): header
/// <c>X-Sandbox-Admin: {Sandbox:AdminToken}</c>, JSON without the envelope.
/// </summary>
internal static class CloudflareAdminApi
{
    public const string HeaderName = "X-Sandbox-Admin";

    public static void Map(IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/cloudflare/_admin").WithTags("Sandbox admin").AddEndpointFilter(async (context, next) =>
        {
            var expected = context.HttpContext.RequestServices.GetService(typeof(IOptions<SandboxOptions>)) is IOptions<SandboxOptions> o
                ? o.Value.AdminToken
                : new SandboxOptions().AdminToken;
            var given = context.HttpContext.Request.Headers[HeaderName].ToString();
            if (string.IsNullOrEmpty(given) || !System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
                    System.Text.Encoding.UTF8.GetBytes(given), System.Text.Encoding.UTF8.GetBytes(expected)))
            {
                return TypedResults.Json(new AdminError($"The {HeaderName} header is missing or wrong."), CloudflareJson.Admin, statusCode: 401);
            }

            return await next(context);
        });

        admin.MapGet("/faults", (CloudflareFaults faults) => TypedResults.Json(faults.Current, CloudflareJson.Admin))
            .WithName("CloudflareAdminGetFaults").WithSummary("The fault knobs in force.");
        admin.MapPut("/faults", PutFaults)
            .WithName("CloudflareAdminPutFaults").WithSummary("Replaces the fault knobs (missing ones take their defaults).");
        admin.MapPost("/reset", Reset)
            .WithName("CloudflareAdminReset").WithSummary("Deletes every resource, file, log entry and fault, and the rate-limit windows.");
        admin.MapGet("/requests", Requests)
            .WithName("CloudflareAdminRequests").WithSummary("Requests answered since a time (ISO 8601) or after a sequence number.");
        admin.MapPost("/usage", Usage)
            .WithName("CloudflareAdminUsage").WithSummary("Adds an injected value to a usage counter (read by analytics).");
        admin.MapGet("/state", State)
            .WithName("CloudflareAdminState").WithSummary("Count and names of the resources of each kind.");
    }

    private static async Task<Results<JsonHttpResult<CloudflareFaultSettings>, JsonHttpResult<AdminError>>> PutFaults(HttpRequest request, CloudflareFaults faults)
    {
        CloudflareFaultSettings? settings;
        try
        {
            settings = await JsonSerializer.DeserializeAsync<CloudflareFaultSettings>(request.Body, CloudflareJson.Admin, request.HttpContext.RequestAborted);
        }
        catch (JsonException e)
        {
            return TypedResults.Json(new AdminError($"Malformed faults: {e.Message}"), CloudflareJson.Admin, statusCode: 400);
        }

        if (settings is null)
        {
            return TypedResults.Json(new AdminError("The body must be a JSON object."), CloudflareJson.Admin, statusCode: 400);
        }

        if (CloudflareFaults.Validate(settings) is { } problem)
        {
            return TypedResults.Json(new AdminError(problem), CloudflareJson.Admin, statusCode: 400);
        }

        faults.Replace(settings);
        return TypedResults.Json(faults.Current, CloudflareJson.Admin);
    }

    private static async Task<NoContent> Reset(
        CloudflareState state, CloudflareFaults faults, CloudflareRateLimiter limiter, CloudflareRequestLog log, CancellationToken cancellationToken)
    {
        await state.ResetAsync(CloudflareAreas.All, cancellationToken);
        faults.Reset();
        limiter.Clear();
        log.Clear();
        return TypedResults.NoContent();
    }

    private static Results<JsonHttpResult<IReadOnlyList<CloudflareRequestEntry>>, JsonHttpResult<AdminError>> Requests(string? since, CloudflareRequestLog log)
    {
        if (string.IsNullOrEmpty(since))
        {
            return TypedResults.Json(log.Read(0, null), CloudflareJson.Admin);
        }

        if (long.TryParse(since, NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
        {
            return TypedResults.Json(log.Read(seq, null), CloudflareJson.Admin);
        }

        return DateTimeOffset.TryParse(since, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? TypedResults.Json(log.Read(0, at), CloudflareJson.Admin)
            : TypedResults.Json(new AdminError("since must be an ISO 8601 time or a sequence number."), CloudflareJson.Admin, statusCode: 400);
    }

    private static async Task<Results<NoContent, JsonHttpResult<AdminError>>> Usage(HttpRequest request, CloudflareUsage usage, CancellationToken cancellationToken)
    {
        UsageInjection? injection;
        try
        {
            injection = await JsonSerializer.DeserializeAsync<UsageInjection>(request.Body, CloudflareJson.Admin, cancellationToken);
        }
        catch (JsonException e)
        {
            return TypedResults.Json(new AdminError($"Malformed usage: {e.Message}"), CloudflareJson.Admin, statusCode: 400);
        }

        if (injection is null
            || !DateOnly.TryParseExact(injection.Date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            || string.IsNullOrWhiteSpace(injection.Dataset) || string.IsNullOrWhiteSpace(injection.Metric) || injection.Dimension is null
            || !double.IsFinite(injection.Value))
        {
            return TypedResults.Json(new AdminError("usage needs date (yyyy-MM-dd), dataset, dimension, metric and a finite value."), CloudflareJson.Admin, statusCode: 400);
        }

        await usage.AddAsync(injection.Dataset, injection.Dimension, injection.Metric, injection.Value, date, cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<JsonHttpResult<Dictionary<string, StateKind>>> State(CloudflareState state, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, StateKind>(StringComparer.Ordinal);
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        foreach (var kind in CloudflareAreas.All.SelectMany(a => a.State))
        {
            await using var command = connection.CreateCommand();
            command.CommandText = kind.NamesSql;
            var names = new List<string>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                names.Add(reader.IsDBNull(0) ? "" : reader.GetValue(0).ToString() ?? "");
            }

            result[kind.Kind] = new StateKind(names.Count, names);
        }

        return TypedResults.Json(result, CloudflareJson.Admin);
    }
}

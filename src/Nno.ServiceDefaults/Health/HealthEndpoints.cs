using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Nno.Core.Errors;
using Nno.ServiceDefaults.Errors;
using Nno.ServiceDefaults.Hosting;
using Nno.ServiceDefaults.Security;

namespace Nno.ServiceDefaults.Health;

/// <summary><c>/health</c> (liveness, never touches dependencies) and <c>/health/ready</c> (every registered readiness check).</summary>
public static class HealthEndpoints
{
    /// <summary>Tag of health checks that take part in readiness.</summary>
    public const string ReadyTag = "ready";

    /// <summary>
    /// A check may name its state in <c>/health/ready</c> itself (for example <c>backlog</c>) by putting a string under
    /// this key of its result's data; otherwise healthy is <c>ok</c>, degraded <c>degraded</c> and unhealthy <c>failing</c>.
    /// </summary>
    public const string StateDataKey = "state";

    public sealed record HealthResponse(string Status, string Service, string Version, string Environment);

    public sealed record ReadyResponse(string Status, IReadOnlyDictionary<string, string> Checks);

    public static IEndpointRouteBuilder MapNnoHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", (NnoServiceIdentity identity, IOptions<NnoOptions> options) =>
                TypedResults.Ok(new HealthResponse("ok", identity.Name, identity.Version, options.Value.Environment)))
            .WithName("Health").WithSummary("Liveness: the process is up.").WithTags("Health")
            .AllowWithoutServiceToken();

        app.MapGet("/health/ready", async (HttpContext context, HealthCheckService checks, IOptions<NnoLimitsOptions> limits, IOptions<HealthCheckServiceOptions> registrations) =>
            {
                using var cts = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
                cts.CancelAfter(limits.Value.ReadinessCheckTimeout);
                HealthReport report;
                try
                {
                    report = await checks.CheckHealthAsync(r => r.Tags.Contains(ReadyTag), cts.Token);
                }
                catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
                {
                    // Still the same checks object: every readiness check is named, as "timeout".
                    var timedOut = registrations.Value.Registrations.Where(r => r.Tags.Contains(ReadyTag))
                        .ToDictionary(r => r.Name, _ => "timeout", StringComparer.Ordinal);
                    return ErrorResponses.Result(ErrorCodes.ServiceUnavailable, "Readiness checks timed out.", new { checks = timedOut });
                }

                var result = report.Entries.ToDictionary(e => e.Key, e => e.Value.Data.TryGetValue(StateDataKey, out var state) && state is string named
                    ? named
                    : e.Value.Status switch
                    {
                        HealthStatus.Healthy => "ok",
                        HealthStatus.Degraded => "degraded",
                        _ => "failing",
                    }, StringComparer.Ordinal);
                if (report.Status == HealthStatus.Unhealthy)
                {
                    context.Response.Headers.RetryAfter = "5";
                    return ErrorResponses.Result(ErrorCodes.ServiceUnavailable, "The service is not ready.", new { checks = result });
                }

                return (IResult)TypedResults.Ok(new ReadyResponse("ready", result));
            })
            .WithName("Ready").WithSummary("Readiness: the service can do its work.").WithTags("Health")
            .AllowWithoutServiceToken();
        return app;
    }
}

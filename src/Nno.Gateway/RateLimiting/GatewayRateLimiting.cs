using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Nno.ServiceDefaults.Health;

namespace Nno.Gateway.RateLimiting;

/// <summary>Registers the gateway's rate limiting (gateway.md §4.7): limits, policies, the bucket store and its readiness check.</summary>
internal static class GatewayRateLimiting
{
    public static IServiceCollection AddGatewayRateLimiting(this IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>()
            .Configure<IConfiguration>((options, configuration) => options.Read(configuration))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<RateLimitOptions>, RateLimitOptionsValidator>();
        services.AddSingleton<RateLimitPolicies>();
        services.AddSingleton<InProcessRateLimitStore>();
        services.AddSingleton<IRateLimitStore>(sp => sp.GetRequiredService<InProcessRateLimitStore>());
        services.AddHealthChecks().AddCheck<RateLimitStoreHealthCheck>(RateLimitStoreHealthCheck.Name, tags: [HealthEndpoints.ReadyTag]);
        return services;
    }
}

/// <summary>
/// Readiness check <c>rateLimitStore</c> (gateway.md §3.1). The in-process store is always available, so all-in-one
/// reports <c>ok</c>; a shared store reports <c>degraded</c> (still ready) while it falls back to local buckets.
/// </summary>
internal sealed class RateLimitStoreHealthCheck(IRateLimitStore store) : IHealthCheck
{
    public const string Name = "rateLimitStore";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(store.DegradedReason is { } reason ? HealthCheckResult.Degraded(reason) : HealthCheckResult.Healthy());
}

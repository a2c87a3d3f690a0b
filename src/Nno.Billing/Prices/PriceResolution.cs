using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Nno.Billing.Data;
using Nno.ServiceDefaults.Health;
using Nno.ServiceDefaults.Jobs;

namespace Nno.Billing.Prices;

/// <summary>Wires the price map: resolution at start, the retry job while a tier is unresolved, the <c>prices</c> readiness check.</summary>
internal static class PriceResolution
{
    /// <summary>Lease name of the retry job.</summary>
    public const string RetryJobName = "billing.prices.retry";

    public static IServiceCollection AddBillingPrices(this IServiceCollection services)
    {
        services.AddSingleton<TierPriceMap>();
        services.AddScoped<PriceCatalog>();
        services.AddHostedService<PriceStartup>();
        services.AddNnoPeriodicJob<BillingDbContext, PriceRetryJob>(RetryJobName,
            sp => TimeSpan.FromSeconds(sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<BillingOptions>>().Value.PriceRetrySeconds));
        services.AddHealthChecks().AddCheck<PricesHealthCheck>(PricesHealthCheck.Name, HealthStatus.Degraded, [HealthEndpoints.ReadyTag]);
        return services;
    }
}

/// <summary>
/// Resolves the prices once the host has started, off the start path: an unreachable Stripe must not stop the service
/// starting (it starts <c>degraded</c> and the retry job tries again).
/// </summary>
internal sealed class PriceStartup(IServiceScopeFactory scopes) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        await using var scope = scopes.CreateAsyncScope();
        var catalog = scope.ServiceProvider.GetRequiredService<PriceCatalog>();
        await catalog.LoadCachedAsync(stoppingToken);
        await catalog.ResolveAsync(stoppingToken);
    }
}

/// <summary>Tries the resolution again every <see cref="BillingOptions.PriceRetrySeconds"/> while a tier is unresolved.</summary>
internal sealed class PriceRetryJob(TierPriceMap map, PriceCatalog catalog) : IPeriodicJob
{
    public async Task<int> RunAsync(CancellationToken cancellationToken) =>
        map.Unresolved.Count == 0 ? 0 : await catalog.ResolveAsync(cancellationToken);
}

/// <summary><c>prices</c>: every tier has a resolved Stripe price; otherwise <c>degraded</c>, naming the unresolved tiers.</summary>
internal sealed class PricesHealthCheck(TierPriceMap map) : IHealthCheck
{
    public const string Name = "prices";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var unresolved = map.Unresolved;
        return Task.FromResult(unresolved.Count == 0
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Degraded("Tiers without a Stripe price: " + string.Join(", ", unresolved),
                data: new Dictionary<string, object> { ["unresolved"] = unresolved }));
    }
}

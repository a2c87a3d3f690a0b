using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Nno.ServiceDefaults.Health;

namespace Nno.Gateway.PlatformStatus;

/// <summary>Registers the platform status check (gateway.md §4.6): options, cache, warning throttle, metrics and readiness.</summary>
internal static class PlatformStatusRegistration
{
    /// <summary>Needs an <see cref="Nno.Storage.IKeyValueStore"/> (embedded or distributed) registered by the caller.</summary>
    public static IServiceCollection AddGatewayPlatformStatus(this IServiceCollection services)
    {
        services.AddOptions<PlatformStatusOptions>()
            .BindConfiguration(PlatformStatusOptions.Section)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<PlatformStatusOptions>, PlatformStatusOptionsValidator>();
        services.AddSingleton<PlatformStatusWarnings>();
        services.AddSingleton<PlatformStatusMetrics>();
        services.AddSingleton<PlatformStatusCache>();
        services.AddHealthChecks().AddCheck<PlatformStatusKvHealthCheck>(PlatformStatusKvHealthCheck.Name, tags: [HealthEndpoints.ReadyTag]);
        return services;
    }
}

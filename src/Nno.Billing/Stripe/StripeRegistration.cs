using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nno.Core.Environments;
using Nno.ServiceDefaults.Hosting;
using Stripe;

namespace Nno.Billing.Stripe;

/// <summary>Registers the one <see cref="StripeClient"/> of the service (billing.md §5) and its settings.</summary>
public static class StripeRegistration
{
    /// <summary>Name of the <see cref="IHttpClientFactory"/> client Stripe.net sends through (tests swap its primary handler).</summary>
    public const string HttpClientName = "stripe";

    /// <summary>
    /// Adds <see cref="StripeSettings"/> (checked while the host starts: a bad configuration stops it naming the keys) and
    /// a singleton <see cref="StripeClient"/> (also as <see cref="IStripeClient"/>) on a <see cref="SystemNetHttpClient"/>
    /// over the factory client <see cref="HttpClientName"/>, with <see cref="StripeSettings.MaxNetworkRetries"/> retries.
    /// </summary>
    public static IServiceCollection AddBillingStripe(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(sp => StripeSettingsReader.Read(
            sp.GetRequiredService<IConfiguration>(),
            EnvironmentNames.Parse(sp.GetRequiredService<IOptions<NnoOptions>>().Value.Environment)));
        services.AddHostedService<StripeStartupCheck>();

        services.AddHttpClient(HttpClientName, (sp, client) => client.Timeout = sp.GetRequiredService<StripeSettings>().RequestTimeout)
            // The StripeClient is a singleton holding one HttpClient, so the factory never rotates its handler: the
            // pooled connection lifetime picks up DNS changes instead (decision 0525).
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            // The factory's default already redacts every header value; restated so no later call weakens it (decision 0297).
            .RedactLoggedHeaders(static _ => true);

        services.TryAddSingleton(sp => Create(
            sp.GetRequiredService<StripeSettings>(),
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName)));
        services.TryAddSingleton<IStripeClient>(sp => sp.GetRequiredService<StripeClient>());
        return services;
    }

    /// <summary>The client for <paramref name="settings"/> sending through <paramref name="httpClient"/>.</summary>
    public static StripeClient Create(StripeSettings settings, HttpClient httpClient)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(httpClient);
        // Telemetry off: it would send the previous request's id and latency to whichever base is configured.
        var http = new SystemNetHttpClient(httpClient, StripeSettings.MaxNetworkRetries, appInfo: null, enableTelemetry: false);
        return new StripeClient(new StripeClientOptions
        {
            ApiKey = settings.SecretKey,
            ApiBase = settings.ApiBase,
            HttpClient = http,
        });
    }

    /// <summary>True when the Stripe.net in use sends the API version billing.md §5 pins.</summary>
    public static bool LibraryPinsSpecApiVersion => string.Equals(StripeConfiguration.ApiVersion, StripeSettings.ApiVersion, StringComparison.Ordinal);
}

/// <summary>Resolves the Stripe settings and checks the pinned API version while the host starts.</summary>
internal sealed partial class StripeStartupCheck(IServiceProvider services, ILogger<StripeStartupCheck> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!StripeRegistration.LibraryPinsSpecApiVersion)
        {
            throw new InvalidOperationException(
                $"Stripe.net sends API version {StripeConfiguration.ApiVersion}; billing.md §5 pins {StripeSettings.ApiVersion}.");
        }

        var settings = services.GetRequiredService<StripeSettings>();
        LogStripeTarget(logger, settings.IsSandbox ? "sandbox" : "live", settings.ApiBase);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1, EventName = "billing.stripe.configured", Level = LogLevel.Information, Message = "Stripe client uses the {Mode} API at {ApiBase}")]
    private static partial void LogStripeTarget(ILogger logger, string mode, string apiBase);
}

using System.Net.Http.Headers;
using Amazon.Runtime;
using Amazon.S3;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nno.Core.Environments;
using Nno.Provisioning.Bundles;
using Nno.Provisioning.Migrations;
using Nno.Provisioning.Cloudflare.R2;
using Nno.ServiceDefaults.Health;
using Nno.ServiceDefaults.Hosting;
using Polly;

namespace Nno.Provisioning.Cloudflare;

/// <summary>Registers the Cloudflare building blocks: settings, the typed REST client with its budget, R2 bulk deletion.</summary>
public static class CloudflareRegistration
{
    /// <summary>
    /// Adds <see cref="CloudflareOptions"/> (checked at start: a bad configuration stops the host naming the keys),
    /// <see cref="CloudflareClient"/>, <see cref="ICloudflareRequestBudget"/> with its readiness check and
    /// <see cref="R2BulkDeleter"/>, the <see cref="BundleCatalogue"/>, <see cref="CloudflareNames"/> and the <see cref="D1MigrationRunner"/>.
    /// </summary>
    public static IServiceCollection AddCloudflare(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => CloudflareSettingsReader.Read(
            sp.GetRequiredService<IConfiguration>(),
            EnvironmentNames.Parse(sp.GetRequiredService<IOptions<NnoOptions>>().Value.Environment)));
        services.AddHostedService<CloudflareStartupCheck>();

        services.TryAddSingleton<ICloudflareRequestBudget>(sp => new SlidingWindowRequestBudget(
            sp.GetRequiredService<CloudflareOptions>(), sp.GetRequiredService<TimeProvider>()));
        services.AddHealthChecks().AddCheck<CloudflareBudgetHealthCheck>(CloudflareBudgetHealthCheck.Name, tags: [HealthEndpoints.ReadyTag]);

        var http = services.AddHttpClient<CloudflareClient>(CloudflareClient.HttpClientName, (sp, client) =>
            {
                var options = sp.GetRequiredService<CloudflareOptions>();
                client.BaseAddress = new Uri(options.ApiBaseUrl + "/");
                client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiToken);
                client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
                // The per-attempt timeout lives in the resilience pipeline; this is only the outer bound of all attempts.
                client.Timeout = (options.RequestTimeout * (options.GetRetries + 1)) + TimeSpan.FromSeconds(options.GetRetries * 10);
            });
        http.AddResilienceHandler("cloudflare-get-retry", (pipeline, context) =>
            {
                var options = context.ServiceProvider.GetRequiredService<CloudflareOptions>();
                // Network backoff and the 30 s timeout are wall-clock matters, not business time: a test's fake clock
                // must not stall a GET retry (decision 0392).
                pipeline.TimeProvider = TimeProvider.System;
                if (options.GetRetries > 0)
                {
                    pipeline.AddRetry(new HttpRetryStrategyOptions
                    {
                        MaxRetryAttempts = options.GetRetries,
                        Delay = options.GetRetryDelay,
                        BackoffType = DelayBackoffType.Exponential,
                        UseJitter = true,
                        ShouldRetryAfterHeader = false,
                        ShouldHandle = args => ValueTask.FromResult(IsRetryableGet(args.Context.GetRequestMessage(), args.Outcome)),
                    });
                }

                pipeline.AddTimeout(options.RequestTimeout);
            });
        http.AddHttpMessageHandler(sp => new CloudflareBudgetHandler(sp.GetRequiredService<ICloudflareRequestBudget>(), sp.GetRequiredService<TimeProvider>()));

        services.TryAddSingleton(_ => BundleCatalogue.Embedded);
        // Both constructors are resolvable once the host registers a HostnameBuilder: name the one to use.
        services.TryAddSingleton(sp => new CloudflareNames(sp.GetRequiredService<IOptions<NnoOptions>>()));
        services.TryAddTransient<D1MigrationRunner>();

        services.AddHttpClient(R2HttpClientFactory.HttpClientName)
            .AddHttpMessageHandler(() => new R2ContentMd5Handler());
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<CloudflareOptions>();
            var config = new AmazonS3Config
            {
                ServiceURL = options.R2S3Url,
                ForcePathStyle = true,
                AuthenticationRegion = "auto",
                // Failures go to the step, which retries on the job's schedule (and classifies them).
                MaxErrorRetry = 0,
                Timeout = options.RequestTimeout,
                RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
                ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
                HttpClientFactory = new R2HttpClientFactory(sp.GetRequiredService<IHttpClientFactory>()),
            };
            var s3 = new AmazonS3Client(new BasicAWSCredentials(options.R2AccessKeyId, options.R2SecretAccessKey), config);
            return new R2BulkDeleter(s3, options, sp.GetRequiredService<ILogger<R2BulkDeleter>>());
        });
        return services;
    }

    /// <summary>
    /// Only a GET is retried here, and only on a transient failure other than 429 (which pauses the token and defers
    /// the job instead): network error, per-attempt timeout, 5xx.
    /// </summary>
    internal static bool IsRetryableGet(HttpRequestMessage? request, Outcome<HttpResponseMessage> outcome)
    {
        if (request?.Method != HttpMethod.Get)
        {
            return false;
        }

        return outcome.Exception switch
        {
            HttpRequestException or Polly.Timeout.TimeoutRejectedException => true,
            null => outcome.Result is { } response && (int)response.StatusCode >= 500,
            _ => false,
        };
    }
}

/// <summary>Resolves the Cloudflare settings while the host starts, so a bad configuration stops it with the reason.</summary>
internal sealed class CloudflareStartupCheck(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = services.GetRequiredService<CloudflareOptions>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

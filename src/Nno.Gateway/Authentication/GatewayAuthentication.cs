using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Nno.Gateway.Authentication;

/// <summary>Registers the gateway's authentication (gateway.md §4.3).</summary>
internal static class GatewayAuthentication
{
    public static IServiceCollection AddGatewayAuthentication(this IServiceCollection services)
    {
        services.AddOptions<GatewayAuthOptions>()
            .Configure<IConfiguration>((options, configuration) => options.Read(configuration))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<GatewayAuthOptions>, GatewayAuthOptionsValidator>();
        services.AddSingleton<StaticKeyAuthenticator>();
        services.AddSingleton<IamCredentialClient>();
        services.AddSingleton<CredentialCache>();
        services.AddHostedService<StaticKeyReport>();
        return services;
    }
}

/// <summary>
/// Says at start whether the static service key is enabled and, when the all-in-one host generated it, where the file
/// is (only the path: the key itself is never logged). Resolving the cache here subscribes it to the eviction channel
/// before the first request.
/// </summary>
internal sealed partial class StaticKeyReport(IOptions<GatewayAuthOptions> options, CredentialCache cache, ILogger<StaticKeyReport> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = cache.Count;
        var settings = options.Value;
        if (!settings.StaticKeyEnabled)
        {
            LogDisabled(logger);
        }
        else if (settings.StaticKeyFile is { } file)
        {
            LogGenerated(logger, file);
        }
        else
        {
            LogConfigured(logger, settings.NextStaticKey is null ? 1 : 2);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(1833, LogLevel.Information, "The static service key (AUTH_API_KEY) is disabled (Gateway:StaticKeyEnabled=false).")]
    private static partial void LogDisabled(ILogger logger);

    [LoggerMessage(1834, LogLevel.Information, "The static service key (AUTH_API_KEY) is read from {KeyFile}.")]
    private static partial void LogGenerated(ILogger logger, string keyFile);

    [LoggerMessage(1835, LogLevel.Information, "The static service key is enabled with {Count} configured key(s).")]
    private static partial void LogConfigured(ILogger logger, int count);
}

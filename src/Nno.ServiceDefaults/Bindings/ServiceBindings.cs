using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Nno.Core.Services;

namespace Nno.ServiceDefaults.Bindings;

/// <summary>Where each binding goes: a configured URL (distributed mode) or the in-process directory (all-in-one).</summary>
public sealed class ServiceBindingOptions
{
    /// <summary>Base URLs by service name, from <c>NNO_*_URL</c>.</summary>
    public Dictionary<string, Uri> Urls { get; } = new(StringComparer.Ordinal);

    /// <summary>Connect timeout of HTTP bindings.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Reads every <c>NNO_*_URL</c> variable of 00-system §3.</summary>
    public static ServiceBindingOptions FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = new ServiceBindingOptions();
        foreach (var service in NnoServices.All)
        {
            var value = configuration[service.UrlVariable];
            if (!string.IsNullOrWhiteSpace(value))
            {
                options.Urls[service.Name] = new Uri(value.EndsWith('/') ? value : value + "/", UriKind.Absolute);
            }
        }

        return options;
    }
}

/// <summary>
/// Registers one named <see cref="HttpClient"/> per service (named by its binding name, e.g. <c>NNO_IAM</c>): in memory
/// through <see cref="ServiceDirectory"/> unless a URL is configured, then plain HTTP (00-system §4).
/// </summary>
public static class ServiceBindingRegistration
{
    /// <summary>The base address used for in-memory bindings; the host name is unresolvable on purpose.</summary>
    public static Uri InProcessAddress(string service) => new($"http://{service}.inproc/");

    /// <summary>The primary handler for calls to <paramref name="service"/>.</summary>
    public static HttpMessageHandler CreatePrimaryHandler(string service, ServiceBindingOptions options, ServiceDirectory? directory)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Urls.ContainsKey(service) || directory is null)
        {
            return new SocketsHttpHandler
            {
                ConnectTimeout = options.ConnectTimeout,
                AllowAutoRedirect = false,
                UseCookies = false,
                UseProxy = false,
                AutomaticDecompression = System.Net.DecompressionMethods.None,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            };
        }

        return directory.CreateHandler(service);
    }

    /// <summary>The base address for calls to <paramref name="service"/>.</summary>
    public static Uri BaseAddress(string service, ServiceBindingOptions options) =>
        options.Urls.TryGetValue(service, out var url) ? url : InProcessAddress(service);

    /// <summary>
    /// Adds the named clients of every upstream service. <paramref name="configureClient"/> lets the caller add
    /// message handlers (the service-token handler) to each.
    /// </summary>
    public static IServiceCollection AddNnoServiceBindings(this IServiceCollection services, IConfiguration configuration, Action<NnoServiceInfo, IHttpClientBuilder>? configureClient = null)
    {
        var options = ServiceBindingOptions.FromConfiguration(configuration);
        services.AddSingleton(options);
        foreach (var service in NnoServices.Upstreams)
        {
            var builder = services.AddHttpClient(service.BindingName, client =>
                {
                    client.BaseAddress = BaseAddress(service.Name, options);
                    client.Timeout = Timeout.InfiniteTimeSpan;
                })
                .ConfigurePrimaryHttpMessageHandler(sp => CreatePrimaryHandler(service.Name, options, sp.GetService<ServiceDirectory>()));
            configureClient?.Invoke(service, builder);
        }

        return services;
    }
}

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Nno.Gateway.TrustedProxies;

/// <summary>Registers the trusted-proxy settings (gateway.md §2 <c>Gateway:TrustedProxies</c>).</summary>
internal static class TrustedProxyRegistration
{
    public static IServiceCollection AddTrustedProxies(this IServiceCollection services)
    {
        services.AddOptions<TrustedProxyOptions>()
            .Configure<IConfiguration>((options, configuration) => options.Read(configuration))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<TrustedProxyOptions>, TrustedProxyOptionsValidator>();
        return services;
    }
}

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Nno.ServiceDefaults.Hosting;

namespace Nno.Gateway.Cors;

/// <summary>Registers the gateway's CORS handling (gateway.md §4.11).</summary>
internal static class GatewayCors
{
    public static IServiceCollection AddGatewayCors(this IServiceCollection services)
    {
        services.AddOptions<GatewayCorsOptions>()
            .Configure<IConfiguration, IOptions<NnoOptions>>((options, configuration, nno) => options.Read(configuration, nno.Value))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<GatewayCorsOptions>, GatewayCorsOptionsValidator>();
        services.AddSingleton<GatewayCorsPolicy>();
        return services;
    }
}

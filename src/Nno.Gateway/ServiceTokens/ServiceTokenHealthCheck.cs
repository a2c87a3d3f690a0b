using Microsoft.Extensions.Diagnostics.HealthChecks;
using Nno.Core.Errors;
using Nno.ServiceDefaults.Security;

namespace Nno.Gateway.ServiceTokens;

/// <summary>Readiness check <c>serviceToken</c> (gateway.md §3.1): healthy when the gateway can obtain its service token.</summary>
internal sealed class ServiceTokenHealthCheck(IServiceTokenProvider? tokens = null) : IHealthCheck
{
    public const string Name = "serviceToken";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (tokens is null)
        {
            return HealthCheckResult.Unhealthy("No service-token provider is registered.");
        }

        try
        {
            await tokens.GetTokenAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is ApiException or HttpRequestException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("The service token cannot be obtained.", ex);
        }
    }
}

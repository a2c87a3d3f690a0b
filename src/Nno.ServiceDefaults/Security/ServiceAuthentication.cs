using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Nno.Core.Services;
using Nno.ServiceDefaults.Bindings;

namespace Nno.ServiceDefaults.Security;

/// <summary>
/// Service-token authentication for every NNO service (00-system §6): verification of incoming tokens and the principal
/// rule (<see cref="UseNnoPrincipal"/>), and this service's own token on outgoing binding calls (<see cref="AddNnoServiceToken"/>).
/// </summary>
public static class ServiceAuthentication
{
    /// <summary>
    /// Registers token verification (keys from IAM's JWKS), the principal middleware's dependencies and this service's
    /// token provider (client secret <c>Nno:ServiceClientSecret</c>). IAM replaces the key source and the provider with
    /// its own in-memory ones.
    /// </summary>
    public static IServiceCollection AddNnoServiceAuthentication(this IServiceCollection services, string serviceName)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(serviceName);
        services.AddOptions<ServiceAuthenticationOptions>().BindConfiguration(ServiceAuthenticationOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<IServiceTokenKeySource, JwksKeySource>();
        services.TryAddSingleton<ServiceTokenValidator>();
        services.TryAddSingleton<IServiceTokenProvider>(sp => ActivatorUtilities.CreateInstance<HttpServiceTokenProvider>(sp, serviceName));

        // IAM through its binding but without the token handler: fetching keys or a token must not need a token.
        services.AddHttpClient(ServiceTokenProtocol.AnonymousIamClient)
            .ConfigureHttpClient((sp, client) =>
            {
                client.BaseAddress = ServiceBindingRegistration.BaseAddress(NnoServices.Iam, sp.GetRequiredService<ServiceBindingOptions>());
                client.Timeout = Timeout.InfiniteTimeSpan;
            })
            .ConfigurePrimaryHttpMessageHandler(sp => ServiceBindingRegistration.CreatePrimaryHandler(
                NnoServices.Iam, sp.GetRequiredService<ServiceBindingOptions>(), sp.GetService<ServiceDirectory>()))
            .RedactLoggedHeaders(RedactEveryHeader);
        return services;
    }

    /// <summary>Adds this service's token (<c>Authorization: Bearer …</c>) to every request of the client.</summary>
    public static IHttpClientBuilder AddNnoServiceToken(this IHttpClientBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder
            .AddHttpMessageHandler(sp => new ServiceTokenHandler(sp.GetRequiredService<IServiceTokenProvider>()))
            .RedactLoggedHeaders(RedactEveryHeader);
    }

    /// <summary>
    /// Header values of calls between services are never logged (HttpClientFactory's Trace header lines): besides the
    /// service token they carry the gateway's <c>X-Nno-Session-Token</c> and client secrets. Listing only
    /// <c>Authorization</c> would replace the factory's redact-everything default with something weaker.
    /// </summary>
    private static readonly Func<string, bool> RedactEveryHeader = static _ => true;

    /// <summary>The credential of an <c>Authorization: Bearer …</c> header, or null when there is none (or several).</summary>
    public static string? GetBearerToken(this HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var header = request.Headers.Authorization;
        if (header.Count != 1 || !AuthenticationHeaderValue.TryParse(header[0], out var value)
            || !string.Equals(value.Scheme, "Bearer", StringComparison.OrdinalIgnoreCase) || string.IsNullOrWhiteSpace(value.Parameter))
        {
            return null;
        }

        return value.Parameter.Trim();
    }

    /// <summary>Resolves the principal of every request and applies the route allowlists. Runs after <c>UseRouting</c>.</summary>
    public static IApplicationBuilder UseNnoPrincipal(this IApplicationBuilder app) => app.UseMiddleware<PrincipalMiddleware>();
}

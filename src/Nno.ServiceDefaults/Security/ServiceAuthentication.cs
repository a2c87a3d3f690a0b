using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Nno.ServiceDefaults.Security;

// PLACEHOLDER — replaced by the service-token work (issue 2 item 5).
public static class ServiceAuthentication
{
    public static IServiceCollection AddNnoServiceAuthentication(this IServiceCollection services, string serviceName) => services;

    public static IHttpClientBuilder AddNnoServiceToken(this IHttpClientBuilder builder) => builder;

    public static IApplicationBuilder UseNnoPrincipal(this IApplicationBuilder app) => app;
}

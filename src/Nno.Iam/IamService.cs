using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Nno.Core.Services;
using Nno.ServiceDefaults.Hosting;

namespace Nno.Iam;

/// <summary>The iam service: how the host adds it and maps its endpoints.</summary>
public static class IamService
{
    /// <summary>The module the host builds into its own application.</summary>
    public static NnoServiceModule Module { get; } = new(NnoServices.IamInfo, b => b.AddIam(), a => a.MapIam());

    public static IHostApplicationBuilder AddIam(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder;
    }

    public static IEndpointRouteBuilder MapIam(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app;
    }
}

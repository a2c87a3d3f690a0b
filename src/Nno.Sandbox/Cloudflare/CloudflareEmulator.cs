using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Nno.Sandbox.Cloudflare.Admin;
using Nno.Sandbox.Cloudflare.Common;
using Nno.Sandbox.Cloudflare.Pipeline;

namespace Nno.Sandbox.Cloudflare;

/// <summary>Adds the Cloudflare emulator (provisioning.md §5.1) to the Sandbox application.</summary>
public static class CloudflareEmulator
{
    /// <summary>The REST base path.</summary>
    public const string BasePath = CloudflarePipelineMiddleware.BasePath;

    /// <summary>Registers the shared services and every area's services.</summary>
    public static IHostApplicationBuilder AddCloudflareEmulator(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<CloudflareOptions>().BindConfiguration(CloudflareOptions.Section);
        builder.Services.AddSingleton<CloudflareFaults>();
        builder.Services.AddSingleton<CloudflareState>();
        builder.Services.AddSingleton<CloudflareRateLimiter>();
        builder.Services.AddSingleton<CloudflareRequestLog>();
        builder.Services.AddSingleton<CloudflareUsage>();
        foreach (var area in CloudflareAreas.All)
        {
            area.AddServices?.Invoke(builder.Services);
        }

        return builder;
    }

    /// <summary>The pipeline of every <c>/cloudflare/</c> request (after routing, before the endpoints).</summary>
    public static IApplicationBuilder UseCloudflareEmulator(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.UseMiddleware<CloudflarePipelineMiddleware>();
    }

    /// <summary>Creates the tables and maps the admin API and every area's routes.</summary>
    public static IEndpointRouteBuilder MapCloudflareEmulator(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var state = app.ServiceProvider.GetRequiredService<CloudflareState>();
        state.EnsureSchemaAsync(CloudflareAreas.All).GetAwaiter().GetResult();

        CloudflareAdminApi.Map(app);
        var api = app.MapGroup(BasePath);
        var account = api.MapGroup("/accounts/{accountId}").AddEndpointFilter(async (context, next) =>
        {
            var id = context.HttpContext.GetRouteValue("accountId") as string;
            return id == state.AccountId
                ? await next(context)
                : throw CloudflareException.NotFound(CloudflareErrorCodes.InvalidObjectIdentifier,
                    $"Could not route to /accounts/{id}, perhaps your object identifier is invalid?");
        });
        var zone = api.MapGroup("/zones/{zoneId}").AddEndpointFilter(async (context, next) =>
        {
            var id = context.HttpContext.GetRouteValue("zoneId") as string;
            return id == state.ZoneId
                ? await next(context)
                : throw CloudflareException.NotFound(CloudflareErrorCodes.InvalidObjectIdentifier,
                    $"Could not route to /zones/{id}, perhaps your object identifier is invalid?");
        });
        var groups = new CloudflareRouteGroups(app, api, account, zone);
        foreach (var area in CloudflareAreas.All)
        {
            area.Map(groups);
        }

        return app;
    }
}

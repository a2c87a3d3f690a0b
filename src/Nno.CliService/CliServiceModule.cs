using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Nno.CliService.Data;
using Nno.Core.Services;
using Nno.ServiceDefaults.Data;
using Nno.ServiceDefaults.Hosting;
using Nno.ServiceDefaults.Idempotency;
using Nno.Storage;

namespace Nno.CliService;

/// <summary>The cli service: how the host adds it and maps its endpoints.</summary>
public static class CliServiceModule
{
    /// <summary>The module the host builds into its own application.</summary>
    public static NnoServiceModule Module { get; } = new(NnoServices.CliInfo, b => b.AddCliService(), a => a.MapCliService());

    public static IHostApplicationBuilder AddCliService(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddNnoDatabase<CliDbContext>(CliDbContext.DatabaseName);
        builder.Services.AddNnoIdempotency<CliDbContext>();
        // Embedded KV namespaces and queues (Redis/RabbitMQ in distributed mode, same interfaces).
        builder.Services.AddNnoEmbeddedStorage();
        return builder;
    }

    public static IEndpointRouteBuilder MapCliService(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app;
    }
}

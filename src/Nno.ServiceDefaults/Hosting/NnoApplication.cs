using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Nno.Core.Services;
using Nno.ServiceDefaults.Bindings;

namespace Nno.ServiceDefaults.Hosting;

/// <summary>A service as the host sees it: who it is, how it adds its services and how it maps its endpoints.</summary>
public sealed record NnoServiceModule(NnoServiceInfo Info, Action<WebApplicationBuilder> Add, Action<WebApplication> Map)
{
    /// <summary>
    /// False for the gateway: its callers are clients, not services, so it does not run the service-token principal
    /// middleware (it authenticates callers itself).
    /// </summary>
    public bool AcceptsServiceTokens { get; init; } = true;

    /// <summary>Middleware the service adds after the request-id and error middleware, before routing (the gateway pipeline).</summary>
    public Action<WebApplication>? UseBeforeRouting { get; init; }
}

/// <summary>How one service application is built.</summary>
public sealed class NnoApplicationSettings
{
    /// <summary>Command-line arguments (configuration overrides such as <c>--Nno:Environment=dev</c>).</summary>
    public string[] Args { get; init; } = [];

    /// <summary>Extra configuration, applied after files and environment variables (the host's generated secrets, test settings).</summary>
    public IDictionary<string, string?> Settings { get; init; } = new Dictionary<string, string?>();

    /// <summary>The in-process directory for in-memory bindings (all-in-one), or null (distributed).</summary>
    public ServiceDirectory? Directory { get; init; }

    /// <summary>Whether the application also listens on a TCP port (false: reachable only in memory).</summary>
    public bool Listen { get; init; } = true;

    /// <summary>
    /// True when a host runs several applications and handles process signals itself (all-in-one): the application then
    /// does not install its own console lifetime.
    /// </summary>
    public bool HostManagesLifetime { get; init; }

    /// <summary>Last-minute changes to the builder (tests replace services here).</summary>
    public Action<WebApplicationBuilder>? ConfigureBuilder { get; init; }

    /// <summary>Middleware added before the service defaults (tests record requests here).</summary>
    public Action<WebApplication>? ConfigurePipeline { get; init; }
}

/// <summary>Builds NNO service applications: the same code for the all-in-one host, distributed mode and tests.</summary>
public static class NnoApplication
{
    /// <summary>The configuration key of a service's listening port (default: 00-system §3).</summary>
    public static string PortKey(string service) => $"Nno:Ports:{service}";

    /// <summary>Builds <paramref name="module"/> as its own ASP.NET Core application with its own container and pipeline.</summary>
    public static WebApplication Build(NnoServiceModule module, NnoApplicationSettings settings)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(settings);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = settings.Args,
            ContentRootPath = AppContext.BaseDirectory,
            ApplicationName = module.Add.Method.DeclaringType?.Assembly.GetName().Name,
        });
        builder.Configuration.AddInMemoryCollection(settings.Settings);
        // Environment variables NNO documents without a prefix (NNO_SERVICE_CLIENT_SECRET) map onto options.
        var secret = builder.Configuration["NNO_SERVICE_CLIENT_SECRET"];
        if (!string.IsNullOrEmpty(secret) && string.IsNullOrEmpty(builder.Configuration["Nno:ServiceClientSecret"]))
        {
            builder.Configuration["Nno:ServiceClientSecret"] = secret;
        }

        var dataDir = builder.Configuration["NNO_DATA_DIR"];
        if (!string.IsNullOrEmpty(dataDir) && string.IsNullOrEmpty(builder.Configuration["Nno:DataDir"]))
        {
            builder.Configuration["Nno:DataDir"] = dataDir;
        }

        builder.WebHost.UseKestrel(k =>
        {
            var address = IPAddress.Parse(builder.Configuration["Nno:BindAddress"] ?? "127.0.0.1");
            var port = builder.Configuration.GetValue(PortKey(module.Info.Name), module.Info.DefaultPort);
            k.Listen(address, port);
        });
        builder.WebHost.UseShutdownTimeout(builder.Configuration.GetValue("Nno:Limits:ShutdownTimeout", TimeSpan.FromSeconds(15)));

        builder.AddNnoServiceDefaults(module.Info.Name);
        if (settings.Directory is not null)
        {
            builder.Services.AddSingleton(settings.Directory);
            builder.Services.AddSingleton<Evictions.ICredentialEvictionChannel>(settings.Directory.Evictions);
        }

        module.Add(builder);
        if (settings.HostManagesLifetime)
        {
            builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostLifetime, HostManagedLifetime>();
        }

        settings.ConfigureBuilder?.Invoke(builder);
        UseInMemoryServer(builder.Services, settings.Listen);

        var app = builder.Build();
        settings.ConfigurePipeline?.Invoke(app);
        app.UseNnoServiceDefaults(module.AcceptsServiceTokens, module.UseBeforeRouting);
        module.Map(app);
        settings.Directory?.Register(module.Info.Name, app.GetInMemoryServer());
        return app;
    }

    /// <summary>The in-memory server of an application built by <see cref="Build"/>.</summary>
    public static InMemoryServer GetInMemoryServer(this WebApplication app) =>
        (InMemoryServer)app.Services.GetRequiredService<IServer>();

    /// <summary>The addresses the application listens on once started (its real port when configured as 0).</summary>
    public static IReadOnlyList<Uri> GetListenAddresses(this WebApplication app)
    {
        var server = app.GetInMemoryServer();
        var addresses = server.Inner?.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        return addresses.Select(a => new Uri(a.Replace("[::]", "127.0.0.1", StringComparison.Ordinal), UriKind.Absolute)).ToArray();
    }

    /// <summary>Replaces the registered server with an <see cref="InMemoryServer"/> wrapping it (or standing alone).</summary>
    private static void UseInMemoryServer(IServiceCollection services, bool listen)
    {
        var existing = services.LastOrDefault(d => d.ServiceType == typeof(IServer));
        if (existing is not null)
        {
            services.Remove(existing);
        }

        services.AddSingleton<IServer>(sp =>
        {
            IServer? inner = null;
            if (listen && existing is not null)
            {
                inner = existing.ImplementationInstance as IServer
                    ?? existing.ImplementationFactory?.Invoke(sp) as IServer
                    ?? (IServer)ActivatorUtilities.CreateInstance(sp, existing.ImplementationType!);
            }

            return new InMemoryServer(inner);
        });
    }
}

/// <summary>A lifetime that leaves signal handling to the process host (all-in-one runs several applications).</summary>
internal sealed class HostManagedLifetime : Microsoft.Extensions.Hosting.IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

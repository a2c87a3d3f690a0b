using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Nno.Sandbox.Cloudflare;
using Nno.Sandbox.Stripe;

namespace Nno.Sandbox;

/// <summary>How the Sandbox application is built.</summary>
public sealed class SandboxApplicationSettings
{
    /// <summary>Command-line arguments (configuration overrides).</summary>
    public string[] Args { get; init; } = [];

    /// <summary>Extra configuration, applied after files, environment variables and arguments.</summary>
    public IDictionary<string, string?> Settings { get; init; } = new Dictionary<string, string?>();

    /// <summary>The clock every emulator reads (tests pass a fake one); the system clock when null.</summary>
    public TimeProvider? Time { get; init; }

    /// <summary>The port to listen on; null reads <c>Nno:Ports:sandbox</c> (default 8799). 0 picks a free port.</summary>
    public int? Port { get; init; }

    /// <summary>
    /// True when a host runs several applications and handles process signals itself (all-in-one): the application then
    /// does not install its own console lifetime.
    /// </summary>
    public bool HostManagesLifetime { get; init; }
}

/// <summary>
/// The Sandbox (00-system §12): offline emulators of the external APIs, one ASP.NET Core application on 127.0.0.1:8799.
/// The Cloudflare emulator (provisioning.md §5.1) and the Stripe emulator (billing.md §5.1).
/// </summary>
public static class SandboxApplication
{
    /// <summary>The service name used for its port key and its line in the host's address list.</summary>
    public const string Name = "sandbox";

    /// <summary>The default port (00-system ports table).</summary>
    public const int DefaultPort = 8799;

    /// <summary>The configuration key of the listening port.</summary>
    public const string PortKey = "Nno:Ports:sandbox";

    /// <summary>Builds the application (not started).</summary>
    public static WebApplication Build(SandboxApplicationSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = settings.Args,
            ContentRootPath = AppContext.BaseDirectory,
            ApplicationName = typeof(SandboxApplication).Assembly.GetName().Name,
        });
        builder.Configuration.AddInMemoryCollection(settings.Settings);
        var port = settings.Port ?? builder.Configuration.GetValue(PortKey, DefaultPort);
        // Loopback only: the emulators accept fixed, published credentials.
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        builder.WebHost.UseShutdownTimeout(TimeSpan.FromSeconds(5));
        if (settings.Time is not null)
        {
            builder.Services.RemoveAll<TimeProvider>();
            builder.Services.AddSingleton(settings.Time);
        }
        else
        {
            builder.Services.TryAddSingleton(TimeProvider.System);
        }

        if (settings.HostManagesLifetime)
        {
            builder.Services.AddSingleton<IHostLifetime, HostManagedLifetime>();
        }

        builder.Services.AddOptions<SandboxOptions>().BindConfiguration(SandboxOptions.Section);
        builder.AddCloudflareEmulator();
        builder.AddStripeEmulator();

        var app = builder.Build();
        app.UseRouting();
        app.UseCloudflareEmulator();
        app.UseStripeEmulator();
        app.MapCloudflareEmulator();
        app.MapStripeEmulator();
        app.MapGet("/health", () => TypedResults.Ok(new { status = "ok" }))
            .WithName("SandboxHealth").WithSummary("Whether the Sandbox is up.").WithTags("Sandbox");
        return app;
    }

    /// <summary>The address the application listens on once started (its real port when configured as 0).</summary>
    public static Uri GetListenAddress(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var first = addresses.FirstOrDefault() ?? throw new InvalidOperationException("The Sandbox is not listening yet.");
        return new Uri(first.TrimEnd('/'), UriKind.Absolute);
    }

    private sealed class HostManagedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

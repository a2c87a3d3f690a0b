using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Nno.Core.Services;
using Nno.ServiceDefaults.Hosting;
using Nno.ServiceDefaults.Security;
using Nno.Testing;

namespace Nno.Gateway.Tests.Support;

/// <summary>
/// The gateway application alone (no other service in the process), with a fake service token: for start-up checks, for
/// settings the shared platform does not have (environment, CORS origins) and, with a port, for Kestrel over a real socket.
/// Upstreams are reached through <c>NNO_*_URL</c> when a test sets them; the others are unreachable.
/// </summary>
public sealed class StandaloneGateway : IAsyncDisposable
{
    private readonly TempDirectory _dataDir;

    private StandaloneGateway(WebApplication app, TempDirectory dataDir, int? port)
    {
        App = app;
        _dataDir = dataDir;
        Port = port;
        Client = new HttpClient(app.GetInMemoryServer().CreateHandler(NnoServices.Gateway))
        {
            BaseAddress = Nno.ServiceDefaults.Bindings.ServiceBindingRegistration.InProcessAddress(NnoServices.Gateway),
        };
    }

    public WebApplication App { get; }

    /// <summary>The TCP port the gateway listens on (127.0.0.1), or null when it is reachable only in memory.</summary>
    public int? Port { get; }

    /// <summary>A client into the gateway's pipeline in memory, without credentials.</summary>
    public HttpClient Client { get; }

    public static async Task<StandaloneGateway> StartAsync(IDictionary<string, string?>? settings = null, bool listen = false)
    {
        var dataDir = new TempDirectory();
        var port = listen ? FreePort.Get() : (int?)null;
        WebApplication? app = null;
        try
        {
            app = NnoApplication.Build(GatewayService.Module, Settings(dataDir, settings, port));
            await app.StartAsync();
            return new StandaloneGateway(app, dataDir, port);
        }
        catch
        {
            if (app is not null)
            {
                await app.DisposeAsync();
            }

            dataDir.Dispose();
            throw;
        }
    }

    /// <summary>Asserts the gateway refuses to start with <paramref name="settings"/>; returns the validation failure.</summary>
    public static async Task<OptionsValidationException> AssertRefusesToStartAsync(IDictionary<string, string?> settings)
    {
        using var dataDir = new TempDirectory();
        WebApplication? app = null;
        try
        {
            var thrown = await Assert.ThrowsAnyAsync<Exception>(async () =>
            {
                app = NnoApplication.Build(GatewayService.Module, Settings(dataDir, settings, port: null));
                await app.StartAsync();
            });
            // Options may first be read while the pipeline is built, so the failure may arrive wrapped.
            var error = thrown;
            while (error is not OptionsValidationException && error.InnerException is not null)
            {
                error = error.InnerException;
            }

            return Assert.IsType<OptionsValidationException>(error);
        }
        finally
        {
            if (app is not null)
            {
                await app.DisposeAsync();
            }
        }
    }

    private static NnoApplicationSettings Settings(TempDirectory dataDir, IDictionary<string, string?>? settings, int? port)
    {
        var all = new Dictionary<string, string?>
        {
            ["Nno:DataDir"] = dataDir.Path,
            ["Logging:LogLevel:Default"] = "None",
            ["AUTH_API_KEY"] = GatewayPlatform.StaticKey,
        };
        if (port is { } p)
        {
            all[NnoApplication.PortKey(NnoServices.Gateway)] = p.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        return new NnoApplicationSettings
        {
            Listen = port is not null,
            Settings = all,
            ConfigureBuilder = b => b.Services.AddSingleton<IServiceTokenProvider>(new FakeServiceTokenProvider()),
        };
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.DisposeAsync();
        _dataDir.Dispose();
    }
}

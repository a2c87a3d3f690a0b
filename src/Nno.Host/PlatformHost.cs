using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Nno.Core.Services;
using Nno.Sandbox;
using Nno.ServiceDefaults.Bindings;
using Nno.ServiceDefaults.Hosting;

namespace Nno.Host;

/// <summary>What the all-in-one host runs and how (tests set their own values).</summary>
public sealed class PlatformHostSettings
{
    /// <summary>Command-line arguments, passed to every application as configuration.</summary>
    public string[] Args { get; init; } = [];

    /// <summary>Configuration applied to every application (after files, environment and arguments).</summary>
    public IDictionary<string, string?> Settings { get; init; } = new Dictionary<string, string?>();

    /// <summary>Service names to run; null runs all of them.</summary>
    public IReadOnlyCollection<string>? Services { get; init; }

    /// <summary>Whether each service also listens on its TCP port.</summary>
    public bool Listen { get; init; } = true;

    /// <summary>Per-service builder changes (tests).</summary>
    public Action<string, WebApplicationBuilder>? ConfigureBuilder { get; init; }

    /// <summary>Per-service middleware added before the defaults (tests).</summary>
    public Action<string, WebApplication>? ConfigurePipeline { get; init; }
}

/// <summary>
/// The all-in-one platform: every service as its own ASP.NET Core application in one process, reachable through its
/// port and through in-memory bindings (00-system §3). IAM starts first; the gateway last.
/// </summary>
public sealed class PlatformHost : IAsyncDisposable
{
    private readonly List<(NnoServiceModule Module, WebApplication App)> _apps = [];
    private WebApplication? _sandbox;
    private bool _started;

    private PlatformHost(string environment, string dataDir, ServiceDirectory directory)
    {
        Environment = environment;
        DataDir = dataDir;
        Directory = directory;
    }

    public string Environment { get; }

    public string DataDir { get; }

    public ServiceDirectory Directory { get; }

    /// <summary>The running applications by service name.</summary>
    public IReadOnlyDictionary<string, WebApplication> Apps => _apps.ToDictionary(a => a.Module.Info.Name, a => a.App, StringComparer.Ordinal);

    /// <summary>Resolves configuration, generates secrets on first start and builds every application.</summary>
    public static PlatformHost Build(PlatformHostSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var configuration = BootstrapConfiguration(settings.Args, settings.Settings);
        var environment = configuration["Nno:Environment"] ?? "local";
        var dataDir = Path.GetFullPath(configuration["Nno:DataDir"] ?? configuration["NNO_DATA_DIR"] ?? Path.Combine(".nno", environment));
        System.IO.Directory.CreateDirectory(dataDir);
        var secrets = ServiceClientSecrets.LoadOrCreate(dataDir);
        var generatedStaticKey = environment == "local"
            && (settings.Services is null || settings.Services.Contains(NnoServices.Gateway))
            && string.IsNullOrEmpty(configuration["AUTH_API_KEY"])
            && configuration.GetValue("Gateway:StaticKeyEnabled", true)
                ? StaticServiceKey.LoadOrCreate(dataDir)
                : null;

        var host = new PlatformHost(environment, dataDir, new ServiceDirectory());
        // The Sandbox (00-system §12) serves only local/dev and needs a real socket (the S3 SDK, dropped connections);
        // in-memory test platforms start their own with Nno.Testing's TestSandbox.
        int? sandboxPort = null;
        if (environment is "local" or "dev" && settings.Listen && configuration.GetValue("Sandbox:Enabled", true))
        {
            sandboxPort = SandboxWiring.ResolvePort(configuration);
            host._sandbox = SandboxApplication.Build(new SandboxApplicationSettings
            {
                Port = sandboxPort,
                Args = settings.Args,
                Settings = new Dictionary<string, string?>(settings.Settings) { ["Nno:Environment"] = environment, ["Nno:DataDir"] = dataDir },
                HostManagesLifetime = true,
            });
        }

        foreach (var module in ServiceCatalog.All)
        {
            if (settings.Services is not null && !settings.Services.Contains(module.Info.Name))
            {
                continue;
            }

            var perService = new Dictionary<string, string?>(settings.Settings)
            {
                ["Nno:Environment"] = environment,
                ["Nno:DataDir"] = dataDir,
            };
            if (secrets.TryGetValue(module.Info.Name, out var own))
            {
                perService["Nno:ServiceClientSecret"] = own;
            }

            if (module.Info.Name == NnoServices.Gateway && generatedStaticKey is not null)
            {
                perService["AUTH_API_KEY"] = generatedStaticKey;
                perService["Gateway:StaticKeyFile"] = StaticServiceKey.PathFor(dataDir);
            }

            if (module.Info.Name == NnoServices.Provisioning && sandboxPort is { } port)
            {
                SandboxWiring.ConfigureProvisioning(configuration, port, perService);
            }

            if (module.Info.Name == NnoServices.Billing && sandboxPort is { } stripePort)
            {
                SandboxWiring.ConfigureBilling(configuration, stripePort, perService);
            }

            if (module.Info.Name == NnoServices.Iam)
            {
                foreach (var (client, secret) in secrets)
                {
                    perService[$"Iam:ServiceClients:{client}"] = secret;
                }
            }

            var app = NnoApplication.Build(module, new NnoApplicationSettings
            {
                Args = settings.Args,
                Settings = perService,
                Directory = host.Directory,
                Listen = settings.Listen,
                HostManagesLifetime = true,
                ConfigureBuilder = settings.ConfigureBuilder is null ? null : b => settings.ConfigureBuilder(module.Info.Name, b),
                ConfigurePipeline = settings.ConfigurePipeline is null ? null : a => settings.ConfigurePipeline(module.Info.Name, a),
            });
            host._apps.Add((module, app));
        }

        return host;
    }

    /// <summary>Starts the applications in order (the Sandbox, then IAM first).</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_sandbox is not null)
        {
            await _sandbox.StartAsync(cancellationToken);
        }

        foreach (var (_, app) in _apps)
        {
            await app.StartAsync(cancellationToken);
        }

        _started = true;
    }

    /// <summary>Stops the applications in reverse order (the gateway first, so no new work arrives).</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (!_started)
        {
            return;
        }

        _started = false;
        for (var i = _apps.Count - 1; i >= 0; i--)
        {
            await _apps[i].App.StopAsync(cancellationToken);
        }

        if (_sandbox is not null)
        {
            await _sandbox.StopAsync(cancellationToken);
        }
    }

    /// <summary>An HTTP client that reaches <paramref name="service"/> through its in-memory binding.</summary>
    public HttpClient CreateInMemoryClient(string service) =>
        new(Directory.CreateHandler(service)) { BaseAddress = ServiceBindingRegistration.InProcessAddress(service) };

    /// <summary>Human-readable lines naming every service's address.</summary>
    public IEnumerable<string> DescribeAddresses()
    {
        foreach (var (module, app) in _apps)
        {
            var addresses = app.GetListenAddresses();
            var address = addresses.Count > 0 ? addresses[0].ToString().TrimEnd('/') : "(in memory only)";
            yield return $"  {module.Info.Name,-15} {address}";
        }

        if (_sandbox is not null)
        {
            yield return $"  {SandboxApplication.Name,-15} {_sandbox.GetListenAddress()} (Cloudflare emulator: /cloudflare/client/v4, admin /cloudflare/_admin)";
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        for (var i = _apps.Count - 1; i >= 0; i--)
        {
            await _apps[i].App.DisposeAsync();
        }

        _apps.Clear();
        if (_sandbox is not null)
        {
            await _sandbox.DisposeAsync();
            _sandbox = null;
        }
    }

    /// <summary>The configuration the host reads before building any application (files, environment, arguments).</summary>
    public static IConfiguration BootstrapConfiguration(string[] args, IDictionary<string, string?>? settings = null) =>
        new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(args)
            .AddInMemoryCollection(settings ?? new Dictionary<string, string?>())
            .Build();

    /// <summary>Waits for SIGINT or SIGTERM.</summary>
    public static async Task WaitForShutdownSignalAsync(CancellationToken cancellationToken = default)
    {
        var signalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; signalled.TrySetResult(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; signalled.TrySetResult(); });
        await signalled.Task.WaitAsync(cancellationToken);
    }
}

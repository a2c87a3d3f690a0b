using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using Nno.Host;

namespace Nno.Testing;

/// <summary>
/// The all-in-one platform (or a subset of its services) in memory, on a fresh temp data directory, with a shared
/// fake clock. No ports are opened unless <c>listen</c> is true. Dispose to stop it and delete its data.
/// </summary>
public sealed class TestPlatform : IAsyncDisposable
{
    private readonly TempDirectory _dataDir;

    private TestPlatform(TempDirectory dataDir, PlatformHost host, FakeTimeProvider time)
    {
        _dataDir = dataDir;
        Host = host;
        Time = time;
    }

    public PlatformHost Host { get; }

    /// <summary>The clock every service of this platform reads.</summary>
    public FakeTimeProvider Time { get; }

    public string DataDir => _dataDir.Path;

    /// <summary>Builds and starts the platform.</summary>
    /// <param name="services">Services to run (null: all).</param>
    /// <param name="settings">Extra configuration for every service.</param>
    /// <param name="configureBuilder">Per-service builder changes, after the platform's own.</param>
    /// <param name="configurePipeline">Per-service middleware before the defaults.</param>
    /// <param name="dataDir">Reuse a data directory (restart tests); a new temp directory otherwise.</param>
    /// <param name="time">Share a clock across restarts; a new fake clock at 2026-01-01 otherwise.</param>
    public static async Task<TestPlatform> StartAsync(
        IReadOnlyCollection<string>? services = null,
        IDictionary<string, string?>? settings = null,
        Action<string, WebApplicationBuilder>? configureBuilder = null,
        Action<string, WebApplication>? configurePipeline = null,
        TempDirectory? dataDir = null,
        FakeTimeProvider? time = null)
    {
        var ownsDataDir = dataDir is null;
        dataDir ??= new TempDirectory();
        time ??= new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var all = new Dictionary<string, string?>
        {
            ["Nno:Environment"] = "local",
            ["Nno:DataDir"] = dataDir.Path,
            ["Logging:LogLevel:Default"] = "Warning",
            // The production 200 ms is for a warm process; a first check on a loaded test machine may need longer. The
            // overrun itself is tested in Nno.ServiceDefaults.Tests with its own short limit.
            ["Nno:Limits:ReadinessCheckTimeout"] = "00:00:10",
            // Billing resolves its Stripe prices at start. Without a Sandbox of its own a test platform points it at the
            // closed discard port, never at a Sandbox another test or a developer runs on 8799; Billing tests that need
            // Stripe start a TestSandbox and set this key.
            ["Billing:Stripe:ApiBaseUrl"] = "http://127.0.0.1:9/stripe",
        };
        // Every test client comes from one address; rate-limit tests set the limits they exercise (gateway.md §4.7).
        foreach (var (key, value) in Nno.Gateway.RateLimiting.GatewayRateLimitSettings.AllAt(1_000_000_000))
        {
            all[key] = value;
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        PlatformHost? host = null;
        try
        {
            host = PlatformHost.Build(new PlatformHostSettings
            {
                Services = services,
                Settings = all,
                Listen = false,
                ConfigureBuilder = (name, builder) =>
                {
                    builder.Services.RemoveAll<TimeProvider>();
                    builder.Services.AddSingleton<TimeProvider>(time);
                    configureBuilder?.Invoke(name, builder);
                },
                ConfigurePipeline = configurePipeline,
            });
            await host.StartAsync();
            return new TestPlatform(dataDir, host, time);
        }
        catch
        {
            // A platform that failed to start leaves nothing behind (a directory the caller passed in stays theirs).
            if (host is not null)
            {
                await host.DisposeAsync();
            }

            if (ownsDataDir)
            {
                dataDir.Dispose();
            }

            throw;
        }
    }

    /// <summary>A client that reaches <paramref name="service"/> in memory (no service token attached).</summary>
    public HttpClient Client(string service) => Host.CreateInMemoryClient(service);

    /// <summary>Stops the platform without deleting its data (to restart on the same directory).</summary>
    public async Task StopKeepingDataAsync() => await Host.DisposeAsync();

    /// <summary>The data directory, handed over so a restart test can reuse it.</summary>
    public TempDirectory DataDirectory => _dataDir;

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        _dataDir.Dispose();
    }
}

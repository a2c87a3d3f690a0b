using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Nno.Core.Services;
using Nno.ServiceDefaults.Security;
using Nno.Testing;

namespace Nno.Gateway.Tests.Support;

/// <summary>
/// A test platform whose upstream services are replaced by <see cref="UpstreamRecorder"/>, with a fake service token for
/// the gateway and every log entry captured. Call the gateway through <see cref="Gateway"/>.
/// </summary>
public sealed class GatewayPlatform : IAsyncDisposable
{
    private GatewayPlatform(TestPlatform platform, UpstreamRecorder recorder, FakeServiceTokenProvider tokens, LogSink logs)
    {
        Platform = platform;
        Recorder = recorder;
        Tokens = tokens;
        Logs = logs;
        Gateway = platform.Client(NnoServices.Gateway);
    }

    public TestPlatform Platform { get; }

    public UpstreamRecorder Recorder { get; }

    public FakeServiceTokenProvider Tokens { get; }

    public LogSink Logs { get; }

    /// <summary>A client into the gateway's pipeline (in memory).</summary>
    public HttpClient Gateway { get; }

    public static async Task<GatewayPlatform> StartAsync(IReadOnlyCollection<string>? services = null, IDictionary<string, string?>? settings = null)
    {
        var recorder = new UpstreamRecorder();
        var tokens = new FakeServiceTokenProvider();
        var logs = new LogSink();
        var all = new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Information",
            // The production 200 ms is for a warm process; a first check on a loaded test machine may need longer.
            ["Nno:Limits:ReadinessCheckTimeout"] = "00:00:10",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        var platform = await TestPlatform.StartAsync(
            services,
            all,
            configureBuilder: (name, builder) =>
            {
                builder.Logging.ClearProviders();
                builder.Logging.AddProvider(logs.CreateProvider(name));
                builder.Logging.AddFilter("Nno", LogLevel.Debug);
                if (name == NnoServices.Gateway)
                {
                    builder.Services.AddSingleton<IServiceTokenProvider>(tokens);
                }
            },
            configurePipeline: (name, app) =>
            {
                if (name != NnoServices.Gateway)
                {
                    recorder.Install(name, app);
                }
            });
        return new GatewayPlatform(platform, recorder, tokens, logs);
    }

    /// <summary>A request carrying a fresh valid request id, so the upstream's record of it can be found.</summary>
    public static HttpRequestMessage Request(HttpMethod method, string url, out string requestId)
    {
        requestId = "t-" + Guid.NewGuid().ToString("N");
        var request = new HttpRequestMessage(method, url);
        request.Headers.TryAddWithoutValidation("X-Request-Id", requestId);
        return request;
    }

    public async ValueTask DisposeAsync()
    {
        Gateway.Dispose();
        await Platform.DisposeAsync();
    }
}

/// <summary>The shared platform of the main gateway tests (all services, short timeout on the provisioning route).</summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    /// <summary>The provisioning route's timeout in these tests.</summary>
    public const double ProvisioningTimeoutSeconds = 0.5;

    private GatewayPlatform? _platform;

    public GatewayPlatform Platform => _platform ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync() =>
        _platform = await GatewayPlatform.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Gateway:Routes:provisioning:TimeoutSeconds"] = ProvisioningTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });

    public async Task DisposeAsync()
    {
        if (_platform is not null)
        {
            await _platform.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<GatewayFixture>
{
    public const string Name = "gateway";
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nno.Core.Platforms;
using Nno.Core.Services;
using Nno.ServiceDefaults.Security;
using Nno.Storage;
using Nno.Storage.Sqlite;
using Nno.Testing;

namespace Nno.Gateway.Tests.Support;

/// <summary>
/// A test platform whose upstream services are replaced by <see cref="UpstreamRecorder"/>, with a fake service token for
/// the gateway and every log entry captured. Call the gateway through <see cref="Gateway"/>.
/// </summary>
public sealed class GatewayPlatform : IAsyncDisposable
{
    /// <summary>The static service key (<c>AUTH_API_KEY</c>) of test platforms.</summary>
    public const string StaticKey = "test-static-key-0123456789abcdefghijklmnopqrstuv";

    /// <summary>The second static key (<c>AUTH_API_KEY_NEXT</c>) of test platforms.</summary>
    public const string NextStaticKey = "test-next-static-key-zyxwvutsrqponmlkjihgfedcba98";

    /// <summary>The bearer token of <see cref="DefaultSession"/>.</summary>
    public const string DefaultSessionToken = "default-session-token-2b7e151628aed2a6abf7158809cf4f3c";

    /// <summary>A plain user session every test platform's IAM knows.</summary>
    public static readonly TestSession DefaultSession = new("usr_default01", "ses_default01", new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero));

    private readonly Lazy<SqliteKeyValueStore> _kv;

    private GatewayPlatform(TestPlatform platform, UpstreamRecorder recorder, FakeServiceTokenProvider? tokens, LogSink logs, TestIam iam)
    {
        // The test's own store on the platform's KV files, as the Registry (another application) writes them.
        _kv = new Lazy<SqliteKeyValueStore>(() => new SqliteKeyValueStore(Options.Create(new NnoStorageOptions { DataDir = platform.DataDir }), platform.Time));
        Platform = platform;
        Recorder = recorder;
        FakeTokens = tokens;
        Logs = logs;
        Iam = iam;
        Gateway = platform.Client(NnoServices.Gateway);
        User = WithBearer(DefaultSessionToken);
        Service = WithBearer(StaticKey);
    }

    public TestPlatform Platform { get; }

    public UpstreamRecorder Recorder { get; }

    /// <summary>The gateway's fake service token; throws when the platform uses the real one.</summary>
    public FakeServiceTokenProvider Tokens => FakeTokens ?? throw new InvalidOperationException("This platform uses real service tokens.");

    public FakeServiceTokenProvider? FakeTokens { get; }

    /// <summary>The test IAM in front of IAM's pipeline (canned sessions and API keys, call counters, outages).</summary>
    public TestIam Iam { get; }

    public LogSink Logs { get; }

    /// <summary>A client into the gateway's pipeline (in memory), sending no credential of its own.</summary>
    public HttpClient Gateway { get; }

    /// <summary>A client into the gateway that authenticates as <see cref="DefaultSession"/> unless a request has its own <c>Authorization</c>.</summary>
    public HttpClient User { get; }

    /// <summary>A client into the gateway that authenticates with the static service key unless a request has its own <c>Authorization</c>.</summary>
    public HttpClient Service { get; }

    /// <summary>A client into the gateway that sends <paramref name="credential"/> as bearer unless a request has its own <c>Authorization</c>.</summary>
    public HttpClient WithBearer(string credential) =>
        new(new DefaultBearerHandler(credential) { InnerHandler = Platform.Host.Directory.CreateHandler(NnoServices.Gateway) })
        {
            BaseAddress = Nno.ServiceDefaults.Bindings.ServiceBindingRegistration.InProcessAddress(NnoServices.Gateway),
        };

    /// <param name="services">Services to run (null: all).</param>
    /// <param name="settings">Extra configuration.</param>
    /// <param name="realServiceToken">True: the gateway obtains real tokens from IAM instead of the fake one.</param>
    /// <param name="configureGateway">Changes to the gateway's services only, after its own registrations.</param>
    public static async Task<GatewayPlatform> StartAsync(IReadOnlyCollection<string>? services = null, IDictionary<string, string?>? settings = null, bool realServiceToken = false, Action<IServiceCollection>? configureGateway = null)
    {
        var recorder = new UpstreamRecorder();
        var tokens = realServiceToken ? null : new FakeServiceTokenProvider();
        var logs = new LogSink();
        var iam = new TestIam();
        iam.AddSession(DefaultSessionToken, DefaultSession);
        var all = new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Information",
            ["AUTH_API_KEY"] = StaticKey,
            ["AUTH_API_KEY_NEXT"] = NextStaticKey,
            // Tests write PLATFORM_STATUS keys for platforms the Registry does not hold; its reconciliation would delete them.
            ["Registry:Workers:KvReconcileEnabled"] = "false",
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
                if (name == NnoServices.Gateway && tokens is not null)
                {
                    builder.Services.AddSingleton<IServiceTokenProvider>(tokens);
                }

                if (name == NnoServices.Gateway)
                {
                    configureGateway?.Invoke(builder.Services);
                }
            },
            configurePipeline: (name, app) =>
            {
                if (name == NnoServices.Iam)
                {
                    iam.Install(app);
                    recorder.Install(name, app, TestIam.IsPassThrough);
                }
                else if (name != NnoServices.Gateway)
                {
                    recorder.Install(name, app);
                }
            });
        return new GatewayPlatform(platform, recorder, tokens, logs, iam);
    }

    /// <summary>A new session of a new user that the test IAM knows; returns its token.</summary>
    public string NewSession(out TestSession session, string role = "user", IReadOnlyDictionary<string, string>? platforms = null, string? activePlatformId = null, DateTimeOffset? expiresAt = null)
    {
        var suffix = Guid.NewGuid().ToString("N")[..12];
        session = new TestSession("usr_" + suffix, "ses_" + suffix, expiresAt ?? Platform.Time.GetUtcNow().AddDays(1), role, activePlatformId, platforms);
        var token = "tok-" + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N");
        Iam.AddSession(token, session);
        return token;
    }

    /// <summary>A new valid API key (for the <c>local</c> environment) that the test IAM knows.</summary>
    public string NewApiKey(out TestApiKey apiKey, IReadOnlyList<string> scopes, string? platformId = null, string? platformRole = null, DateTimeOffset? expiresAt = null)
    {
        var suffix = Guid.NewGuid().ToString("N")[..12];
        apiKey = new TestApiKey("key_" + suffix, "usr_" + suffix, scopes, "user", platformId, platformRole, expiresAt);
        var key = Nno.Core.Credentials.ApiKeyFormat.Generate(Nno.Core.Environments.NnoEnvironment.Local);
        Iam.AddApiKey(key, apiKey);
        return key;
    }

    /// <summary>A new random platform id (<c>^[a-z0-9]{10}$</c>), so tests sharing a platform's KV never collide.</summary>
    public static string NewPlatformId() =>
        System.Security.Cryptography.RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 10);

    /// <summary>
    /// Writes <paramref name="platformId"/>'s record to the real <c>PLATFORM_STATUS</c> KV file (key
    /// <c>platform:{id}</c>, the contract's JSON), through a store of the test's own, exactly as the Registry will.
    /// </summary>
    public Task SetPlatformStatusAsync(string platformId, string status, string tier = PlatformTiers.Starter, long version = 1) =>
        StatusKv.PutAsync(
            PlatformStatusKv.KeyFor(platformId),
            PlatformStatusRecord.Create(platformId, status, tier, version, Platform.Time.GetUtcNow()).ToUtf8Json());

    /// <summary>Writes <paramref name="value"/> verbatim as <paramref name="platformId"/>'s KV value (bare statuses, garbage).</summary>
    public Task SetPlatformStatusValueAsync(string platformId, string value) =>
        StatusKv.PutStringAsync(PlatformStatusKv.KeyFor(platformId), value);

    private IKeyValueNamespace StatusKv => _kv.Value.GetNamespace(KvNamespaces.PlatformStatus);

    /// <summary>A request with <paramref name="credential"/> as its bearer token.</summary>
    public static HttpRequestMessage Request(HttpMethod method, string url, string? credential, out string requestId)
    {
        var request = Request(method, url, out requestId);
        if (credential is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + credential);
        }

        return request;
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
        User.Dispose();
        Service.Dispose();
        Iam.ResetHang();
        if (_kv.IsValueCreated)
        {
            _kv.Value.Dispose();
        }

        await Platform.DisposeAsync();
    }
}

/// <summary>Adds <c>Authorization: Bearer …</c> to requests that carry none.</summary>
internal sealed class DefaultBearerHandler(string credential) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!request.Headers.Contains("Authorization"))
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + credential);
        }

        return base.SendAsync(request, cancellationToken);
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

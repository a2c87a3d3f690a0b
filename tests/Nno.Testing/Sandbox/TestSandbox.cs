using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Nno.Sandbox;
using Nno.Sandbox.Cloudflare;

namespace Nno.Testing.Sandbox;

/// <summary>
/// The Sandbox (Cloudflare emulator) on a real socket at 127.0.0.1 on a free port, on a temp data directory, reading
/// the given clock. Defaults for tests: the REST rate limit is effectively off (limiter tests set
/// <c>Sandbox:Cloudflare:RateLimit:*</c>) and custom hostnames go active after 1 s. Dispose to stop it and delete its
/// data (a directory passed in stays the caller's).
/// </summary>
public sealed class TestSandbox : IAsyncDisposable
{
    /// <summary>The token the sandbox accepts by default.</summary>
    public const string Token = CloudflareOptions.DefaultToken;

    /// <summary>The admin token the sandbox accepts by default.</summary>
    public const string AdminToken = "sandbox-admin";

    private readonly TempDirectory _dataDir;
    private readonly bool _ownsDataDir;
    private readonly List<HttpClient> _clients = [];
    private bool _stopped;

    private TestSandbox(WebApplication app, Uri address, TempDirectory dataDir, bool ownsDataDir, TimeProvider time)
    {
        App = app;
        Address = address;
        _dataDir = dataDir;
        _ownsDataDir = ownsDataDir;
        Time = time;
    }

    public WebApplication App { get; }

    /// <summary><c>http://127.0.0.1:{port}</c>.</summary>
    public Uri Address { get; }

    public TimeProvider Time { get; }

    /// <summary>The data directory (hand it to <see cref="StartAsync"/> again to restart on the same state).</summary>
    public TempDirectory DataDirectory => _dataDir;

    /// <summary>The REST base, <c>http://127.0.0.1:{port}/cloudflare/client/v4</c> (no trailing slash, like the real base URL).</summary>
    public string BaseUrl => $"{Address.ToString().TrimEnd('/')}{CloudflareEmulator.BasePath}";

    /// <summary>R2's S3-compatible base for the sandbox account, <c>http://127.0.0.1:{port}/cloudflare/r2-s3/{accountId}</c>.</summary>
    public string S3Url => $"{Address.ToString().TrimEnd('/')}/cloudflare/r2-s3/{new CloudflareOptions().AccountId}";

    /// <summary>Starts the Sandbox.</summary>
    /// <param name="time">The clock the emulators read (a FakeTimeProvider in most tests).</param>
    /// <param name="settings">Configuration over the test defaults.</param>
    /// <param name="dataDir">Reuse a data directory (restart tests); a new temp directory otherwise.</param>
    public static async Task<TestSandbox> StartAsync(TimeProvider time, IDictionary<string, string?>? settings = null, TempDirectory? dataDir = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        var ownsDataDir = dataDir is null;
        dataDir ??= new TempDirectory("nno-sandbox");
        var all = new Dictionary<string, string?>
        {
            ["Nno:Environment"] = "local",
            ["Nno:DataDir"] = dataDir.Path,
            ["Logging:LogLevel:Default"] = "Warning",
            ["Sandbox:Cloudflare:RateLimit:Limit"] = "1000000000",
            ["Sandbox:Cloudflare:SslActivationDelaySeconds"] = "1",
            // The Stripe emulator's default webhook endpoint is the gateway's port (8787): a test sandbox sends its
            // webhooks to the closed discard port instead, so it never posts into a platform another test runs there.
            // Tests that receive webhooks set Sandbox:Stripe:WebhookEndpoints (or this key) themselves.
            ["Nno:Ports:gateway"] = "9",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        WebApplication? app = null;
        try
        {
            app = SandboxApplication.Build(new SandboxApplicationSettings { Settings = all, Time = time, Port = 0 });
            await app.StartAsync();
            var address = app.GetListenAddress();
            return new TestSandbox(app, address, dataDir, ownsDataDir, time);
        }
        catch
        {
            if (app is not null)
            {
                await app.DisposeAsync();
            }

            if (ownsDataDir)
            {
                dataDir.Dispose();
            }

            throw;
        }
    }

    /// <summary>A client of the REST API with <c>Authorization: Bearer {token}</c> (none when null); base address ends in <c>/</c>.</summary>
    public HttpClient ApiClient(string? token = Token)
    {
        var client = Track(new HttpClient { BaseAddress = new Uri(BaseUrl + "/") });
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    /// <summary>A client of the admin API (<c>/cloudflare/_admin/</c>) with the admin header (none when null).</summary>
    public HttpClient AdminClient(string? adminToken = AdminToken)
    {
        var client = Track(new HttpClient { BaseAddress = new Uri(Address, "/cloudflare/_admin/") });
        if (adminToken is not null)
        {
            client.DefaultRequestHeaders.Add("X-Sandbox-Admin", adminToken);
        }

        return client;
    }

    /// <summary>Stops the application, keeping its data for a restart.</summary>
    public async Task StopKeepingDataAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        await App.StopAsync();
        await App.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopKeepingDataAsync();
        if (_ownsDataDir)
        {
            _dataDir.Dispose();
        }
    }

    private HttpClient Track(HttpClient client)
    {
        lock (_clients)
        {
            _clients.Add(client);
        }

        return client;
    }
}

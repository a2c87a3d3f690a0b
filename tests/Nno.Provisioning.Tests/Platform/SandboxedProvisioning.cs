using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Nno.Client.Identity;
using Nno.Core.Json;
using Nno.Core.Services;
using Nno.Provisioning.Data;
using Nno.Provisioning.Jobs;
using Nno.Provisioning.Tests.Support;
using Nno.Testing;
using Nno.Testing.Logging;
using Nno.Testing.Sandbox;
using Nno.Testing.Security;

namespace Nno.Provisioning.Tests.Platform;

/// <summary>One request the emulator answered (its admin request log).</summary>
internal sealed record EmulatorRequest(long Seq, DateTimeOffset At, string Method, string Path, string? Query, int Status);

/// <summary>
/// IAM + Provisioning (the real steps) in memory against the Cloudflare emulator on a loopback port, sharing one fake
/// clock, with the recording stand-in Registry. The Provisioning host can be restarted on the same data directory
/// (a consumer restart); the emulator keeps running.
/// </summary>
internal sealed class SandboxedProvisioning : IAsyncDisposable
{
    private readonly IDictionary<string, string?> _settings;
    private readonly TempDirectory _dataDir;

    private SandboxedProvisioning(TestSandbox sandbox, TestPlatform platform, RecordingRegistry registry, CapturingLoggerProvider logs, IDictionary<string, string?> settings, TempDirectory dataDir)
    {
        Sandbox = sandbox;
        Platform = platform;
        Registry = registry;
        Logs = logs;
        _settings = settings;
        _dataDir = dataDir;
        Admin = sandbox.AdminClient();
        Api = sandbox.ApiClient();
    }

    public TestSandbox Sandbox { get; }

    public TestPlatform Platform { get; private set; }

    public RecordingRegistry Registry { get; }

    public CapturingLoggerProvider Logs { get; private set; }

    public HttpClient Admin { get; }

    /// <summary>A Cloudflare REST client of the emulator (for setting up and inspecting state).</summary>
    public HttpClient Api { get; }

    public FakeTimeProvider Time => Platform.Time;

    public const string ProvisionPath = "/api/v1/provision/platform";
    public const string DeprovisionPath = "/api/v1/provision/platform/deprovision";
    public const string RedeployPath = "/api/v1/provision/platform/auth-worker/redeploy";
    public const string AccountPath = "accounts/0123456789abcdef0123456789abcdef";
    public const string ZonePath = "zones/fedcba9876543210fedcba9876543210";

    public static async Task<SandboxedProvisioning> StartAsync(IDictionary<string, string?>? settings = null, IDictionary<string, string?>? sandboxSettings = null)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var sandbox = await TestSandbox.StartAsync(time, sandboxSettings);
        var all = new Dictionary<string, string?>
        {
            ["Provisioning:Retry:BaseSeconds"] = "0.1",
            ["Provisioning:Retry:MaxSeconds"] = "1",
            ["Provisioning:DeferralSeconds"] = "0.1",
            ["Provisioning:Outbox:RetryBaseSeconds"] = "0.1",
            ["Provisioning:Outbox:RetryMaxSeconds"] = "1",
            ["Cloudflare:ApiBaseUrl"] = sandbox.BaseUrl,
            ["Cloudflare:R2S3Url"] = sandbox.S3Url,
            // Failures are the step's to retry on the job's clock; a GET retry would only slow the tests down.
            ["Cloudflare:GetRetries"] = "0",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
        {
            all[k] = v;
        }

        var registry = new RecordingRegistry();
        var dataDir = new TempDirectory();
        var logs = new CapturingLoggerProvider();
        var platform = await StartPlatformAsync(all, registry, logs, dataDir, time);
        return new SandboxedProvisioning(sandbox, platform, registry, logs, all, dataDir);
    }

    private static Task<TestPlatform> StartPlatformAsync(IDictionary<string, string?> settings, RecordingRegistry registry, CapturingLoggerProvider logs, TempDirectory dataDir, FakeTimeProvider time) =>
        TestPlatform.StartAsync(
            [NnoServices.Iam, NnoServices.Provisioning],
            settings,
            (name, builder) =>
            {
                if (name == NnoServices.Provisioning)
                {
                    builder.Services.AddHttpClient(NnoServices.RegistryInfo.BindingName).ConfigurePrimaryHttpMessageHandler(registry.CreateHandler);
                    logs.AddTo(builder);
                }
            },
            dataDir: dataDir,
            time: time);

    /// <summary>Stops the Provisioning process (and IAM) and starts it again on the same data directory and clock.</summary>
    public async Task RestartAsync()
    {
        await Platform.StopKeepingDataAsync();
        Logs = new CapturingLoggerProvider();
        Platform = await StartPlatformAsync(_settings, Registry, Logs, _dataDir, Time);
    }

    public async Task<HttpClient> RegistryClientAsync() =>
        Platform.ClientWithToken(NnoServices.Provisioning, (await Platform.IssueServiceTokenAsync(NnoServices.Registry)).Token);

    public HttpClient Operator() => Platform.GatewayClient(NnoServices.Provisioning, GatewayIdentity.StaticKey("0123abcd"));

    public async Task<string> PostAsync(string path, object body)
    {
        using var client = await RegistryClientAsync();
        return await ProvisioningHost.PostJobAsync(client, path, body);
    }

    public Task<string> ProvisionAsync(string pid, string env = "prod") => PostAsync(ProvisionPath, ProvisioningHost.ProvisionBody(pid, env));

    public async Task<T> WithDbAsync<T>(Func<ProvisioningDbContext, Task<T>> read)
    {
        await using var scope = Platform.Host.Apps[NnoServices.Provisioning].Services.CreateAsyncScope();
        return await read(scope.ServiceProvider.GetRequiredService<ProvisioningDbContext>());
    }

    public Task<string> StatusAsync(string jobId) => WithDbAsync(db => db.Jobs.AsNoTracking().Where(j => j.Id == jobId).Select(j => j.Status).SingleAsync());

    public Task<ProvisionJobRecord> JobAsync(string jobId) => WithDbAsync(db => db.Jobs.AsNoTracking().SingleAsync(j => j.Id == jobId));

    public Task<List<ProvisionStepRecord>> StepsAsync(string jobId) => WithDbAsync(db => db.Steps.AsNoTracking().Where(s => s.JobId == jobId).OrderBy(s => s.Seq).ToListAsync());

    public Task<List<CfResourceRecord>> LedgerAsync(string pid) => WithDbAsync(db => db.Resources.AsNoTracking().Where(r => r.PlatformId == pid).OrderBy(r => r.CreatedAt).ToListAsync());

    /// <summary>Moves the fake clock in small steps while the background work runs, until <paramref name="done"/> holds.</summary>
    public async Task UntilAsync(Func<Task<bool>> done, string what, TimeSpan? step = null, int rounds = 1500)
    {
        for (var i = 0; i < rounds; i++)
        {
            if (await done())
            {
                return;
            }

            Time.Advance(step ?? TimeSpan.FromMilliseconds(100));
            await Task.Delay(10);
        }

        Assert.Fail("Timed out waiting for " + what);
    }

    public Task UntilStatusAsync(string jobId, string status, TimeSpan? step = null) =>
        UntilAsync(async () => await StatusAsync(jobId) == status, $"job {jobId} to be {status}", step);

    /// <summary>Waits until the job is terminal and returns its status.</summary>
    public async Task<string> UntilTerminalAsync(string jobId, TimeSpan? step = null)
    {
        var status = "";
        await UntilAsync(async () => JobStatuses.Terminal.Contains(status = await StatusAsync(jobId)), $"job {jobId} to finish", step);
        return status;
    }

    /// <summary>Waits until the outbox has delivered everything.</summary>
    public Task UntilOutboxDrainedAsync() =>
        UntilAsync(() => WithDbAsync(db => db.Outbox.AllAsync(o => o.SentAt != null)), "the outbox to drain");

    // ---- emulator ----

    public async Task SetFaultsAsync(object faults)
    {
        using var response = await Admin.PutAsJsonAsync(new Uri("faults", UriKind.Relative), faults);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    public Task ClearFaultsAsync() => SetFaultsAsync(new { });

    /// <summary>
    /// The bytes of a Worker module as the emulator stored them (its metadata database: the REST API serves no script
    /// content), or null when the script or module is absent.
    /// </summary>
    public async Task<byte[]?> WorkerModuleAsync(string script, string module)
    {
        var path = Path.Combine(Sandbox.DataDirectory.Path, "sandbox", "cloudflare", "metadata.db");
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT content FROM worker_modules WHERE script = $s AND name = $n";
        command.Parameters.AddWithValue("$s", script);
        command.Parameters.AddWithValue("$n", module);
        return await command.ExecuteScalarAsync() as byte[];
    }

    /// <summary>Sets a configuration value of the running Provisioning service (read by the next job through IOptionsSnapshot).</summary>
    public void Configure(string key, string? value) =>
        Platform.Host.Apps[NnoServices.Provisioning].Services.GetRequiredService<IConfiguration>()[key] = value;

    public async Task<IReadOnlyList<EmulatorRequest>> RequestsAsync()
    {
        var list = await Admin.GetFromJsonAsync<List<EmulatorRequest>>(new Uri("requests", UriKind.Relative), SnakeCase);
        return list!;
    }

    /// <summary>The names of each resource kind the emulator holds (<c>GET /state</c>).</summary>
    public async Task<Dictionary<string, List<string>>> StateAsync()
    {
        var state = await Admin.GetFromJsonAsync<JsonElement>(new Uri("state", UriKind.Relative));
        return state.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetProperty("names").EnumerateArray().Select(n => n.GetString()!).ToList());
    }

    /// <summary>A Cloudflare REST call to the emulator; returns the envelope.</summary>
    public async Task<JsonElement> CfAsync(HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        using var response = await Api.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public async Task<HttpStatusCode> CfStatusAsync(HttpMethod method, string path)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        using var response = await Api.SendAsync(request);
        return response.StatusCode;
    }

    public static readonly JsonSerializerOptions SnakeCase = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static JsonSerializerOptions Wire => NnoJson.Options;

    public async ValueTask DisposeAsync()
    {
        await Platform.DisposeAsync();
        await Sandbox.DisposeAsync();
        _dataDir.Dispose();
        Logs.Dispose();
    }
}

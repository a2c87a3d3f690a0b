using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using Nno.Core.Services;
using Nno.Provisioning.Bundles;
using Nno.Provisioning.Data;
using Nno.Provisioning.Jobs;
using Nno.Provisioning.Steps;
using Nno.Testing;
using Nno.Testing.Sandbox;

namespace Nno.Provisioning.Tests.Support;

/// <summary>
/// Provisioning against the Cloudflare emulator on a real port (TestSandbox), sharing one fake clock, with the recording
/// Registry, a fake Stack Registry, the test bundle catalogue (shipped bundles + test versions) and PROVISION_PLATFORM
/// scripted to succeed (the feature, stack and domain jobs only need it COMPLETED).
/// </summary>
internal sealed class CloudflareHost : IAsyncDisposable
{
    public const string Account = "0123456789abcdef0123456789abcdef";
    public const string Zone = "fedcba9876543210fedcba9876543210";

    private static readonly Lazy<BundleCatalogue> TestCatalogue = new(() => BundleCatalogue.Load(typeof(CloudflareHost).Assembly));

    private CloudflareHost(TestSandbox sandbox, ProvisioningHost host, FakeStackRegistry stacks)
    {
        Sandbox = sandbox;
        Host = host;
        StackRegistry = stacks;
        Cf = sandbox.ApiClient();
        Admin = sandbox.AdminClient();
    }

    public TestSandbox Sandbox { get; }

    public ProvisioningHost Host { get; }

    public FakeStackRegistry StackRegistry { get; }

    public RecordingRegistry Registry => Host.Registry;

    /// <summary>A client of the emulator's REST API (assertions read Cloudflare state directly).</summary>
    public HttpClient Cf { get; }

    public HttpClient Admin { get; }

    public FakeTimeProvider Time => Host.Platform.Time;

    public static async Task<CloudflareHost> StartAsync(IDictionary<string, string?>? settings = null, RecordingRegistry? registry = null, Action<IServiceCollection>? configure = null)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var sandbox = await TestSandbox.StartAsync(time);
        var stacks = new FakeStackRegistry();
        try
        {
            var all = new Dictionary<string, string?>
            {
                ["Cloudflare:ApiBaseUrl"] = sandbox.BaseUrl,
                ["Cloudflare:R2S3Url"] = sandbox.S3Url,
                ["Cloudflare:GetRetries"] = "0",
            };
            foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
            {
                all[k] = v;
            }

            var host = await ProvisioningHost.StartAsync(all, registry: registry, time: time, configure: services =>
            {
                services.RemoveAll<BundleCatalogue>();
                services.AddSingleton(TestCatalogue.Value);
                services.AddHttpClient(NnoServices.StackRegistryInfo.BindingName).ConfigurePrimaryHttpMessageHandler(stacks.CreateHandler);
                configure?.Invoke(services);
            });
            return new CloudflareHost(sandbox, host, stacks);
        }
        catch
        {
            await sandbox.DisposeAsync();
            throw;
        }
    }

    /// <summary>P1 for the platform (scripted steps) until COMPLETED.</summary>
    public async Task ProvisionAsync(string pid, string env = "prod")
    {
        using var client = await Host.RegistryClientAsync();
        var job = await ProvisioningHost.PostJobAsync(client, "/api/v1/provision/platform", ProvisioningHost.ProvisionBody(pid, env));
        await Host.UntilStatusAsync(job, JobStatuses.Completed);
    }

    /// <summary>Posts a job as the Registry and returns its id.</summary>
    public async Task<string> PostAsync(string path, object body)
    {
        using var client = await Host.RegistryClientAsync();
        return await ProvisioningHost.PostJobAsync(client, path, body);
    }

    /// <summary>Posts a job and waits for <paramref name="status"/>.</summary>
    public async Task<string> RunAsync(string path, object body, string status = JobStatuses.Completed)
    {
        var job = await PostAsync(path, body);
        await UntilTerminalAsync(job);
        var actual = await Host.StatusAsync(job);
        if (actual != status)
        {
            var steps = await StepsAsync(job);
            var error = await Host.WithDbAsync(db => db.Jobs.AsNoTracking().Where(j => j.Id == job).Select(j => j.ErrorCode + " " + j.ErrorStep + ": " + j.ErrorMessage).SingleAsync());
            Assert.Fail($"job {job} is {actual}, expected {status}: {error}; steps: {string.Join(", ", steps.Select(s => $"{s.Name}={s.Status}({s.ErrorCode} {s.ErrorMessage})"))}");
        }

        return job;
    }

    public Task UntilTerminalAsync(string job) =>
        Host.UntilAsync(async () => JobStatuses.IsTerminal(await Host.StatusAsync(job)), $"job {job} to end", TimeSpan.FromMilliseconds(200), 1500);

    public Task<List<ProvisionStepRecord>> StepsAsync(string job) =>
        Host.WithDbAsync(db => db.Steps.AsNoTracking().Where(s => s.JobId == job).OrderBy(s => s.Seq).ToListAsync());

    public async Task<ProvisionStepRecord> StepAsync(string job, string name) => (await StepsAsync(job)).Single(s => s.Name == name);

    public Task<ProvisionJobRecord> JobAsync(string job) => Host.WithDbAsync(db => db.Jobs.AsNoTracking().SingleAsync(j => j.Id == job));

    public Task<List<CfResourceRecord>> LedgerAsync(string pid) =>
        Host.WithDbAsync(db => db.Resources.AsNoTracking().Where(r => r.PlatformId == pid).OrderBy(r => r.CreatedAt).ToListAsync());

    public Task<List<FeatureUsageRecord>> UsagesAsync(string pid) =>
        Host.WithDbAsync(db => db.FeatureUsages.AsNoTracking().Where(u => u.PlatformId == pid).ToListAsync());

    // ---- Cloudflare state ----

    /// <summary>The envelope's <c>result</c> of a GET, or null on 404.</summary>
    public async Task<JsonElement?> GetAsync(string path)
    {
        using var response = await Cf.GetAsync(new Uri(path, UriKind.Relative));
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("result").Clone();
    }

    public async Task<JsonElement> PostAsync(string path, string json)
    {
        using var response = await Cf.PostAsync(new Uri(path, UriKind.Relative), new StringContent(json, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"POST {path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("result").Clone();
    }

    public async Task PutBytesAsync(string path, string value)
    {
        using var response = await Cf.PutAsync(new Uri(path, UriKind.Relative), new StringContent(value, Encoding.UTF8, "text/plain"));
        Assert.True(response.IsSuccessStatusCode, $"PUT {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public Task<JsonElement?> WorkerSettingsAsync(string name) => GetAsync($"accounts/{Account}/workers/scripts/{name}/settings");

    public async Task<string?> D1IdAsync(string name)
    {
        var list = await GetAsync($"accounts/{Account}/d1/database?name={name}");
        return list?.EnumerateArray().Where(d => d.GetProperty("name").GetString() == name).Select(d => d.GetProperty("uuid").GetString()).FirstOrDefault();
    }

    public async Task<string?> KvIdAsync(string title)
    {
        var list = await GetAsync($"accounts/{Account}/storage/kv/namespaces?per_page=100");
        return list?.EnumerateArray().Where(d => d.GetProperty("title").GetString() == title).Select(d => d.GetProperty("id").GetString()).FirstOrDefault();
    }

    public async Task<string?> QueueIdAsync(string name)
    {
        var list = await GetAsync($"accounts/{Account}/queues");
        return list?.EnumerateArray().Where(d => d.GetProperty("queue_name").GetString() == name).Select(d => d.GetProperty("queue_id").GetString()).FirstOrDefault();
    }

    public async Task<bool> BucketExistsAsync(string name) => await GetAsync($"accounts/{Account}/r2/buckets/{name}") is not null;

    public async Task<JsonElement?> CustomHostnameAsync(string hostname)
    {
        var list = await GetAsync($"zones/{Zone}/custom_hostnames?hostname={hostname}");
        return list?.EnumerateArray().Where(d => d.GetProperty("hostname").GetString() == hostname).Select(d => (JsonElement?)d).FirstOrDefault();
    }

    public async Task<string?> RouteScriptAsync(string pattern)
    {
        var list = await GetAsync($"zones/{Zone}/workers/routes");
        return list?.EnumerateArray().Where(d => d.GetProperty("pattern").GetString() == pattern).Select(d => d.GetProperty("script").GetString()).FirstOrDefault();
    }

    /// <summary>Rows of a D1 query (the emulator runs real SQLite).</summary>
    public async Task<List<JsonElement>> QueryAsync(string databaseId, string sql)
    {
        var result = await PostAsync($"accounts/{Account}/d1/database/{databaseId}/query", JsonSerializer.Serialize(new { sql }));
        return [.. result[0].GetProperty("results").EnumerateArray()];
    }

    /// <summary>The emulator's request log (method, path, status).</summary>
    public async Task<List<(string Method, string Path, int Status)>> RequestsAsync()
    {
        var log = await Admin.GetFromJsonAsync<JsonElement>(new Uri("requests", UriKind.Relative));
        var items = log.ValueKind == JsonValueKind.Array ? log : log.GetProperty("requests");
        return [.. items.EnumerateArray().Select(r => (r.GetProperty("method").GetString()!, r.GetProperty("path").GetString()!, r.GetProperty("status").GetInt32()))];
    }

    public async Task SetFaultsAsync(object faults)
    {
        using var response = await Admin.PutAsJsonAsync(new Uri("faults", UriKind.Relative), faults);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    public IEnumerable<RegistryCall> RegistryCalls(string pathPart) => Registry.Calls.Where(c => c.Path.Contains(pathPart, StringComparison.Ordinal));

    public async Task UntilRegistryAsync(Func<IEnumerable<RegistryCall>, bool> done, string what) =>
        await Host.UntilAsync(() => Task.FromResult(done(Registry.Calls)), what);

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Sandbox.DisposeAsync();
    }
}

/// <summary>The Stack Registry at the edge of the test: versions by (template, version), <c>latest</c> = highest active.</summary>
internal sealed class FakeStackRegistry
{
    public ConcurrentDictionary<(string Name, string Version), (string Status, string Definition)> Versions { get; } = new();

    public ConcurrentQueue<string> Calls { get; } = new();

    public void Publish(string name, string version, string definition, string status = "active") => Versions[(name, version)] = (status, definition);

    public HttpMessageHandler CreateHandler() => new Handler(this);

    private HttpResponseMessage Answer(HttpRequestMessage request)
    {
        var path = request.RequestUri!.AbsolutePath;
        Calls.Enqueue(request.Method.Method + " " + path);
        var parts = path.Trim('/').Split('/');
        if (request.Method != HttpMethod.Get || parts.Length != 6 || parts[0] != "api" || parts[2] != "stacks" || parts[4] != "versions")
        {
            return Json(HttpStatusCode.NotFound, """{"error":{"code":"NOT_FOUND","message":"no route","details":null}}""");
        }

        var (name, version) = (parts[3], parts[5]);
        if (version == "latest")
        {
            version = Versions.Where(v => v.Key.Name == name && v.Value.Status == "active")
                .Select(v => v.Key.Version).OrderByDescending(v => Version.Parse(v)).FirstOrDefault() ?? "-";
        }

        if (!Versions.TryGetValue((name, version), out var found))
        {
            return Json(HttpStatusCode.NotFound, """{"error":{"code":"NOT_FOUND","message":"unknown","details":{"resource":"version"}}}""");
        }

        return Json(HttpStatusCode.OK, $$"""{"id":"ver_{{name}}_{{version}}","templateName":"{{name}}","version":"{{version}}","status":"{{found.Status}}","definition":{{found.Definition}},"featureCount":1}""");
    }

    private static HttpResponseMessage Json(HttpStatusCode status, string json) => new(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    private sealed class Handler(FakeStackRegistry registry) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(registry.Answer(request));
    }
}

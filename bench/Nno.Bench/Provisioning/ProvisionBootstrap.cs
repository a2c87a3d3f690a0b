using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Nno.Core.Services;
using Nno.Host;
using Nno.Sandbox;
using Nno.ServiceDefaults.Data;
using Nno.ServiceDefaults.Security;

namespace Nno.Bench.Provisioning;

/// <summary>
/// 100 PROVISION_PLATFORM jobs submitted at once (issue 6): IAM and Provisioning in this process (in-memory bindings)
/// against the Sandbox's Cloudflare emulator on a loopback port, on the real clock and a temp data directory; the
/// Registry is a stand-in that accepts every report (Provisioning's reports are outbox-backed and do not gate a job).
/// (a) request budget and emulator limit raised to 20,000 per 5 minutes: time until every job is COMPLETED (target
/// ≤ 60 s). (b) production defaults (budget 1,100 / 300 s, emulator 1,200 / 300 s): over a bounded window, zero 429s
/// from the emulator and the calls made as a fraction of what the budget allows in that window (target ≥ 90 %).
/// Usage: <c>provision-bootstrap [--jobs N] [--window s] [--timeout s] [--only a|b]</c>.
/// </summary>
public static class ProvisionBootstrap
{
    private const string AdminToken = "sandbox-admin";
    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static async Task<int> RunAsync(string[] args)
    {
        var jobs = 100;
        var window = 120;
        var timeout = 300;
        string? only = null;
        for (var i = 0; i < args.Length; i += 2)
        {
            var value = args[i + 1];
            switch (args[i])
            {
                case "--jobs": jobs = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--window": window = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--timeout": timeout = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--only": only = value; break;
                default: throw new ArgumentException($"Unknown option {args[i]}.");
            }
        }

        Console.WriteLine($"provision-bootstrap: {Environment.ProcessorCount} cores, {jobs} PROVISION_PLATFORM jobs submitted at once, real clock, Provisioning:GlobalConcurrency default (8)");
        object? a = null;
        object? b = null;
        if (only is null or "a")
        {
            a = await RaisedBudgetAsync(jobs, timeout);
        }

        if (only is null or "b")
        {
            b = await DefaultBudgetAsync(jobs, window);
        }

        Console.WriteLine(JsonSerializer.Serialize(new { benchmark = "provision-bootstrap", cores = Environment.ProcessorCount, jobs, a, b }, JsonOptions));
        return 0;
    }

    /// <summary>(a): budget and emulator limit 20,000 / 300 s; wall time from submission to the last COMPLETED.</summary>
    private static async Task<object> RaisedBudgetAsync(int jobs, int timeout)
    {
        await using var stack = await Stack.StartAsync(budget: 20_000, emulatorLimit: 20_000);
        var clock = Stopwatch.StartNew();
        await stack.SubmitAsync(jobs);
        var submitted = clock.Elapsed;
        var counts = await stack.WaitAsync(c => c.Terminal >= jobs, TimeSpan.FromSeconds(timeout), clock);
        var elapsed = clock.Elapsed;
        var requests = await stack.RequestsAsync();
        var perJob = (double)requests.Count / jobs;
        var served429 = requests.Count(r => r.Status == 429);
        var errors = requests.Count(r => r.Status >= 500);
        Console.WriteLine(FormattableString.Invariant(
            $"(a) budget 20,000/300 s: {counts.Completed}/{jobs} COMPLETED ({counts.Terminal - counts.Completed} other terminal) in {elapsed.TotalSeconds:0.0} s (submission took {submitted.TotalSeconds:0.0} s); {requests.Count} Cloudflare calls = {perJob:0.0} per job, {served429} × 429, {errors} × 5xx (target: all COMPLETED <= 60 s)"));
        Console.WriteLine("    calls per job by route: " + string.Join(", ", requests.GroupBy(r => r.Method + " " + Route(r.Path)).OrderByDescending(g => g.Count())
            .Select(g => FormattableString.Invariant($"{g.Key} {(double)g.Count() / jobs:0.0}"))));
        return new { completed = counts.Completed, terminal = counts.Terminal, seconds = Math.Round(elapsed.TotalSeconds, 1), submitSeconds = Math.Round(submitted.TotalSeconds, 1), calls = requests.Count, callsPerJob = Math.Round(perJob, 1), status429 = served429 };
    }

    /// <summary>(b): the production budget and emulator limit; a bounded window from submission.</summary>
    private static async Task<object> DefaultBudgetAsync(int jobs, int window)
    {
        const int budget = 1_100;
        const int budgetWindowSeconds = 300;
        await using var stack = await Stack.StartAsync(budget: null, emulatorLimit: null);
        var clock = Stopwatch.StartNew();
        var start = DateTimeOffset.UtcNow;
        await stack.SubmitAsync(jobs);
        var counts = await stack.WaitAsync(c => c.Terminal >= jobs, TimeSpan.FromSeconds(window), clock, quiet: true);
        var measured = clock.Elapsed;
        var requests = (await stack.RequestsAsync()).Where(r => r.At >= start).ToList();
        var served429 = requests.Count(r => r.Status == 429);
        // A sliding window of 1,100 per 300 s, empty at the start, allows at most 1,100 calls in any span up to 300 s
        // and 1,100 more per further 300 s.
        var allowed = budget * Math.Ceiling(Math.Max(measured.TotalSeconds, 1) / budgetWindowSeconds);
        var fraction = requests.Count / allowed;
        var reached = requests.Count >= budget ? requests[budget - 1].At - start : (TimeSpan?)null;
        Console.WriteLine(FormattableString.Invariant(
            $"(b) default budget 1,100/300 s, emulator 1,200/300 s, window {measured.TotalSeconds:0} s: {requests.Count} calls = {fraction:P1} of the {allowed:N0} the budget allows in the window; {served429} × 429; budget spent after {(reached is { } r ? r.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s" : "never")}; {counts.Completed}/{jobs} COMPLETED, {counts.Terminal - counts.Completed} otherwise finished by then (targets: zero 429, >= 90 %)"));
        return new { windowSeconds = Math.Round(measured.TotalSeconds, 1), calls = requests.Count, allowed, fraction = Math.Round(fraction, 3), status429 = served429, budgetSpentSeconds = reached is { } s ? Math.Round(s.TotalSeconds, 1) : (double?)null, completed = counts.Completed, otherTerminal = counts.Terminal - counts.Completed };
    }

    /// <summary>The path with ids folded, for the per-route breakdown.</summary>
    private static string Route(string path)
    {
        var parts = path.Replace("/cloudflare/client/v4/", "", StringComparison.Ordinal).Split('/');
        for (var i = 0; i < parts.Length; i++)
        {
            if (i > 0 && (parts[i - 1] is "accounts" or "zones" or "database" or "scripts" or "projects" or "secrets" or "custom_hostnames" or "routes" or "domains"))
            {
                parts[i] = "{id}";
            }
        }

        return string.Join('/', parts);
    }

    private sealed record EmulatorRequest(long Seq, DateTimeOffset At, string Method, string Path, string? Query, int Status);

    private sealed record JobCounts(int Completed, int Terminal);

    /// <summary>The Sandbox on a loopback port plus IAM and Provisioning in memory, on one temp data directory.</summary>
    private sealed class Stack : IAsyncDisposable
    {
        private static readonly JsonSerializerOptions SnakeCase = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
        private readonly string _dataDir;
        private readonly WebApplication _sandbox;
        private readonly PlatformHost _host;
        private readonly HttpClient _admin;

        private Stack(string dataDir, WebApplication sandbox, PlatformHost host, Uri sandboxAddress)
        {
            _dataDir = dataDir;
            _sandbox = sandbox;
            _host = host;
            _admin = new HttpClient { BaseAddress = new Uri(sandboxAddress, "/cloudflare/_admin/") };
            _admin.DefaultRequestHeaders.Add("X-Sandbox-Admin", AdminToken);
        }

        public static async Task<Stack> StartAsync(int? budget, int? emulatorLimit)
        {
            var dataDir = Path.Combine(Path.GetTempPath(), "nno-bench-provision-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dataDir);
            var sandboxSettings = new Dictionary<string, string?>
            {
                ["Nno:Environment"] = "local",
                ["Nno:DataDir"] = Path.Combine(dataDir, "sandbox"),
                ["Logging:LogLevel:Default"] = "Warning",
            };
            if (emulatorLimit is { } limit)
            {
                sandboxSettings["Sandbox:Cloudflare:RateLimit:Limit"] = limit.ToString(CultureInfo.InvariantCulture);
            }

            var sandbox = SandboxApplication.Build(new SandboxApplicationSettings { Settings = sandboxSettings, Port = 0 });
            await sandbox.StartAsync();
            var address = sandbox.GetListenAddress();
            var root = address.ToString().TrimEnd('/');
            var settings = new Dictionary<string, string?>
            {
                ["Nno:Environment"] = "local",
                ["Nno:DataDir"] = dataDir,
                ["Logging:LogLevel:Default"] = "Warning",
                ["Cloudflare:ApiBaseUrl"] = root + "/cloudflare/client/v4",
                ["Cloudflare:R2S3Url"] = root + "/cloudflare/r2-s3/0123456789abcdef0123456789abcdef",
            };
            if (budget is { } b)
            {
                settings["Cloudflare:RequestBudget"] = b.ToString(CultureInfo.InvariantCulture);
            }

            var host = PlatformHost.Build(new PlatformHostSettings
            {
                Services = [NnoServices.Iam, NnoServices.Provisioning],
                Settings = settings,
                Listen = false,
                ConfigureBuilder = (name, builder) =>
                {
                    if (name == NnoServices.Provisioning)
                    {
                        builder.Services.AddHttpClient(NnoServices.RegistryInfo.BindingName).ConfigurePrimaryHttpMessageHandler(() => new AcceptingRegistry());
                    }
                },
            });
            await host.StartAsync();
            return new Stack(dataDir, sandbox, host, address);
        }

        /// <summary>Submits the jobs at once, as the Registry would (its service token).</summary>
        public async Task SubmitAsync(int jobs)
        {
            using var iam = _host.CreateInMemoryClient(NnoServices.Iam);
            using var issue = new HttpRequestMessage(HttpMethod.Post, ServiceTokenProtocol.IssuePath) { Content = JsonContent.Create(new { service = NnoServices.Registry }) };
            issue.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ServiceClientSecrets.LoadOrCreate(_dataDir)[NnoServices.Registry]);
            using var issued = await iam.SendAsync(issue);
            issued.EnsureSuccessStatusCode();
            var token = (await issued.Content.ReadFromJsonAsync<ServiceTokenResponse>(Nno.Core.Json.NnoJson.Options))!.Token;
            using var client = _host.CreateInMemoryClient(NnoServices.Provisioning);
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            await Task.WhenAll(Enumerable.Range(1, jobs).Select(async i =>
            {
                var body = new { platformId = $"pb{i:D8}", planTier = "starter", billingEmail = "owner@example.com", environment = "prod" };
                using var response = await client.PostAsJsonAsync(new Uri("/api/v1/provision/platform", UriKind.Relative), body);
                if (response.StatusCode != HttpStatusCode.Accepted)
                {
                    throw new InvalidOperationException($"submit {i}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }
            }));
        }

        /// <summary>Polls the job table until <paramref name="done"/> or the timeout; prints progress every 10 s.</summary>
        public async Task<JobCounts> WaitAsync(Func<JobCounts, bool> done, TimeSpan timeout, Stopwatch clock, bool quiet = false)
        {
            var file = NnoDatabase.FilePath(_dataDir, NnoServices.ProvisioningInfo.Database!);
            var deadline = clock.Elapsed + timeout;
            var nextReport = clock.Elapsed + TimeSpan.FromSeconds(10);
            while (true)
            {
                var counts = Count(file);
                if (done(counts) || clock.Elapsed >= deadline)
                {
                    return counts;
                }

                if (!quiet && clock.Elapsed >= nextReport)
                {
                    Console.WriteLine(FormattableString.Invariant($"    {clock.Elapsed.TotalSeconds:0} s: {counts.Completed} COMPLETED"));
                    nextReport += TimeSpan.FromSeconds(10);
                }

                await Task.Delay(100);
            }
        }

        private static JobCounts Count(string file)
        {
            using var connection = new SqliteConnection($"Data Source={file};Mode=ReadOnly;Pooling=False");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT COALESCE(SUM(status = 'COMPLETED'), 0), COALESCE(SUM(status IN ('COMPLETED', 'FAILED', 'ROLLED_BACK', 'ROLLBACK_FAILED')), 0) FROM provision_jobs";
            using var reader = command.ExecuteReader();
            reader.Read();
            return new JobCounts(reader.GetInt32(0), reader.GetInt32(1));
        }

        /// <summary>The emulator's request log (REST and S3 calls; the admin API is not logged).</summary>
        public async Task<List<EmulatorRequest>> RequestsAsync() =>
            (await _admin.GetFromJsonAsync<List<EmulatorRequest>>(new Uri("requests", UriKind.Relative), SnakeCase))!;

        public async ValueTask DisposeAsync()
        {
            _admin.Dispose();
            await _host.DisposeAsync();
            await _sandbox.StopAsync();
            await _sandbox.DisposeAsync();
            SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(_dataDir, recursive: true);
            }
            catch (IOException)
            {
                // A file still held open: the temp directory is left for the OS to clean.
            }
        }
    }

    /// <summary>The Registry stand-in: every report is accepted (201 with an id).</summary>
    private sealed class AcceptingRegistry : HttpMessageHandler
    {
        private int _ids;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var id = "reg" + Interlocked.Increment(ref _ids).ToString(CultureInfo.InvariantCulture);
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.Created) { Content = new StringContent($$"""{"id":"{{id}}"}""", Encoding.UTF8, "application/json") });
        }
    }
}

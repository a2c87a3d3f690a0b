using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Nno.Core.Credentials;
using Nno.Core.Environments;
using Nno.Core.Services;
using Nno.Gateway;
using Nno.ServiceDefaults.Bindings;
using Nno.ServiceDefaults.Hosting;
using Nno.ServiceDefaults.Security;
using Nno.Storage;
using Nno.Storage.Sqlite;

namespace Nno.Bench.Gateway;

/// <summary>
/// The cost of gateway protection (issue 4): the same request to a platform route, by a session and by an API key,
/// through a gateway with authentication only (platform status and rate limits switched off; the scope check is a set
/// lookup and stays) and through
/// one with the full chain (auth cache hit + scope + platform status from the KV + rate buckets, limits high so none
/// refuses). Both gateways run in this process with their own stand-in IAM and upstream; rounds are interleaved.
/// Target: full ≥ auth / 1.1 (at most 10 % extra cost).
/// Usage: <c>gateway-protection [--concurrency N] [--warmup seconds] [--duration seconds] [--rounds N]</c>.
/// </summary>
public static class GatewayProtectionThroughput
{
    private const string SessionToken = "bench-session-token-1b2c3d4e5f60718293a4";
    private const string PlatformId = "aaaaaaaaa1";
    private static readonly string ApiKey = ApiKeyFormat.Generate(NnoEnvironment.Local);
    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static async Task<int> RunAsync(string[] args)
    {
        var options = GatewayThroughput.Options.Parse(args);
        await using var authOnly = await Stack.StartAsync(protection: false);
        await using var full = await Stack.StartAsync(protection: true);

        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 10_000, UseCookies = false, UseProxy = false, AllowAutoRedirect = false };
        using var client = new HttpMessageInvoker(handler);
        GatewayThroughput.Variant[] variants =
        [
            new("session, auth only ", authOnly.Uri, uri => Post(uri, SessionToken)),
            new("session, full chain", full.Uri, uri => Post(uri, SessionToken)),
            new("API key, auth only ", authOnly.Uri, uri => Post(uri, ApiKey)),
            new("API key, full chain", full.Uri, uri => Post(uri, ApiKey)),
        ];

        Console.WriteLine($"gateway protection throughput: {Environment.ProcessorCount} cores, concurrency {options.Concurrency}, {options.Rounds} interleaved rounds of {options.Duration.TotalSeconds:0} s per variant (after {options.Warmup.TotalSeconds:0} s warmup each), POST /api/v1/platforms/{PlatformId}/ping over loopback HTTP, in-memory upstream");
        if (await GatewayThroughput.MeasureVariantsAsync(client, variants, options) is not var (samples, results))
        {
            return 1;
        }

        // Extra cost of the chain: how much longer a request takes at saturation (throughput ratio), and in CPU.
        var sessionExtra = (results[0].RequestsPerSecond / results[1].RequestsPerSecond) - 1;
        var keyExtra = (results[2].RequestsPerSecond / results[3].RequestsPerSecond) - 1;
        var sessionCpuExtra = (results[1].CpuMicrosecondsPerRequest / results[0].CpuMicrosecondsPerRequest) - 1;
        var keyCpuExtra = (results[3].CpuMicrosecondsPerRequest / results[2].CpuMicrosecondsPerRequest) - 1;
        // Rounds are interleaved, so each round's pair shares the machine's state; the median of the per-round ratios is
        // steadier than the ratio of totals when the machine drifts during the run.
        var sessionMedian = MedianExtra(samples[0], samples[1]);
        var keyMedian = MedianExtra(samples[2], samples[3]);
        Console.WriteLine(FormattableString.Invariant(
            $"extra cost of the full chain: session {sessionExtra:+0.0%;-0.0%} (CPU/req {sessionCpuExtra:+0.0%;-0.0%}, per-round median {sessionMedian:+0.0%;-0.0%}), API key {keyExtra:+0.0%;-0.0%} (CPU/req {keyCpuExtra:+0.0%;-0.0%}, per-round median {keyMedian:+0.0%;-0.0%})   (target: <= +10%)"));
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            benchmark = "gateway-protection",
            cores = Environment.ProcessorCount,
            concurrency = options.Concurrency,
            windowSeconds = options.Duration.TotalSeconds,
            rounds = options.Rounds,
            sessionAuthOnly = results[0],
            sessionFullChain = results[1],
            apiKeyAuthOnly = results[2],
            apiKeyFullChain = results[3],
            sessionExtra = Math.Round(sessionExtra, 3),
            apiKeyExtra = Math.Round(keyExtra, 3),
            sessionExtraPerRoundMedian = Math.Round(sessionMedian, 3),
            apiKeyExtraPerRoundMedian = Math.Round(keyMedian, 3),
        }, JsonOptions));
        return 0;
    }

    private static double MedianExtra(List<GatewayThroughput.Sample> baseline, List<GatewayThroughput.Sample> full)
    {
        var ratios = baseline.Zip(full, (b, f) => (b.Count / b.Elapsed.TotalSeconds) / (f.Count / f.Elapsed.TotalSeconds) - 1).Order().ToArray();
        return ratios.Length % 2 == 1 ? ratios[ratios.Length / 2] : (ratios[(ratios.Length / 2) - 1] + ratios[ratios.Length / 2]) / 2;
    }

    private static HttpRequestMessage Post(Uri uri, string credential)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, uri);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + credential);
        return request;
    }

    /// <summary>A stand-in IAM, a stand-in Registry and a gateway on a free port, with their own data directory.</summary>
    private sealed class Stack : IAsyncDisposable
    {
        private readonly List<WebApplication> _apps = [];
        private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "nno-bench-protection-" + Guid.NewGuid().ToString("N"));

        public Uri Uri { get; private set; } = null!;

        public static async Task<Stack> StartAsync(bool protection)
        {
            var stack = new Stack();
            Directory.CreateDirectory(stack._dataDir);
            if (protection)
            {
                // The Registry's KV record of the platform: active, growth tier.
                using var kv = new SqliteKeyValueStore(Options.Create(new NnoStorageOptions { DataDir = stack._dataDir }), TimeProvider.System);
                await kv.GetNamespace(KvNamespaces.PlatformStatus).PutStringAsync("platform:" + PlatformId,
                    $$"""{"platformId":"{{PlatformId}}","status":"active","tier":"growth","version":1,"updatedAt":1767225600000}""");
            }

            var directory = new ServiceDirectory();
            var port = GatewayThroughput.FreePort();
            var settings = GatewayThroughput.Settings("Warning",
                ("Nno:DataDir", stack._dataDir),
                ("Gateway:RateLimits:Enabled", protection ? "true" : "false"),
                ("Gateway:PlatformStatus:Enabled", protection ? "true" : "false"));
            stack._apps.Add(NnoApplication.Build(IamModule, new NnoApplicationSettings { Directory = directory, Settings = settings, Listen = false }));
            stack._apps.Add(NnoApplication.Build(RegistryModule, new NnoApplicationSettings { Directory = directory, Settings = settings, Listen = false }));
            var gatewaySettings = new Dictionary<string, string?>(settings) { [NnoApplication.PortKey(NnoServices.Gateway)] = GatewayThroughput.Port(port) };
            stack._apps.Add(NnoApplication.Build(GatewayService.Module, new NnoApplicationSettings
            {
                Directory = directory,
                Settings = gatewaySettings,
                ConfigureBuilder = b => b.Services.AddSingleton<IServiceTokenProvider, GatewayThroughput.FixedServiceToken>(),
            }));
            foreach (var app in stack._apps)
            {
                await app.StartAsync();
            }

            stack.Uri = new Uri($"http://127.0.0.1:{port}/api/v1/platforms/{PlatformId}/ping");
            return stack;
        }

        public async ValueTask DisposeAsync()
        {
            for (var i = _apps.Count - 1; i >= 0; i--)
            {
                await _apps[i].StopAsync();
                await _apps[i].DisposeAsync();
            }

            Directory.Delete(_dataDir, recursive: true);
        }
    }

    /// <summary>The trivial upstream: the Registry answering a platform route.</summary>
    private static NnoServiceModule RegistryModule { get; } = new(NnoServices.RegistryInfo, _ => { }, app =>
        app.MapPost("/api/v1/platforms/{pid}/ping", GatewayThroughput.PingAsync))
    {
        AcceptsServiceTokens = false,
    };

    /// <summary>A stand-in IAM that knows one session and one API key of a user who owns the platform.</summary>
    private static NnoServiceModule IamModule { get; } = new(NnoServices.IamInfo, _ => { }, app =>
    {
        var expiresAt = DateTimeOffset.UtcNow.AddDays(1).ToString("O", CultureInfo.InvariantCulture);
        app.MapGet("/api/nno/session", (HttpContext context) =>
            context.Request.Headers["X-Nno-Session-Token"] == SessionToken
                ? Results.Json(new
                {
                    user = new { id = "usr_bench" },
                    session = new { id = "ses_bench", expiresAt },
                    role = "user",
                    platformId = PlatformId,
                    platformRole = "owner",
                    platforms = new[] { new { platformId = PlatformId, role = "owner" } },
                })
                : Results.StatusCode((int)HttpStatusCode.Unauthorized));
        app.MapPost("/api/nno/apikey/verify", async (HttpContext context) =>
        {
            using var body = await JsonDocument.ParseAsync(context.Request.Body);
            return body.RootElement.GetProperty("key").GetString() == ApiKey
                ? Results.Json(new
                {
                    valid = true,
                    keyId = "key_bench",
                    userId = "usr_bench",
                    role = "user",
                    platformId = PlatformId,
                    platformRole = "owner",
                    scopes = new[] { "platforms:write" },
                    expiresAt,
                })
                : Results.Json(new { valid = false });
        });
    })
    {
        AcceptsServiceTokens = false,
    };
}

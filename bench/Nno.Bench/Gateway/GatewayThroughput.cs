using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Nno.Core.Services;
using Nno.Gateway;
using Nno.ServiceDefaults.Bindings;
using Nno.ServiceDefaults.Hosting;
using Nno.ServiceDefaults.Security;

namespace Nno.Bench.Gateway;

/// <summary>
/// Gateway throughput in one process: a trivial upstream endpoint (GET /ping on a tiny service registered as
/// <c>billing</c>) measured (a) directly over loopback HTTP, (b) through the gateway with the in-memory binding and
/// (c) through the gateway over loopback HTTP to the upstream. Same client, concurrency and window for each.
/// Usage: <c>gateway [--concurrency N] [--warmup seconds] [--duration seconds] [--rounds N] [--access-log] [--only a|b|c] [--inproc]</c>
/// (<c>--only</c> loads one variant for <c>--duration</c> seconds and reports nothing, for attaching a profiler; <c>--inproc</c>
/// measures the managed cost per request without sockets).
/// </summary>
public static class GatewayThroughput
{
    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
    private static readonly byte[] PingBody = """{"ok":true,"service":"bench-upstream"}"""u8.ToArray();

    /// <summary>The trivial upstream answer of every gateway benchmark: a small fixed JSON body.</summary>
    internal static Task PingAsync(HttpContext context)
    {
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = PingBody.Length;
        return context.Response.Body.WriteAsync(PingBody).AsTask();
    }

    /// <summary>One measured variant: a name for the output, the URI and how to build each request.</summary>
    internal sealed record Variant(string Name, Uri Uri, Func<Uri, HttpRequestMessage> Request);

    /// <summary>
    /// Warms every variant up, then measures them in <see cref="Options.Rounds"/> interleaved rounds, printing each round
    /// and each variant's totals. Null (after printing why) when a warmup request failed.
    /// </summary>
    internal static async Task<(List<Sample>[] Samples, Result[] Results)?> MeasureVariantsAsync(HttpMessageInvoker client, IReadOnlyList<Variant> variants, Options options)
    {
        foreach (var variant in variants)
        {
            var (_, warmupErrors, _) = await RunLoopsAsync(client, variant.Uri, options.Concurrency, options.Warmup, record: false, variant.Request);
            if (warmupErrors > 0)
            {
                Console.Error.WriteLine($"{warmupErrors} requests of '{variant.Name.Trim()}' failed during warmup; check the stand-ins.");
                return null;
            }
        }

        var samples = variants.Select(_ => new List<Sample>()).ToArray();
        for (var round = 0; round < options.Rounds; round++)
        {
            for (var v = 0; v < variants.Count; v++)
            {
                var sample = await MeasureAsync(client, variants[v].Uri, options, variants[v].Request);
                samples[v].Add(sample);
                Console.WriteLine(FormattableString.Invariant($"  round {round + 1} {variants[v].Name}: {sample.Count / sample.Elapsed.TotalSeconds,10:0.0} req/s ({sample.Errors} errors)"));
            }
        }

        var results = samples.Select(Result.From).ToArray();
        for (var v = 0; v < variants.Count; v++)
        {
            var r = results[v];
            Console.WriteLine(FormattableString.Invariant(
                $"{variants[v].Name}: {r.RequestsPerSecond,10:0.0} req/s  ({r.Requests} ok, {r.Errors} errors)  p50 {r.P50Ms:0.000} ms  p99 {r.P99Ms:0.000} ms  {r.AllocatedBytesPerRequest:0} B/req  {r.CpuMicrosecondsPerRequest:0.0} us CPU/req"));
        }

        return (samples, results);
    }

    /// <summary>The gateway needs a credential on every non-public route; the static key costs one HMAC and no I/O.</summary>
    internal const string StaticKey = "bench-static-key-0123456789abcdefghijklmnop";

    public static async Task<int> RunAsync(string[] args)
    {
        var options = Options.Parse(args);
        var directory = new ServiceDirectory();
        var logLevel = options.AccessLog ? "Information" : "Warning";

        var upstreamPort = FreePort();
        await using var upstream = NnoApplication.Build(UpstreamModule, new NnoApplicationSettings
        {
            Directory = directory,
            Settings = Settings(logLevel, (NnoApplication.PortKey(NnoServices.Billing), Port(upstreamPort))),
        });
        var inMemoryPort = FreePort();
        await using var gatewayInMemory = NnoApplication.Build(GatewayService.Module, new NnoApplicationSettings
        {
            Directory = directory,
            Settings = Settings(logLevel, (NnoApplication.PortKey(NnoServices.Gateway), Port(inMemoryPort))),
            ConfigureBuilder = b => b.Services.AddSingleton<IServiceTokenProvider, FixedServiceToken>(),
        });
        var httpPort = FreePort();
        await using var gatewayHttp = NnoApplication.Build(GatewayService.Module, new NnoApplicationSettings
        {
            Settings = Settings(logLevel,
                (NnoApplication.PortKey(NnoServices.Gateway), Port(httpPort)),
                (NnoServices.BillingInfo.UrlVariable, $"http://127.0.0.1:{upstreamPort}/")),
            ConfigureBuilder = b => b.Services.AddSingleton<IServiceTokenProvider, FixedServiceToken>(),
        });
        await upstream.StartAsync();
        await gatewayInMemory.StartAsync();
        await gatewayHttp.StartAsync();

        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 10_000,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            UseCookies = false,
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
        };
        using var client = new HttpMessageInvoker(handler);

        Console.WriteLine($"gateway throughput: {Environment.ProcessorCount} cores, concurrency {options.Concurrency}, {options.Rounds} interleaved rounds of {options.Duration.TotalSeconds:0} s per variant (after {options.Warmup.TotalSeconds:0} s warmup each), access log {(options.AccessLog ? "on" : "off")}");
        Uri[] targets =
        [
            new($"http://127.0.0.1:{upstreamPort}/ping"),
            new($"http://127.0.0.1:{inMemoryPort}/api/v1/billing/ping"),
            new($"http://127.0.0.1:{httpPort}/api/v1/billing/ping"),
        ];
        string[] names = ["a direct      ", "b gateway mem ", "c gateway http"];
        if (options.InProcess)
        {
            await MeasureInProcessAsync(directory, inMemoryPort, options);
            return 0;
        }

        if (options.Only is { } only)
        {
            // Profiling aid: load one variant only, for as long as asked.
            var index = "abc".IndexOf(only, StringComparison.Ordinal);
            await RunLoopsAsync(client, targets[index], options.Concurrency, options.Duration, record: false);
            return 0;
        }

        foreach (var target in targets)
        {
            // Warmup: connections, JIT, tiered compilation.
            await RunLoopsAsync(client, target, options.Concurrency, options.Warmup, record: false);
        }

        // Interleaved rounds, so load from elsewhere on a shared machine spreads over all variants alike.
        var samples = targets.Select(_ => new List<Sample>()).ToArray();
        for (var round = 0; round < options.Rounds; round++)
        {
            for (var v = 0; v < targets.Length; v++)
            {
                var sample = await MeasureAsync(client, targets[v], options);
                samples[v].Add(sample);
                Console.WriteLine(FormattableString.Invariant($"  round {round + 1} {names[v]}: {sample.Count / sample.Elapsed.TotalSeconds,10:0.0} req/s"));
            }
        }

        var results = samples.Select(Result.From).ToArray();
        for (var v = 0; v < targets.Length; v++)
        {
            var r = results[v];
            Console.WriteLine(FormattableString.Invariant(
                $"{names[v]}: {r.RequestsPerSecond,10:0.0} req/s  ({r.Requests} ok, {r.Errors} errors)  p50 {r.P50Ms:0.000} ms  p99 {r.P99Ms:0.000} ms  {r.AllocatedBytesPerRequest:0} B/req  {r.CpuMicrosecondsPerRequest:0.0} us CPU/req (whole process)  gen0 {r.Gen0Collections}"));
        }

        var (direct, inMemory, http) = (results[0], results[1], results[2]);
        var bOverA = inMemory.RequestsPerSecond / direct.RequestsPerSecond;
        var bOverC = inMemory.RequestsPerSecond / http.RequestsPerSecond;
        Console.WriteLine(FormattableString.Invariant($"b/a = {bOverA:0.000}   b/c = {bOverC:0.000}   (targets: b/a >= 0.75, b/c > 1)"));
        Console.WriteLine(FormattableString.Invariant($"added p50: b {inMemory.P50Ms - direct.P50Ms:0.000} ms, c {http.P50Ms - direct.P50Ms:0.000} ms; added p99: b {inMemory.P99Ms - direct.P99Ms:0.000} ms, c {http.P99Ms - direct.P99Ms:0.000} ms"));
        Console.WriteLine(FormattableString.Invariant($"gateway cost per request (b - a): {inMemory.AllocatedBytesPerRequest - direct.AllocatedBytesPerRequest:0} B allocated, {inMemory.CpuMicrosecondsPerRequest - direct.CpuMicrosecondsPerRequest:0.0} us CPU"));
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            benchmark = "gateway",
            cores = Environment.ProcessorCount,
            concurrency = options.Concurrency,
            windowSeconds = options.Duration.TotalSeconds,
            rounds = options.Rounds,
            accessLog = options.AccessLog,
            direct,
            gatewayInMemory = inMemory,
            gatewayHttp = http,
            bOverA = Math.Round(bOverA, 3),
            bOverC = Math.Round(bOverC, 3),
        }, JsonOptions));

        await gatewayHttp.StopAsync();
        await gatewayInMemory.StopAsync();
        await upstream.StopAsync();
        return 0;
    }

    /// <summary>
    /// Profiling aid: sequential calls without sockets, (i) into the upstream's pipeline through its in-memory binding and
    /// (ii) into the gateway's pipeline in memory (which forwards in memory): the managed cost per request of each.
    /// </summary>
    private static async Task MeasureInProcessAsync(ServiceDirectory directory, int gatewayPort, Options options)
    {
        _ = gatewayPort;
        using var upstreamClient = new HttpMessageInvoker(directory.CreateHandler(NnoServices.Billing));
        using var gatewayClient = new HttpMessageInvoker(directory.CreateHandler(NnoServices.Gateway));
        var cases = new (string Name, HttpMessageInvoker Client, Uri Uri)[]
        {
            ("upstream in memory", upstreamClient, new Uri("http://billing.inproc/ping")),
            ("gateway in memory ", gatewayClient, new Uri("http://gateway.inproc/api/v1/billing/ping")),
        };
        for (var round = 0; round < options.Rounds; round++)
        {
            foreach (var (name, client, uri) in cases)
            {
                if (options.Only == "b" && client == upstreamClient)
                {
                    continue;
                }

                var iterations = 20_000;
                await InProcessLoopAsync(client, uri, iterations / 4);
                GC.Collect();
                var allocated = GC.GetTotalAllocatedBytes(precise: true);
                var clock = Stopwatch.StartNew();
                await InProcessLoopAsync(client, uri, iterations);
                var elapsed = clock.Elapsed;
                allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
                Console.WriteLine(FormattableString.Invariant($"{name}: {elapsed.TotalMicroseconds / iterations,8:0.0} us/req  {allocated / iterations,8} B/req"));
            }
        }
    }

    private static async Task InProcessLoopAsync(HttpMessageInvoker client, Uri uri, int iterations)
    {
        for (var i = 0; i < iterations; i++)
        {
            using var request = NewRequest(uri);
            using var response = await client.SendAsync(request, CancellationToken.None);
            _ = await response.Content.ReadAsByteArrayAsync();
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"{uri} answered {(int)response.StatusCode}.");
            }
        }
    }

    /// <summary>A tiny upstream: GET /ping with a small JSON body, no service-token check.</summary>
    private static NnoServiceModule UpstreamModule { get; } = new(NnoServices.BillingInfo, _ => { }, app =>
        app.MapGet("/ping", PingAsync))
    {
        AcceptsServiceTokens = false,
    };

    private static HttpRequestMessage NewRequest(Uri uri)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + StaticKey);
        return request;
    }

    internal static Task<Sample> MeasureAsync(HttpMessageInvoker client, Uri uri, Options options, Func<Uri, HttpRequestMessage>? newRequest = null) =>
        MeasureAsync(client, uri, options.Duration, options.Concurrency, newRequest);

    internal static async Task<Sample> MeasureAsync(HttpMessageInvoker client, Uri uri, TimeSpan duration, int concurrency, Func<Uri, HttpRequestMessage>? newRequest)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var gcBefore = GC.CollectionCount(0);
        using var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var (count, errors, latencies) = await RunLoopsAsync(client, uri, concurrency, duration, record: true, newRequest);
        var elapsed = clock.Elapsed;
        process.Refresh();
        return new Sample(count, errors, elapsed, latencies, GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore, GC.CollectionCount(0) - gcBefore,
            process.TotalProcessorTime - cpuBefore);
    }

    internal sealed record Sample(long Count, long Errors, TimeSpan Elapsed, List<double> LatenciesMs, long AllocatedBytes, int Gen0Collections, TimeSpan Cpu);

    internal static async Task<(long Count, long Errors, List<double> LatenciesMs)> RunLoopsAsync(HttpMessageInvoker client, Uri uri, int concurrency, TimeSpan duration, bool record, Func<Uri, HttpRequestMessage>? newRequest = null)
    {
        newRequest ??= NewRequest;
        var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var loops = new Task<(long, long, List<double>)>[concurrency];
        for (var i = 0; i < concurrency; i++)
        {
            loops[i] = Task.Run(() => LoopAsync(client, uri, deadline, record, newRequest));
        }

        var results = await Task.WhenAll(loops);
        var latencies = new List<double>(results.Sum(r => r.Item3.Count));
        foreach (var r in results)
        {
            latencies.AddRange(r.Item3);
        }

        return (results.Sum(r => r.Item1), results.Sum(r => r.Item2), latencies);
    }

    private static async Task<(long, long, List<double>)> LoopAsync(HttpMessageInvoker client, Uri uri, long deadline, bool record, Func<Uri, HttpRequestMessage> newRequest)
    {
        var buffer = new byte[4096];
        var latencies = new List<double>(record ? 100_000 : 0);
        long count = 0, errors = 0;
        while (Stopwatch.GetTimestamp() < deadline)
        {
            var start = Stopwatch.GetTimestamp();
            using var request = newRequest(uri);
            using var response = await client.SendAsync(request, CancellationToken.None);
            await using (var body = await response.Content.ReadAsStreamAsync())
            {
                while (await body.ReadAsync(buffer) > 0)
                {
                }
            }

            if (response.StatusCode == HttpStatusCode.OK)
            {
                count++;
                if (record)
                {
                    latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
            }
            else
            {
                errors++;
            }
        }

        return (count, errors, latencies);
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];

    internal static Dictionary<string, string?> Settings(string logLevel, params (string Key, string Value)[] values)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = logLevel,
            ["Nno:Environment"] = "local",
            ["Nno:DataDir"] = Path.Combine(Path.GetTempPath(), "nno-bench-gateway"),
            ["AUTH_API_KEY"] = StaticKey,
        };
        // One load generator is one client address: the buckets stay on (their cost is measured) but never refuse.
        foreach (var (key, value) in Nno.Gateway.RateLimiting.GatewayRateLimitSettings.AllAt(1_000_000_000))
        {
            settings[key] = value;
        }

        foreach (var (key, value) in values)
        {
            settings[key] = value;
        }

        return settings;
    }

    internal static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    internal static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>One variant's numbers.</summary>
    internal sealed record Result(double RequestsPerSecond, long Requests, long Errors, double P50Ms, double P99Ms, double AllocatedBytesPerRequest, int Gen0Collections, double CpuMicrosecondsPerRequest)
    {
        public static Result From(List<Sample> samples)
        {
            var count = samples.Sum(s => s.Count);
            var seconds = samples.Sum(s => s.Elapsed.TotalSeconds);
            var latencies = samples.SelectMany(s => s.LatenciesMs).Order().ToList();
            return new Result(
                Math.Round(count / seconds, 1),
                count,
                samples.Sum(s => s.Errors),
                Math.Round(Percentile(latencies, 0.50), 3),
                Math.Round(Percentile(latencies, 0.99), 3),
                Math.Round(count == 0 ? 0 : (double)samples.Sum(s => s.AllocatedBytes) / count, 0),
                samples.Sum(s => s.Gen0Collections),
                Math.Round(count == 0 ? 0 : samples.Sum(s => s.Cpu.TotalMicroseconds) / count, 1));
        }
    }

    internal sealed record Options(int Concurrency, TimeSpan Warmup, TimeSpan Duration, int Rounds, bool AccessLog, string? Only, bool InProcess)
    {
        public static Options Parse(string[] args)
        {
            var concurrency = 32;
            var warmup = 3.0;
            var duration = 5.0;
            var rounds = 3;
            var accessLog = false;
            string? only = null;
            var inProcess = false;
            for (var i = 0; i < args.Length; i++)
            {
                switch (args[i])
                {
                    case "--concurrency":
                        concurrency = int.Parse(args[++i], CultureInfo.InvariantCulture);
                        break;
                    case "--warmup":
                        warmup = double.Parse(args[++i], CultureInfo.InvariantCulture);
                        break;
                    case "--duration":
                        duration = double.Parse(args[++i], CultureInfo.InvariantCulture);
                        break;
                    case "--rounds":
                        rounds = int.Parse(args[++i], CultureInfo.InvariantCulture);
                        break;
                    case "--only":
                        only = args[++i] is "a" or "b" or "c" ? args[i] : throw new ArgumentException("--only takes a, b or c.");
                        break;
                    case "--inproc":
                        inProcess = true;
                        break;
                    case "--access-log":
                        accessLog = true;
                        break;
                    default:
                        throw new ArgumentException($"Unknown option {args[i]}.");
                }
            }

            return new Options(concurrency, TimeSpan.FromSeconds(warmup), TimeSpan.FromSeconds(duration), rounds, accessLog, only, inProcess);
        }
    }

    /// <summary>The gateway's service token for the benchmark: a fixed value (no IAM runs here).</summary>
    internal sealed class FixedServiceToken : IServiceTokenProvider
    {
        public ValueTask<string> GetTokenAsync(CancellationToken cancellationToken) => ValueTask.FromResult("bench-service-token");
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Nno.Core.Services;
using Nno.Gateway.RateLimiting;
using Nno.Host;
using Nno.ServiceDefaults.Data;

namespace Nno.Bench.Registry;

/// <summary>
/// Page latency of <c>GET /api/v1/platforms</c> as an operator (the static key) through the gateway, with 1,000 and
/// with 100,000 platforms in the Registry's database (issue 5): two all-in-one platforms (IAM, Registry, gateway) in
/// this process on their own data directories, seeded straight into SQLite after the migrations ran; each sample walks
/// the list page by page with the cursor (wrapping to the first page at the end), rounds interleaved.
/// Target: the 100k page p50 within 1.5× of the 1k page p50.
/// Usage: <c>registry-list [--requests N] [--rounds N] [--limit N] [--small N] [--large N]</c>.
/// </summary>
public static class PlatformListLatency
{
    private const string StaticKey = "bench-static-key-registry-0123456789abcdef";
    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static async Task<int> RunAsync(string[] args)
    {
        var requests = 1_000;
        var rounds = 3;
        var limit = 20;
        var small = 1_000;
        var large = 100_000;
        for (var i = 0; i < args.Length; i++)
        {
            var value = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            switch (args[i++])
            {
                case "--requests": requests = value; break;
                case "--rounds": rounds = value; break;
                case "--limit": limit = value; break;
                case "--small": small = value; break;
                case "--large": large = value; break;
                default: throw new ArgumentException($"Unknown option {args[i - 1]}.");
            }
        }

        await using var smallStack = await Stack.StartAsync(small);
        await using var largeStack = await Stack.StartAsync(large);
        var stacks = new[] { smallStack, largeStack };
        Console.WriteLine($"registry platform list: {Environment.ProcessorCount} cores, {rounds} interleaved rounds of {requests} sequential page requests (limit {limit}) per size, operator through the gateway in memory");
        foreach (var stack in stacks)
        {
            await stack.WalkAsync(200, limit, record: null);
        }

        var samples = stacks.Select(_ => new List<double>()).ToArray();
        for (var round = 0; round < rounds; round++)
        {
            for (var s = 0; s < stacks.Length; s++)
            {
                var latencies = new List<double>(requests);
                await stacks[s].WalkAsync(requests, limit, latencies);
                samples[s].AddRange(latencies);
                latencies.Sort();
                Console.WriteLine(FormattableString.Invariant($"  round {round + 1} {stacks[s].Platforms,7:N0} platforms: p50 {Percentile(latencies, 0.5):0.000} ms  p99 {Percentile(latencies, 0.99):0.000} ms"));
            }
        }

        var results = samples.Select((l, s) =>
        {
            l.Sort();
            return new { platforms = stacks[s].Platforms, requests = l.Count, p50Ms = Math.Round(Percentile(l, 0.5), 3), p90Ms = Math.Round(Percentile(l, 0.9), 3), p99Ms = Math.Round(Percentile(l, 0.99), 3) };
        }).ToArray();
        foreach (var r in results)
        {
            Console.WriteLine(FormattableString.Invariant($"{r.platforms,7:N0} platforms: p50 {r.p50Ms:0.000} ms  p90 {r.p90Ms:0.000} ms  p99 {r.p99Ms:0.000} ms  ({r.requests} pages)"));
        }

        var ratio = results[1].p50Ms / results[0].p50Ms;
        Console.WriteLine(FormattableString.Invariant($"p50 {large:N0}/{small:N0} = {ratio:0.000}   p99 ratio = {results[1].p99Ms / results[0].p99Ms:0.000}   (target: p50 ratio <= 1.5)"));
        Console.WriteLine(JsonSerializer.Serialize(new { benchmark = "registry-list", cores = Environment.ProcessorCount, limit, rounds, small = results[0], large = results[1], p50Ratio = Math.Round(ratio, 3) }, JsonOptions));
        return 0;
    }

    private static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];

    /// <summary>One all-in-one platform (IAM, Registry, gateway) on its own data directory, seeded with platforms.</summary>
    private sealed class Stack : IAsyncDisposable
    {
        private readonly string _dataDir;
        private readonly PlatformHost _host;
        private readonly HttpClient _client;
        private string? _cursor;

        private Stack(string dataDir, PlatformHost host, int platforms)
        {
            _dataDir = dataDir;
            _host = host;
            Platforms = platforms;
            _client = host.CreateInMemoryClient(NnoServices.Gateway);
            _client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + StaticKey);
        }

        public int Platforms { get; }

        public static async Task<Stack> StartAsync(int platforms)
        {
            var dataDir = Path.Combine(Path.GetTempPath(), "nno-bench-registry-" + Guid.NewGuid().ToString("N"));
            var settings = new Dictionary<string, string?>(GatewayRateLimitSettings.AllAt(1_000_000_000))
            {
                ["Nno:Environment"] = "local",
                ["Nno:DataDir"] = dataDir,
                ["AUTH_API_KEY"] = StaticKey,
                ["Logging:LogLevel:Default"] = "Warning",
            };
            var host = PlatformHost.Build(new PlatformHostSettings
            {
                Services = [NnoServices.Iam, NnoServices.Registry, NnoServices.Gateway],
                Settings = settings,
                Listen = false,
            });
            await host.StartAsync();
            var clock = Stopwatch.StartNew();
            Seed(NnoDatabase.FilePath(dataDir, NnoServices.RegistryInfo.Database!), platforms);
            Console.WriteLine(FormattableString.Invariant($"  seeded {platforms:N0} platforms in {clock.Elapsed.TotalSeconds:0.0} s"));
            return new Stack(dataDir, host, platforms);
        }

        /// <summary>Inserts <paramref name="count"/> active platforms in one transaction (ids and slugs unique, creation times increasing).</summary>
        private static void Seed(string file, int count)
        {
            using var connection = new SqliteConnection($"Data Source={file};Pooling=False");
            connection.Open();
            using var transaction = connection.BeginTransaction();
            using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = """
                INSERT INTO platforms (id, name, slug, class, status, tier, owner_user_id, version, created_at, updated_at)
                VALUES ($id, $name, $slug, 'platform', 'active', 'starter', $owner, 1, $at, $at)
                """;
            var id = insert.Parameters.Add("$id", SqliteType.Text);
            var name = insert.Parameters.Add("$name", SqliteType.Text);
            var slug = insert.Parameters.Add("$slug", SqliteType.Text);
            var owner = insert.Parameters.Add("$owner", SqliteType.Text);
            var at = insert.Parameters.Add("$at", SqliteType.Integer);
            var start = DateTimeOffset.UtcNow.AddDays(-30).ToUnixTimeMilliseconds();
            var ids = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < count; i++)
            {
                string next;
                do
                {
                    next = RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 10);
                }
                while (next == "0000000000" || !ids.Add(next));

                id.Value = next;
                name.Value = "Bench platform " + i.ToString(CultureInfo.InvariantCulture);
                slug.Value = "bench-" + i.ToString(CultureInfo.InvariantCulture);
                owner.Value = "usr_bench" + (i % 5_000).ToString(CultureInfo.InvariantCulture);
                at.Value = start + i;
                insert.ExecuteNonQuery();
            }

            transaction.Commit();
        }

        /// <summary>Requests <paramref name="pages"/> pages one after another, following the cursor and wrapping at the end.</summary>
        public async Task WalkAsync(int pages, int limit, List<double>? record)
        {
            for (var i = 0; i < pages; i++)
            {
                var url = $"/api/v1/platforms?limit={limit}" + (_cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(_cursor));
                var started = Stopwatch.GetTimestamp();
                using var response = await _client.GetAsync(url);
                var body = await response.Content.ReadAsByteArrayAsync();
                var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (!response.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException($"GET {url} answered {(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(body)}");
                }

                record?.Add(elapsed);
                using var json = JsonDocument.Parse(body);
                var pagination = json.RootElement.GetProperty("pagination");
                _cursor = pagination.GetProperty("hasMore").GetBoolean() ? pagination.GetProperty("nextCursor").GetString() : null;
            }
        }

        public async ValueTask DisposeAsync()
        {
            _client.Dispose();
            await _host.DisposeAsync();
            SqliteConnection.ClearAllPools();
            Directory.Delete(_dataDir, recursive: true);
        }
    }
}

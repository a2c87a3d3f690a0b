using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Nno.Core.Services;
using Nno.Host;

namespace Nno.Bench.Iam;

/// <summary>
/// IAM's hot path and its deliberately slow one (issue 3, iam.md §8):
/// (1) <c>GET /api/nno/session</c> as the gateway calls it on a credential-cache miss, with 10k users and 50k sessions in
///     the database (every user on 3 platforms, every fifth session with an active organization whose role mapping and
///     grants must be resolved), random tokens, N concurrent callers, in memory (no sockets): throughput, p50/p99, and
///     database commands per validation counted from EF Core's diagnostic events;
/// (2) <c>POST /api/auth/sign-in/email</c> with the production hashing cost (100,000 PBKDF2 iterations).
/// Usage: <c>session [--users N] [--sessions-per-user N] [--concurrency N] [--duration s] [--signin-duration s] [--iterations N]</c>
/// </summary>
public static class SessionValidation
{
    public static async Task<int> RunAsync(string[] args)
    {
        var options = Options.Parse(args);
        var dataDir = Directory.CreateTempSubdirectory("nno-bench-session-").FullName;
        try
        {
            return await RunInAsync(dataDir, options);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(dataDir, recursive: true);
        }
    }

    private static async Task<int> RunInAsync(string dataDir, Options options)
    {
        var host = PlatformHost.Build(new PlatformHostSettings
        {
            Services = [NnoServices.Iam],
            Listen = false,
            Settings = new Dictionary<string, string?>
            {
                ["Nno:Environment"] = "local",
                ["Nno:DataDir"] = dataDir,
                ["Logging:LogLevel:Default"] = "Warning",
                ["Iam:Passwords:Iterations"] = options.Iterations.ToString(CultureInfo.InvariantCulture),
            },
        });
        await using var _ = host;
        await host.StartAsync();

        var seedWatch = Stopwatch.StartNew();
        var tokens = Seed(Path.Combine(dataDir, "db", "iam.db"), options);
        Console.WriteLine(FormattableString.Invariant($"seeded {options.Users} users, {tokens.Length} sessions in {seedWatch.Elapsed.TotalSeconds:0.0} s"));

        using var iam = host.CreateInMemoryClient(NnoServices.Iam);
        var gatewayToken = await IssueGatewayTokenAsync(iam, dataDir);

        using var commands = new CommandCounter();
        // Warm-up: JIT, connection pool, SQLite page cache.
        await ValidateLoopAsync(iam, gatewayToken, tokens, options.Concurrency, TimeSpan.FromSeconds(3), record: false);
        commands.Reset();
        var measured = await ValidateLoopAsync(iam, gatewayToken, tokens, options.Concurrency, options.Duration, record: true);
        var perRequest = (double)commands.Count / Math.Max(1, measured.Count);
        Console.WriteLine(FormattableString.Invariant(
            $"session validation (cache miss): {measured.Count / options.Duration.TotalSeconds:0.0} req/s, p50 {Percentile(measured.Latencies, 0.50):0.000} ms, p99 {Percentile(measured.Latencies, 0.99):0.000} ms, {measured.Errors} errors, {perRequest:0.00} DB commands/request, concurrency {options.Concurrency}"));

        // Sign-in with production hashing: one account, concurrent sign-ins (each one also creates a session).
        var signIn = await SignInLoopAsync(iam, gatewayToken, options);
        Console.WriteLine(signIn.Count == 0
            ? "sign-in: no successful sign-in (is POST /api/auth/sign-in/email available?)"
            : FormattableString.Invariant($"sign-in ({options.Iterations:N0} PBKDF2 iterations): {signIn.Count / options.SignInDuration.TotalSeconds:0.0} req/s, p50 {Percentile(signIn.Latencies, 0.50):0.0} ms, p99 {Percentile(signIn.Latencies, 0.99):0.0} ms, {signIn.Errors} errors"));
        await host.StopAsync();
        return measured.Errors == 0 ? 0 : 1;
    }

    /// <summary>Writes users, platform memberships, organizations, role mappings, grants and sessions straight into IAM's SQLite file.</summary>
    private static string[] Seed(string databasePath, Options options)
    {
        using var connection = new SqliteConnection($"Data Source={databasePath};Pooling=False");
        connection.Open();
        using var transaction = connection.BeginTransaction();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var tokens = new List<string>(options.Users * options.SessionsPerUser);

        using var user = Command(connection, transaction, "INSERT INTO users (id, email, email_normalized, name, email_verified, role, created_at, updated_at) VALUES ($id, $email, $email, $name, 1, 'user', $now, $now)", "$id", "$email", "$name", "$now");
        using var member = Command(connection, transaction, "INSERT INTO platform_members (platform_id, user_id, role, added_by, created_at, updated_at) VALUES ($p, $u, $r, 'bench', $now, $now)", "$p", "$u", "$r", "$now");
        using var org = Command(connection, transaction, "INSERT INTO organizations (id, platform_id, name, slug, org_type, created_at, updated_at) VALUES ($id, $p, $name, $slug, 'tenant', $now, $now)", "$id", "$p", "$name", "$slug", "$now");
        using var mapping = Command(connection, transaction, "INSERT INTO role_permissions (organization_id, role, permissions, updated_by, updated_at) VALUES ($o, 'member', '[\"billing:read\",\"billing:write\",\"crm:read\"]', 'bench', $now)", "$o", "$now");
        using var tenantMember = Command(connection, transaction, "INSERT INTO members (id, organization_id, user_id, role, created_at, updated_at) VALUES ($id, $o, $u, 'member', $now, $now)", "$id", "$o", "$u", "$now");
        using var grant = Command(connection, transaction, "INSERT INTO permission_grants (id, organization_id, user_id, permission, granted, granted_by, created_at) VALUES ($id, $o, $u, 'crm:read', 0, 'bench', $now)", "$id", "$o", "$u", "$now");
        using var session = Command(connection, transaction, "INSERT INTO sessions (id, user_id, token_hash, auth_method, mfa_verified, remember_me, active_platform_id, active_organization_id, created_at, updated_at, last_seen_at, expires_at, absolute_expires_at) VALUES ($id, $u, $hash, 'password', 0, 1, $p, $o, $now, $now, $now, $exp, $abs)", "$id", "$u", "$hash", "$p", "$o", "$now", "$exp", "$abs");

        // 1,000 platforms with one organization each; users spread over them.
        const int platforms = 1000;
        for (var p = 0; p < platforms; p++)
        {
            Run(org, $"o{p:D9}", $"p{p:D9}", $"Org {p}", $"org-{p}", now);
            Run(mapping, $"o{p:D9}", now);
        }

        for (var u = 0; u < options.Users; u++)
        {
            var userId = $"usr_bench{u:D15}";
            Run(user, userId, $"user{u}@bench.example", $"User {u}", now);
            for (var m = 0; m < 3; m++)
            {
                Run(member, $"p{(u + (m * 337)) % platforms:D9}", userId, m == 0 ? "member" : "admin", now + m);
            }

            var homePlatform = u % platforms;
            Run(tenantMember, $"mem_bench{u:D15}", $"o{homePlatform:D9}", userId, now);
            if (u % 2 == 0)
            {
                Run(grant, $"grt_bench{u:D15}", $"o{homePlatform:D9}", userId, now);
            }

            for (var s = 0; s < options.SessionsPerUser; s++)
            {
                var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
                var activeOrg = s == 0 ? $"o{homePlatform:D9}" : null;
                Run(session, $"ses_bench{u:D10}{s:D5}", userId, SHA256.HashData(Encoding.UTF8.GetBytes(token)), $"p{homePlatform:D9}", (object?)activeOrg ?? DBNull.Value, now, now + (7L * 86_400_000), now + (30L * 86_400_000));
                tokens.Add(token);
            }
        }

        transaction.Commit();
        return [.. tokens];
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction transaction, string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        command.Prepare();
        return command;
    }

    private static void Run(SqliteCommand command, params object[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i];
        }

        command.ExecuteNonQuery();
    }

    private static async Task<string> IssueGatewayTokenAsync(HttpClient iam, string dataDir)
    {
        var secrets = JsonSerializer.Deserialize<Dictionary<string, string>>(await File.ReadAllTextAsync(Path.Combine(dataDir, "secrets", "service-clients.json")))!;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/nno/service-token") { Content = JsonContent.Create(new { service = "gateway" }) };
        request.Headers.Authorization = new("Bearer", secrets["gateway"]);
        using var response = await iam.SendAsync(request);
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("token").GetString()!;
    }

    private sealed record Measured(long Count, long Errors, List<double> Latencies);

    private static async Task<Measured> ValidateLoopAsync(HttpClient iam, string gatewayToken, string[] tokens, int concurrency, TimeSpan duration, bool record)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var results = await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            var latencies = new List<double>();
            long count = 0, errors = 0;
            while (Stopwatch.GetTimestamp() < deadline)
            {
                var token = tokens[Random.Shared.Next(tokens.Length)];
                using var request = new HttpRequestMessage(HttpMethod.Get, "/api/nno/session");
                request.Headers.Authorization = new("Bearer", gatewayToken);
                request.Headers.Add("X-Nno-Auth", "service");
                request.Headers.Add("X-Nno-User-Id", "svc:gateway");
                request.Headers.Add("X-Nno-Session-Token", token);
                var started = Stopwatch.GetTimestamp();
                using var response = await iam.SendAsync(request);
                await response.Content.ReadAsByteArrayAsync();
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    count++;
                }
                else
                {
                    errors++;
                }

                if (record)
                {
                    latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
            }

            return new Measured(count, errors, latencies);
        })));
        return new Measured(results.Sum(r => r.Count), results.Sum(r => r.Errors), [.. results.SelectMany(r => r.Latencies)]);
    }

    private static async Task<Measured> SignInLoopAsync(HttpClient iam, string gatewayToken, Options options)
    {
        const string email = "signin@bench.example";
        const string password = "correct horse battery staple 42";
        using (var signUp = Anonymous(HttpMethod.Post, "/api/auth/sign-up/email", gatewayToken, new { email, password, name = "Bench" }))
        using (var response = await iam.SendAsync(signUp))
        {
            if (!response.IsSuccessStatusCode)
            {
                return new Measured(0, 1, []);
            }
        }

        var deadline = Stopwatch.GetTimestamp() + (long)(options.SignInDuration.TotalSeconds * Stopwatch.Frequency);
        var results = await Task.WhenAll(Enumerable.Range(0, Environment.ProcessorCount * 2).Select(_ => Task.Run(async () =>
        {
            var latencies = new List<double>();
            long count = 0, errors = 0;
            while (Stopwatch.GetTimestamp() < deadline)
            {
                using var request = Anonymous(HttpMethod.Post, "/api/auth/sign-in/email", gatewayToken, new { email, password });
                var started = Stopwatch.GetTimestamp();
                using var response = await iam.SendAsync(request);
                await response.Content.ReadAsByteArrayAsync();
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (response.IsSuccessStatusCode)
                {
                    count++;
                }
                else
                {
                    errors++;
                }
            }

            return new Measured(count, errors, latencies);
        })));
        return new Measured(results.Sum(r => r.Count), results.Sum(r => r.Errors), [.. results.SelectMany(r => r.Latencies)]);
    }

    private static HttpRequestMessage Anonymous(HttpMethod method, string path, string gatewayToken, object body)
    {
        var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body) };
        request.Headers.Authorization = new("Bearer", gatewayToken);
        request.Headers.Add("X-Nno-Auth", "anonymous");
        request.Headers.Add("X-Nno-Client-Ip", "127.0.0.1");
        return request;
    }

    private static double Percentile(List<double> values, double p)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        values.Sort();
        return values[Math.Min(values.Count - 1, (int)Math.Ceiling(p * values.Count) - 1)];
    }

    /// <summary>Counts every database command EF Core executes in this process (its diagnostic events), to show there is no N+1.</summary>
    private sealed class CommandCounter : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
    {
        private readonly IDisposable _subscription;
        private readonly ConcurrentBag<IDisposable> _listeners = [];
        private long _count;

        public CommandCounter() => _subscription = DiagnosticListener.AllListeners.Subscribe(this);

        public long Count => Interlocked.Read(ref _count);

        public void Reset() => Interlocked.Exchange(ref _count, 0);

        public void OnNext(DiagnosticListener value)
        {
            if (value.Name == "Microsoft.EntityFrameworkCore")
            {
                _listeners.Add(value.Subscribe(this));
            }
        }

        public void OnNext(KeyValuePair<string, object?> value)
        {
            if (value.Key == "Microsoft.EntityFrameworkCore.Database.Command.CommandExecuted")
            {
                Interlocked.Increment(ref _count);
            }
        }

        public void OnCompleted()
        {
        }

        public void OnError(Exception error)
        {
        }

        public void Dispose()
        {
            _subscription.Dispose();
            foreach (var listener in _listeners)
            {
                listener.Dispose();
            }
        }
    }

    private sealed record Options(int Users, int SessionsPerUser, int Concurrency, TimeSpan Duration, TimeSpan SignInDuration, int Iterations)
    {
        public static Options Parse(string[] args)
        {
            var options = new Options(10_000, 5, 8, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5), 100_000);
            for (var i = 0; i + 1 < args.Length; i += 2)
            {
                var value = args[i + 1];
                options = args[i] switch
                {
                    "--users" => options with { Users = int.Parse(value, CultureInfo.InvariantCulture) },
                    "--sessions-per-user" => options with { SessionsPerUser = int.Parse(value, CultureInfo.InvariantCulture) },
                    "--concurrency" => options with { Concurrency = int.Parse(value, CultureInfo.InvariantCulture) },
                    "--duration" => options with { Duration = TimeSpan.FromSeconds(double.Parse(value, CultureInfo.InvariantCulture)) },
                    "--signin-duration" => options with { SignInDuration = TimeSpan.FromSeconds(double.Parse(value, CultureInfo.InvariantCulture)) },
                    "--iterations" => options with { Iterations = int.Parse(value, CultureInfo.InvariantCulture) },
                    _ => throw new ArgumentException("Unknown option " + args[i]),
                };
            }

            return options;
        }
    }
}

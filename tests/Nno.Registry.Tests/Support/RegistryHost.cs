using System.Net.Http.Headers;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Nno.Client.Identity;
using Nno.Core.Services;
using Nno.Registry.Data;
using Nno.ServiceDefaults.Data;
using Nno.Testing;
using Nno.Testing.Logging;
using Nno.Testing.Security;

namespace Nno.Registry.Tests.Support;

/// <summary>
/// The Registry (with IAM for service tokens) on a temp directory with a fake clock, called exactly as the gateway calls
/// it: the gateway's real service token plus the identity headers of gateway.md §4.5.
/// </summary>
public sealed class RegistryHost : IAsyncDisposable
{
    public const string StaticKeyFingerprint = "5e55a0c1";
    public const string OperatorId = "usr_operator000000000000";

    private readonly SemaphoreSlim _tokenLock = new(1, 1);
    private readonly Dictionary<string, (string Token, DateTimeOffset ExpiresAt)> _tokens = new(StringComparer.Ordinal);

    private RegistryHost(TestPlatform platform, CapturingLoggerProvider logs)
    {
        Platform = platform;
        Logs = logs;
    }

    /// <summary>Every log line the services wrote (to diagnose a failure, or scan for secrets).</summary>
    public CapturingLoggerProvider Logs { get; }

    public TestPlatform Platform { get; }

    public FakeTimeProvider Time => Platform.Time;

    public IServiceProvider Services => Platform.Host.Apps[NnoServices.Registry].Services;

    /// <summary>The Registry's SQLite file.</summary>
    public string DatabaseFile => NnoDatabase.FilePath(Platform.DataDir, RegistryDbContext.DatabaseName);

    public static async Task<RegistryHost> StartAsync(IDictionary<string, string?>? settings = null)
    {
        var logs = new CapturingLoggerProvider();
        var platform = await TestPlatform.StartAsync([NnoServices.Iam, NnoServices.Registry], settings, configureBuilder: (_, b) => logs.AddTo(b));
        return new RegistryHost(platform, logs);
    }

    /// <summary>The service token of <paramref name="service"/>, reused while it is valid on the fake clock.</summary>
    public async ValueTask<string> TokenOfAsync(string service)
    {
        await _tokenLock.WaitAsync();
        try
        {
            if (!_tokens.TryGetValue(service, out var cached) || cached.ExpiresAt - TimeSpan.FromSeconds(30) <= Time.GetUtcNow())
            {
                var issued = await Platform.IssueServiceTokenAsync(service);
                cached = (issued.Token, issued.ExpiresAt);
                _tokens[service] = cached;
            }

            return cached.Token;
        }
        finally
        {
            _tokenLock.Release();
        }
    }

    /// <summary>A client sending <paramref name="identity"/> with the gateway's token.</summary>
    public HttpClient As(GatewayIdentity identity) =>
        new(new GatewayIdentityHandler(async _ => await TokenOfAsync(NnoServices.Gateway), identity) { InnerHandler = Platform.Host.Directory.CreateHandler(NnoServices.Registry) })
        {
            BaseAddress = Nno.ServiceDefaults.Bindings.ServiceBindingRegistration.InProcessAddress(NnoServices.Registry),
        };

    /// <summary>An operator's session (<c>platform-admin</c>).</summary>
    public HttpClient Operator() => As(GatewayIdentity.Session(OperatorId, "ses_operator", "platform-admin"));

    /// <summary>The gateway's static key (operator rights).</summary>
    public HttpClient StaticKey() => As(GatewayIdentity.StaticKey(StaticKeyFingerprint));

    /// <summary>A user's session listing <paramref name="platforms"/> (platform id → role) in <c>X-Nno-Platforms</c>.</summary>
    public HttpClient User(string userId, params (string PlatformId, string Role)[] platforms) =>
        As(GatewayIdentity.Session(userId, "ses_" + userId, platforms: platforms.ToDictionary(p => p.PlatformId, p => p.Role, StringComparer.Ordinal)));

    /// <summary>An API key bound to <paramref name="platformId"/> with the owner's <paramref name="role"/> there.</summary>
    public HttpClient ApiKey(string userId, string platformId, string role, params string[] scopes) =>
        As(GatewayIdentity.ApiKey(userId, "key_" + userId, scopes, platformId: platformId, platformRole: role));

    /// <summary>Another service calling with its own real token.</summary>
    public async Task<HttpClient> ServiceAsync(string service, string? actingUserId = null)
    {
        var client = Platform.Client(NnoServices.Registry);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenOfAsync(service));
        if (actingUserId is not null)
        {
            client.DefaultRequestHeaders.Add("X-Nno-Acting-User-Id", actingUserId);
        }

        return client;
    }

    /// <summary>A scope with the Registry's database context.</summary>
    public async Task<T> WithDbAsync<T>(Func<RegistryDbContext, Task<T>> action)
    {
        await using var scope = Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<RegistryDbContext>());
    }

    /// <summary>A raw connection to the Registry's file, bypassing EF (what an attacker with SQL access would do).</summary>
    public SqliteConnection OpenRawConnection()
    {
        var connection = new SqliteConnection($"Data Source={DatabaseFile};Pooling=False");
        connection.Open();
        return connection;
    }

    /// <summary>
    /// A host with per-service builder and pipeline changes (fault injection, store wrappers), optionally on an existing
    /// data directory and clock (restart tests: stop the previous host with <see cref="TestPlatform.StopKeepingDataAsync"/>).
    /// </summary>
    public static async Task<RegistryHost> StartWithAsync(
        IDictionary<string, string?>? settings = null,
        Action<string, Microsoft.AspNetCore.Builder.WebApplicationBuilder>? configureBuilder = null,
        Action<string, Microsoft.AspNetCore.Builder.WebApplication>? configurePipeline = null,
        TempDirectory? dataDir = null,
        FakeTimeProvider? time = null,
        IReadOnlyCollection<string>? services = null)
    {
        var logs = new CapturingLoggerProvider();
        var platform = await TestPlatform.StartAsync(
            services ?? [NnoServices.Iam, NnoServices.Registry],
            settings,
            configureBuilder: (name, b) =>
            {
                logs.AddTo(b);
                configureBuilder?.Invoke(name, b);
            },
            configurePipeline: configurePipeline,
            dataDir: dataDir,
            time: time);
        return new RegistryHost(platform, logs);
    }

    /// <summary>Makes <paramref name="userId"/> an IAM user with <paramref name="role"/> on <paramref name="platformId"/> (IAM's own tables).</summary>
    public void AddIamMember(string userId, string platformId, string role)
    {
        using var connection = new SqliteConnection($"Data Source={NnoDatabase.FilePath(Platform.DataDir, "iam")};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT OR IGNORE INTO users (id, email, email_normalized, name, email_verified, role, created_at, updated_at)
            VALUES ($id, $email, $email, $id, 1, 'user', 1, 1);
            INSERT INTO platform_members (platform_id, user_id, role, added_by, created_at, updated_at) VALUES ($pid, $id, $role, 'test', 1, 1);
            """;
        command.Parameters.AddWithValue("$id", userId);
        command.Parameters.AddWithValue("$email", userId + "@example.com");
        command.Parameters.AddWithValue("$pid", platformId);
        command.Parameters.AddWithValue("$role", role);
        command.ExecuteNonQuery();
    }

    public async ValueTask DisposeAsync()
    {
        await Platform.DisposeAsync();
        _tokenLock.Dispose();
        SqliteConnection.ClearAllPools();
    }
}

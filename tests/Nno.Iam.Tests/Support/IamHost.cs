using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Nno.Client.Identity;
using Nno.Core.Credentials;
using Nno.Core.Identity;
using Nno.Core.Services;
using Nno.Iam.Data;
using Nno.Iam.Platforms;
using Nno.Iam.Sessions;
using Nno.Iam.Users;
using Nno.ServiceDefaults.Bindings;
using Nno.Testing;
using Nno.Testing.Logging;
using Nno.Testing.Security;

namespace Nno.Iam.Tests.Support;

/// <summary>A user created for a test, with a live session token.</summary>
public sealed record TestUser(string Id, string Email, string Token, string SessionId);

/// <summary>
/// IAM alone on a temp directory with a fake clock, called exactly as the gateway calls it (iam.md §7): the gateway's
/// real service token plus the identity headers of gateway.md §4.5. <see cref="Session"/> resolves a session token the
/// way the gateway does (its own <c>GET /api/nno/session</c> call) before every request, with no cache.
/// </summary>
public sealed class IamHost : IAsyncDisposable
{
    public const string StaticKeyFingerprint = "5e55a0c1";

    private readonly SemaphoreSlim _tokenLock = new(1, 1);
    private readonly Dictionary<string, (string Token, DateTimeOffset ExpiresAt)> _tokens = new(StringComparer.Ordinal);

    private IamHost(TestPlatform platform, CapturingLoggerProvider logs)
    {
        Platform = platform;
        Logs = logs;
    }

    public TestPlatform Platform { get; }

    public FakeTimeProvider Time => Platform.Time;

    /// <summary>Every log line IAM wrote (to scan for secrets).</summary>
    public CapturingLoggerProvider Logs { get; }

    public static async Task<IamHost> StartAsync(IDictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?> { ["Iam:Passwords:Iterations"] = "1000" };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        var logs = new CapturingLoggerProvider();
        var platform = await TestPlatform.StartAsync([NnoServices.Iam], all, configureBuilder: (_, b) => logs.AddTo(b));
        return new IamHost(platform, logs);
    }

    /// <summary>The service token of <paramref name="service"/>, reused while it is valid on the fake clock.</summary>
    public async ValueTask<string> TokenOfAsync(string service)
    {
        await _tokenLock.WaitAsync();
        try
        {
            // Tests move the clock by days: a cached token is replaced once it is near its 5-minute expiry.
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

    /// <summary>A request from a public route (<c>X-Nno-Auth: anonymous</c>).</summary>
    public HttpClient Anonymous(string clientIp = "127.0.0.1") => As(GatewayIdentity.Anonymous(clientIp));

    /// <summary>A client sending a fixed principal with the gateway's token.</summary>
    public HttpClient As(GatewayIdentity identity) => Build(new GatewayIdentityHandler(async _ => await TokenOfAsync(NnoServices.Gateway), identity));

    /// <summary>The gateway's static key principal (operator rights, bootstrap).</summary>
    public HttpClient StaticKey() => As(GatewayIdentity.StaticKey(StaticKeyFingerprint));

    /// <summary>The gateway's own validation call (<c>svc:gateway</c>).</summary>
    public HttpClient GatewaySelf() => As(GatewayIdentity.GatewaySelf());

    /// <summary>Another service calling with its own real token (identity headers ignored).</summary>
    public HttpClient Service(string service)
    {
        var client = Platform.Client(NnoServices.Iam);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TokenOfAsync(service).AsTask().GetAwaiter().GetResult());
        return client;
    }

    /// <summary>A user's client: each request is authenticated like the gateway would, from the session token.</summary>
    public HttpClient Session(string token, string clientIp = "127.0.0.1") => Build(new SessionHandler(this, token, clientIp));

    /// <summary>The enriched session of <paramref name="token"/> as the gateway sees it (null when IAM answers 401).</summary>
    public async Task<JsonElement?> ValidateAsync(string token)
    {
        // Built by hand: GatewayIdentityHandler strips every X-Nno-* header it did not set, the token header included.
        using var client = Platform.Client(NnoServices.Iam);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/nno/session");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await TokenOfAsync(NnoServices.Gateway));
        foreach (var (name, value) in GatewayIdentityHeaders.For(GatewayIdentity.GatewaySelf()))
        {
            request.Headers.Add(name, value);
        }

        request.Headers.Add(NnoIdentityHeaders.SessionToken, token);
        using var response = await client.SendAsync(request);
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    /// <summary>Runs <paramref name="action"/> on a fresh scope of IAM's database.</summary>
    internal async Task<T> DbAsync<T>(Func<IamDbContext, Task<T>> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        await using var scope = Platform.Host.Apps[NnoServices.Iam].Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<IamDbContext>());
    }

    internal Task DbAsync(Func<IamDbContext, Task> action) => DbAsync(async db =>
    {
        await action(db);
        return true;
    });

    /// <summary>Creates a user directly in the database with a live browser session (no email, no audit): test setup only.</summary>
    public async Task<TestUser> CreateUserAsync(string? email = null, string role = UserRoles.User, bool emailVerified = true, string? name = null)
    {
        email ??= "user-" + Guid.NewGuid().ToString("N")[..10] + "@example.com";
        await using var scope = Platform.Host.Apps[NnoServices.Iam].Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IamDbContext>();
        var now = Time.GetUtcNow().ToUnixTimeMilliseconds();
        var user = new UserRecord
        {
            Id = IamIds.New("usr"),
            Email = email,
            EmailNormalized = EmailAddress.Normalize(email),
            Name = name ?? email.Split('@')[0],
            EmailVerified = emailVerified,
            Role = role,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Users.Add(user);
        var issued = await scope.ServiceProvider.GetRequiredService<SessionStore>()
            .CreateAsync(user.Id, new NewSession { AuthMethod = AuthMethods.Password, IpAddress = "127.0.0.1" }, CancellationToken.None);
        await db.SaveChangesAsync();
        return new TestUser(user.Id, email, issued.Token, issued.Session.Id);
    }

    /// <summary>Creates an operator (<c>platform-admin</c>) directly in the database with a live session.</summary>
    public Task<TestUser> CreateOperatorAsync(string? email = null) => CreateUserAsync(email, UserRoles.PlatformAdmin);

    /// <summary>Writes a platform membership directly (what the Registry's PUT does): test setup only.</summary>
    public Task AddPlatformMemberAsync(string platformId, string userId, string role) => DbAsync(async db =>
    {
        var now = Time.GetUtcNow().ToUnixTimeMilliseconds();
        db.PlatformMembers.Add(new PlatformMemberRecord { PlatformId = platformId, UserId = userId, Role = role, AddedBy = "test", CreatedAt = now, UpdatedAt = now });
        await db.SaveChangesAsync();
    });

    /// <summary>
    /// Text bodies of queued email matching <paramref name="filter"/>, in the filter's order. The dispatcher clears a
    /// body once the email is delivered; delivered email is then read from the dev mailbox, which keeps the outbox id.
    /// </summary>
    internal async Task<List<string>> MailTextsAsync(Func<IQueryable<Nno.Iam.Mail.EmailOutboxRecord>, IQueryable<Nno.Iam.Mail.EmailOutboxRecord>> filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var rows = await DbAsync(db => filter(db.EmailOutbox.AsNoTracking()).Select(m => new { m.Id, m.TextBody }).ToListAsync());
        var texts = new List<string>(rows.Count);
        foreach (var row in rows)
        {
            texts.Add(row.TextBody ?? await DbAsync(db => db.DevMailbox.AsNoTracking().Where(d => d.Id == row.Id).Select(d => d.TextBody).SingleAsync()));
        }

        return texts;
    }

    /// <summary>Fails when any captured log line contains one of <paramref name="secrets"/>.</summary>
    public void AssertLogsDoNotContain(params IEnumerable<string> secrets)
    {
        var lines = Logs.Lines;
        foreach (var secret in secrets.Where(s => s.Length >= 8))
        {
            Assert.DoesNotContain(lines, line => line.Contains(secret, StringComparison.Ordinal));
        }
    }

    private HttpClient Build(DelegatingHandler handler)
    {
        handler.InnerHandler = Platform.Host.Directory.CreateHandler(NnoServices.Iam);
        return new HttpClient(handler) { BaseAddress = ServiceBindingRegistration.InProcessAddress(NnoServices.Iam) };
    }

    public async ValueTask DisposeAsync()
    {
        await Platform.DisposeAsync();
        _tokenLock.Dispose();
        Logs.Dispose();
    }

    /// <summary>Resolves the token like the gateway (no cache), then forwards with the session's identity headers.</summary>
    private sealed class SessionHandler(IamHost host, string token, string clientIp) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var session = await host.ValidateAsync(token);
            if (session is not { } s)
            {
                return new HttpResponseMessage(HttpStatusCode.Unauthorized)
                {
                    RequestMessage = request,
                    Content = JsonContent.Create(new { error = new { code = "UNAUTHORIZED", message = "test gateway: session rejected by IAM" } }),
                };
            }

            var platforms = s.GetProperty("platforms").EnumerateArray()
                .ToDictionary(p => p.GetProperty("platformId").GetString()!, p => p.GetProperty("role").GetString()!, StringComparer.Ordinal);
            var active = s.GetProperty("platformId").GetString();
            var identity = GatewayIdentity.Session(
                s.GetProperty("user").GetProperty("id").GetString()!,
                s.GetProperty("session").GetProperty("id").GetString()!,
                s.GetProperty("role").GetString()!,
                platforms,
                string.IsNullOrEmpty(active) ? null : active,
                clientIp);
            if (!string.IsNullOrEmpty(active) && identity.PlatformRole is null)
            {
                identity = identity with { PlatformRole = s.GetProperty("platformRole").GetString() };
            }

            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await host.TokenOfAsync(NnoServices.Gateway));
            GatewayIdentityHeaders.Apply(request.Headers, identity);
            return await base.SendAsync(request, cancellationToken);
        }
    }
}

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using Nno.Core.Services;
using Nno.ServiceDefaults.Data;
using Nno.ServiceDefaults.Hosting;
using Nno.ServiceDefaults.Idempotency;
using Nno.ServiceDefaults.Security;
using Nno.Testing;

namespace Nno.ServiceDefaults.Tests.Support;

/// <summary>The test service's database: just the idempotency table.</summary>
public sealed class TestDbContext(DbContextOptions<TestDbContext> options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.AddNnoIdempotency();
}

/// <summary>
/// A throwaway NNO service ("test") built with <see cref="NnoApplication.Build"/> on a temp data directory and a fake
/// clock, reachable in memory. The test header <c>X-Test-Principal: kind:id</c> becomes the request's principal; the
/// test routes are marked as needing no service token, so the principal middleware leaves that principal alone.
/// </summary>
public sealed class TestServiceApp : IAsyncDisposable
{
    public const string PrincipalHeader = "X-Test-Principal";

    private readonly TempDirectory _dataDir;

    private TestServiceApp(TempDirectory dataDir, WebApplication app, FakeTimeProvider time)
    {
        _dataDir = dataDir;
        App = app;
        Time = time;
        Client = new HttpClient(app.GetInMemoryServer().CreateHandler("test")) { BaseAddress = new Uri("http://test.inproc/") };
    }

    public WebApplication App { get; }

    public FakeTimeProvider Time { get; }

    public HttpClient Client { get; }

    public string DataDir => _dataDir.Path;

    public static async Task<TestServiceApp> StartAsync(Action<IEndpointRouteBuilder> map, IDictionary<string, string?>? settings = null, Action<WebApplicationBuilder>? configure = null, int? listenPort = null)
    {
        var dataDir = new TempDirectory();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var all = new Dictionary<string, string?>
        {
            ["Nno:DataDir"] = dataDir.Path,
            ["Logging:LogLevel:Default"] = "Warning",
        };
        if (listenPort is { } port)
        {
            all[NnoApplication.PortKey("test")] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        var module = new NnoServiceModule(
            new NnoServiceInfo("test", 0, "NNO_TEST", "NNO_TEST_URL", "test"),
            builder =>
            {
                builder.Services.AddNnoDatabase<TestDbContext>("test");
                builder.Services.AddNnoIdempotency<TestDbContext>();
                configure?.Invoke(builder);
            },
            // The test sets principals itself (X-Test-Principal), so its routes do not ask for a service token.
            web => map(web.MapGroup(string.Empty).AllowWithoutServiceToken()));
        var app = NnoApplication.Build(module, new NnoApplicationSettings
        {
            Listen = listenPort is not null,
            Settings = all,
            ConfigureBuilder = builder =>
            {
                builder.Services.RemoveAll<TimeProvider>();
                builder.Services.AddSingleton<TimeProvider>(time);
            },
            ConfigurePipeline = pipeline => pipeline.Use((context, next) =>
            {
                if (context.Request.Headers.TryGetValue(PrincipalHeader, out var value))
                {
                    context.SetNnoPrincipal(ParsePrincipal(value.ToString()));
                }

                return next(context);
            }),
        });

        // The test context has no migrations: create its schema before the service starts.
        await using (var scope = app.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<TestDbContext>().Database.EnsureCreatedAsync();
        }

        await app.StartAsync();
        return new TestServiceApp(dataDir, app, time);
    }

    /// <summary><c>session:usr_1</c>, <c>apikey:key_1</c>, <c>static:static-key:ab</c>, <c>service:registry</c>, <c>anonymous</c>.</summary>
    public static NnoPrincipal ParsePrincipal(string value)
    {
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        var kind = colon < 0 ? value : value[..colon];
        var id = colon < 0 ? null : value[(colon + 1)..];
        return kind switch
        {
            "session" => new NnoPrincipal { Kind = PrincipalKind.Session, UserId = id, Role = "user", CallerService = "gateway", SessionId = "ses_" + id },
            "apikey" => new NnoPrincipal { Kind = PrincipalKind.ApiKey, UserId = "usr_owner", KeyId = id, Role = "user", CallerService = "gateway" },
            "static" => new NnoPrincipal { Kind = PrincipalKind.StaticKey, UserId = id, Role = "service", CallerService = "gateway" },
            "service" => new NnoPrincipal { Kind = PrincipalKind.Service, UserId = "svc:" + id, Role = "service", CallerService = id! },
            "anonymous" => new NnoPrincipal { Kind = PrincipalKind.Anonymous, CallerService = "gateway" },
            _ => throw new ArgumentOutOfRangeException(nameof(value), value, "Unknown test principal."),
        };
    }

    public T Service<T>()
        where T : notnull => App.Services.GetRequiredService<T>();

    /// <summary>A fresh context on the service's database, for asserting what is stored.</summary>
    public AsyncServiceScope Scope(out TestDbContext db)
    {
        var scope = App.Services.CreateAsyncScope();
        db = scope.ServiceProvider.GetRequiredService<TestDbContext>();
        return scope;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        // Pooled SQLite connections keep the file open; release them so the directory can be deleted.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dataDir.Dispose();
    }
}

using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nno.ServiceDefaults.Health;
using Nno.ServiceDefaults.Hosting;

namespace Nno.ServiceDefaults.Data;

/// <summary>Database settings (section <c>Nno:Database</c>).</summary>
public sealed class NnoDatabaseOptions
{
    public const string Section = "Nno:Database";

    /// <summary>SQLite busy timeout: how long a writer waits for another writer's lock.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Apply pending migrations at start (00-system §9).</summary>
    public bool MigrateAtStart { get; set; } = true;
}

/// <summary>
/// One EF Core database per service (00-system §9): SQLite file <c>{dataDir}/db/{name}.db</c> in WAL mode with a busy
/// timeout, migrations applied at start, and a readiness check.
/// </summary>
public static class NnoDatabase
{
    /// <summary>The file of database <paramref name="name"/> under <paramref name="dataDir"/>.</summary>
    public static string FilePath(string dataDir, string name) => Path.Combine(dataDir, "db", name + ".db");

    /// <summary>Registers <typeparamref name="TContext"/> on the service's own database <paramref name="name"/>.</summary>
    public static IServiceCollection AddNnoDatabase<TContext>(this IServiceCollection services, string name)
        where TContext : DbContext
    {
        services.AddOptions<NnoDatabaseOptions>().BindConfiguration(NnoDatabaseOptions.Section);
        services.AddSingleton<SqlitePragmaInterceptor>();
        services.AddDbContext<TContext>((sp, options) =>
        {
            var nno = sp.GetRequiredService<IOptions<NnoOptions>>().Value;
            var db = sp.GetRequiredService<IOptions<NnoDatabaseOptions>>().Value;
            var path = FilePath(nno.ResolvedDataDir, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var connection = new SqliteConnectionStringBuilder
            {
                DataSource = path,
                Mode = SqliteOpenMode.ReadWriteCreate,
                Cache = SqliteCacheMode.Private,
                Pooling = true,
                DefaultTimeout = (int)Math.Ceiling(db.BusyTimeout.TotalSeconds),
            }.ToString();
            options.UseSqlite(connection, sqlite => sqlite.CommandTimeout((int)Math.Ceiling(db.BusyTimeout.TotalSeconds) + 25))
                .AddInterceptors(sp.GetRequiredService<SqlitePragmaInterceptor>());
        });
        services.AddHostedService<MigrateDatabaseAtStart<TContext>>();
        services.AddHealthChecks().Add(new HealthCheckRegistration(
            "database",
            sp => new DatabaseReadyCheck<TContext>(sp.GetRequiredService<IServiceScopeFactory>()),
            HealthStatus.Unhealthy,
            [HealthEndpoints.ReadyTag]));
        return services;
    }

    /// <summary>Sets WAL mode and the busy timeout on every new connection.</summary>
    internal sealed class SqlitePragmaInterceptor(IOptions<NnoDatabaseOptions> options) : DbConnectionInterceptor
    {
        public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Apply(connection);

        public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            Apply(connection);
            return Task.CompletedTask;
        }

        private void Apply(DbConnection connection)
        {
            using var command = connection.CreateCommand();
            command.CommandText = $"PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout={(int)options.Value.BusyTimeout.TotalMilliseconds};";
            command.ExecuteNonQuery();
        }
    }

    /// <summary>Applies migrations before the application takes requests.</summary>
    internal sealed class MigrateDatabaseAtStart<TContext>(IServiceScopeFactory scopes, IOptions<NnoDatabaseOptions> options, ILogger<MigrateDatabaseAtStart<TContext>> logger) : IHostedService
        where TContext : DbContext
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            if (!options.Value.MigrateAtStart)
            {
                return;
            }

            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<TContext>();
            var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
            if (pending.Count > 0)
            {
                logger.LogInformation("Applying {Count} migration(s) to {Context}: {Migrations}", pending.Count, typeof(TContext).Name, string.Join(", ", pending));
                await db.Database.MigrateAsync(cancellationToken);
            }
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class DatabaseReadyCheck<TContext>(IServiceScopeFactory scopes) : IHealthCheck
        where TContext : DbContext
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<TContext>();
            return await db.Database.CanConnectAsync(cancellationToken) ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("database unreachable");
        }
    }
}

using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Nno.Billing.Data;
using Nno.CliService.Data;
using Nno.Host;
using Nno.Provisioning.Data;
using Nno.Registry.Data;
using Nno.ServiceDefaults.Data;
using Nno.ServiceDefaults.Hosting;
using Nno.ServiceDefaults.Idempotency;
using Nno.StackRegistry.Data;
using Nno.Testing;

namespace Nno.ServiceDefaults.Tests.Data;

/// <summary>Each stateful service (IAM aside) starts on its own SQLite file, in WAL mode, with its migrations applied.</summary>
public sealed class ServiceDatabaseTests
{
    public static TheoryData<string, string, Type, string> Services => new()
    {
        { "registry", "registry", typeof(RegistryDbContext), "InitialRegistry" },
        { "billing", "billing", typeof(BillingDbContext), "InitialBilling" },
        { "provisioning", "provisioning", typeof(ProvisioningDbContext), "InitialProvisioning" },
        { "stack-registry", "marketplace", typeof(MarketplaceDbContext), "InitialMarketplace" },
        { "cli", "cli", typeof(CliDbContext), "InitialCli" },
    };

    [Theory]
    [MemberData(nameof(Services))]
    public async Task Start_AppliesMigrationsToOwnWalDatabase(string service, string database, Type contextType, string migration)
    {
        using var dataDir = new TempDirectory();
        var file = NnoDatabase.FilePath(dataDir.Path, database);
        await using (var app = Build(service, dataDir.Path))
        {
            Assert.False(File.Exists(file));
            await app.StartAsync();

            await using var scope = app.Services.CreateAsyncScope();
            var db = (DbContext)scope.ServiceProvider.GetRequiredService(contextType);
            Assert.Empty(await db.Database.GetPendingMigrationsAsync());
            Assert.Contains(await db.Database.GetAppliedMigrationsAsync(), m => m.EndsWith("_" + migration, StringComparison.Ordinal));

            using var client = new HttpClient(app.GetInMemoryServer().CreateHandler(service)) { BaseAddress = new Uri("http://test.inproc/") };
            using var ready = await client.GetAsync("/health/ready");
            using var readiness = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
            // 200 {status, checks}; 503 is the error envelope with details.checks.
            var checks = ready.IsSuccessStatusCode ? readiness.RootElement.GetProperty("checks") : readiness.RootElement.GetProperty("error").GetProperty("details").GetProperty("checks");
            Assert.Equal("ok", checks.GetProperty("database").GetString());
            // The service runs here alone: a check of IAM's key set (Provisioning's) may fail, and Billing's price map is
            // degraded while no Stripe answers; nothing else.
            var failing = checks.EnumerateObject().Where(c => c.Value.GetString() != "ok").Select(c => c.Name).ToList();
            Assert.All(failing, name => Assert.Contains(name, (string[])["iamKeys", "prices"]));
            // A degraded check (Billing's prices) keeps 200; only a failing one makes readiness 503.
            var down = checks.EnumerateObject().Any(c => c.Value.GetString() is not ("ok" or "degraded"));
            Assert.Equal(down ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.OK, ready.StatusCode);
            await app.StopAsync();
        }

        SqliteConnection.ClearAllPools();
        await using var connection = new SqliteConnection($"Data Source={file};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        Assert.Equal("wal", await ScalarAsync(connection, "PRAGMA journal_mode"));
        Assert.Equal("idempotency_keys", await ScalarAsync(connection, "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'idempotency_keys'"));
        Assert.Equal("ix_idempotency_keys_expires_at", await ScalarAsync(connection, "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'idempotency_keys' AND sql LIKE '%expires_at%'"));
        var columns = await ColumnsAsync(connection, "idempotency_keys");
        Assert.Equal(
            ["principal", "key", "request_hash", "state", "status_code", "content_type", "response_headers", "response_body", "resource_id", "created_at", "expires_at"],
            columns.Select(c => c.Name));
        Assert.Equal(1, columns.Single(c => c.Name == "principal").PrimaryKeyPosition);
        Assert.Equal(2, columns.Single(c => c.Name == "key").PrimaryKeyPosition);
        Assert.All(columns.Where(c => c.Name.EndsWith("_at", StringComparison.Ordinal)), c => Assert.Equal("INTEGER", c.Type));
    }

    [Fact]
    public async Task Restart_OnExistingDatabase_KeepsRowsAndAppliesNothingTwice()
    {
        using var dataDir = new TempDirectory();
        await using (var first = Build("registry", dataDir.Path))
        {
            await first.StartAsync();
            await using var scope = first.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<RegistryDbContext>();
            await db.Database.ExecuteSqlRawAsync(
                "INSERT INTO idempotency_keys (principal, key, request_hash, state, created_at, expires_at) VALUES ('user:u', 'k', 'h', 'completed', 1, 2)");
            await first.StopAsync();
        }

        await using var second = Build("registry", dataDir.Path);
        await second.StartAsync();
        await using var scope2 = second.Services.CreateAsyncScope();
        var db2 = scope2.ServiceProvider.GetRequiredService<RegistryDbContext>();
        Assert.Equal(db2.Database.GetMigrations().Count(), (await db2.Database.GetAppliedMigrationsAsync()).Count());
        Assert.Equal(1, await db2.Set<IdempotencyRecord>().CountAsync());
        await second.StopAsync();
        SqliteConnection.ClearAllPools();
    }

    private static WebApplication Build(string service, string dataDir) =>
        NnoApplication.Build(ServiceCatalog.Find(service)!, new NnoApplicationSettings
        {
            Listen = false,
            // A generous readiness timeout: tests share two cores, the production 200 ms is about a healthy idle service.
            Settings = { ["Nno:DataDir"] = dataDir, ["Logging:LogLevel:Default"] = "Warning", ["Nno:Limits:ReadinessCheckTimeout"] = "00:00:10" },
        });

    private static async Task<string?> ScalarAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (await command.ExecuteScalarAsync())?.ToString();
    }

    private static async Task<List<(string Name, string Type, long PrimaryKeyPosition)>> ColumnsAsync(SqliteConnection connection, string table)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA table_info({table})";
        await using var reader = await command.ExecuteReaderAsync();
        var columns = new List<(string, string, long)>();
        while (await reader.ReadAsync())
        {
            columns.Add((reader.GetString(1), reader.GetString(2), reader.GetInt64(5)));
        }

        return columns;
    }
}

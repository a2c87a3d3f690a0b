using Microsoft.Extensions.DependencyInjection;
using Nno.Core.Environments;
using Nno.Provisioning.Bundles;
using Nno.Provisioning.Cloudflare;
using Nno.Provisioning.Migrations;
using Nno.Provisioning.Tests.Cloudflare;

namespace Nno.Provisioning.Tests.D1;

public sealed class D1MigrationRunnerTests
{
    private static readonly PlatformConfigValues Config = new("k3m9p2xw7q", "starter", "owner@example.com", "e1e1e1e1e1", PlatformEnvironment.Prod);

    [Fact]
    public async Task D1_CreateListAndQuery_AgainstTheEmulator()
    {
        await using var cf = await SandboxCloudflare.StartAsync();
        var client = cf.Client;

        Assert.Null(await client.FindD1DatabaseAsync("k3m9p2xw7q-default-db"));
        var created = await client.CreateD1DatabaseAsync("k3m9p2xw7q-default-db");
        await client.CreateD1DatabaseAsync("k3m9p2xw7q-default-db-stg");
        var found = await client.FindD1DatabaseAsync("k3m9p2xw7q-default-db");
        var duplicate = await Assert.ThrowsAsync<CloudflareApiException>(() => client.CreateD1DatabaseAsync("k3m9p2xw7q-default-db"));
        await client.QueryD1BatchAsync(created.Uuid,
        [
            new D1Statement("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)"),
            new D1Statement("INSERT INTO t (name) VALUES (?), (?)", ["a'; DROP TABLE t; --", null]),
        ]);
        var rows = await client.QueryD1Async(created.Uuid, "SELECT name FROM t WHERE id = ?", [1]);

        Assert.Equal(created.Uuid, found!.Uuid);
        Assert.True(duplicate.IsPermanent);
        Assert.Equal("a'; DROP TABLE t; --", rows[0].Results[0]["name"].GetString());
        Assert.True(await client.DeleteD1DatabaseAsync(created.Uuid));
        Assert.False(await client.DeleteD1DatabaseAsync(created.Uuid));
    }

    [Fact]
    public async Task AuthMigrations_RunOnce_RecordChecksums_AndUpsertThePlatformConfig()
    {
        await using var cf = await SandboxCloudflare.StartAsync();
        var runner = cf.Services.GetRequiredService<D1MigrationRunner>();
        var db = await cf.Client.CreateD1DatabaseAsync("k3m9p2xw7q-default-auth-db");

        var first = await runner.MigrateAuthDatabaseAsync(db.Uuid, Config);
        var second = await runner.MigrateAuthDatabaseAsync(db.Uuid, Config with { PlanTier = "growth" });

        Assert.Equal(["0001_auth_core.sql", "0002_organizations.sql", "0003_nno_permissions.sql", "0004_platform_config.sql"], first.Applied);
        Assert.Empty(second.Applied);
        Assert.Equal(first.Applied, second.AlreadyApplied);
        var tracked = (await cf.Client.QueryD1Async(db.Uuid, "SELECT name, checksum FROM _nno_migrations ORDER BY name"))[0].Results;
        Assert.Equal(BundleCatalogue.Embedded.AuthMigrations.Select(m => (m.Name, m.Checksum)),
            tracked.Select(r => (r["name"].GetString()!, r["checksum"].GetString()!)));
        var config = (await cf.Client.QueryD1Async(db.Uuid, "SELECT platform_id, plan_tier, billing_email, default_entity_id, environment FROM nno_platform_config"))[0].Results;
        var row = Assert.Single(config);
        Assert.Equal("k3m9p2xw7q", row["platform_id"].GetString());
        Assert.Equal("growth", row["plan_tier"].GetString());
        Assert.Equal("owner@example.com", row["billing_email"].GetString());
        Assert.Equal("e1e1e1e1e1", row["default_entity_id"].GetString());
        Assert.Equal("prod", row["environment"].GetString());
        var tables = (await cf.Client.QueryD1Async(db.Uuid, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"))[0].Results.Select(r => r["name"].GetString()).ToList();
        Assert.Contains("user", tables);
        Assert.Contains("organization", tables);
        Assert.Contains("nno_role_permissions", tables);
    }

    [Fact]
    public async Task AnAppliedFileWithAnotherChecksum_IsDrift_AndNothingRuns()
    {
        await using var cf = await SandboxCloudflare.StartAsync();
        var runner = cf.Services.GetRequiredService<D1MigrationRunner>();
        var db = await cf.Client.CreateD1DatabaseAsync("k3m9p2xw7q-default-auth-db");
        var auth = BundleCatalogue.Embedded.AuthMigrations;
        await runner.ApplyAsync(db.Uuid, auth.Take(2).ToList(), trackingPrefix: null);
        await cf.Client.QueryD1Async(db.Uuid, "UPDATE _nno_migrations SET checksum = ? WHERE name = ?", [new string('0', 64), "0002_organizations.sql"]);

        var drift = await Assert.ThrowsAsync<MigrationDriftException>(() => runner.MigrateAuthDatabaseAsync(db.Uuid, Config));

        Assert.Equal("0002_organizations.sql", drift.Name);
        Assert.Equal(auth[1].Checksum, drift.ShippedChecksum);
        var count = (await cf.Client.QueryD1Async(db.Uuid, "SELECT COUNT(*) AS n FROM _nno_migrations"))[0].Results[0]["n"].GetInt64();
        Assert.Equal(2, count);
    }

    [Fact]
    public async Task AFailingMigration_LeavesNeitherItsTablesNorItsRecord()
    {
        await using var cf = await SandboxCloudflare.StartAsync();
        var runner = cf.Services.GetRequiredService<D1MigrationRunner>();
        var db = await cf.Client.CreateD1DatabaseAsync("k3m9p2xw7q-default-db");
        const string sql = "CREATE TABLE good_table (id INTEGER);\nINSERT INTO missing_table VALUES (1);";
        var broken = new BundleMigration("0001_broken.sql", sql, BundleCatalogue.Checksum(System.Text.Encoding.UTF8.GetBytes(sql)));

        var error = await Assert.ThrowsAsync<MigrationFailedException>(() => runner.ApplyAsync(db.Uuid, [broken], "x/"));

        Assert.Equal("x/0001_broken.sql", error.Name);
        var tables = (await cf.Client.QueryD1Async(db.Uuid, "SELECT name FROM sqlite_master WHERE type = 'table'"))[0].Results.Select(r => r["name"].GetString()).ToList();
        Assert.DoesNotContain("good_table", tables);
        Assert.Empty((await cf.Client.QueryD1Async(db.Uuid, "SELECT name FROM _nno_migrations"))[0].Results);
    }

    [Fact]
    public async Task FeatureMigrations_AreTrackedByFeature_AndTeardownLetsThemRunAgain()
    {
        await using var cf = await SandboxCloudflare.StartAsync();
        var runner = cf.Services.GetRequiredService<D1MigrationRunner>();
        var db = await cf.Client.CreateD1DatabaseAsync("k3m9p2xw7q-s7h2k9w4x1-db");
        var team = BundleCatalogue.Embedded.GetFeature("team", "1.0.0");
        var billing = BundleCatalogue.Embedded.GetFeature("billing", "1.0.0");

        await runner.MigrateFeatureAsync(db.Uuid, team);
        await runner.MigrateFeatureAsync(db.Uuid, billing);
        Assert.Empty((await runner.MigrateFeatureAsync(db.Uuid, team)).Applied);
        await runner.TeardownFeatureAsync(db.Uuid, team);
        var tablesAfterTeardown = await Tables(cf, db.Uuid);
        var again = await runner.MigrateFeatureAsync(db.Uuid, team);

        Assert.DoesNotContain(tablesAfterTeardown, t => t.StartsWith("team_", StringComparison.Ordinal));
        Assert.Contains("billing_subscriptions", tablesAfterTeardown);
        Assert.Equal(["team/0001_init.sql"], again.Applied);
        Assert.Contains("team_teams", await Tables(cf, db.Uuid));
        var tracked = (await cf.Client.QueryD1Async(db.Uuid, "SELECT name FROM _nno_migrations ORDER BY name"))[0].Results.Select(r => r["name"].GetString());
        Assert.Equal(["billing/0001_init.sql", "team/0001_init.sql"], tracked);
    }

    private static async Task<List<string>> Tables(SandboxCloudflare cf, string uuid) =>
        (await cf.Client.QueryD1Async(uuid, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"))[0].Results
            .Select(r => r["name"].GetString()!).ToList();

}

using System.Text.Json;
using Microsoft.Extensions.Logging;
using Nno.Core.Environments;
using Nno.Provisioning.Bundles;
using Nno.Provisioning.Cloudflare;

namespace Nno.Provisioning.Migrations;

/// <summary>An applied migration's SHA-256 differs from the shipped file: the job fails with <c>MIGRATION_DRIFT</c> (permanent).</summary>
public sealed class MigrationDriftException(string name, string appliedChecksum, string shippedChecksum)
    : Exception($"Migration \"{name}\" was applied with checksum {appliedChecksum}, but the shipped file has {shippedChecksum}.")
{
    /// <summary>The job error code this maps to.</summary>
    public const string ErrorCode = "MIGRATION_DRIFT";

    public string Name { get; } = name;

    public string AppliedChecksum { get; } = appliedChecksum;

    public string ShippedChecksum { get; } = shippedChecksum;
}

/// <summary>D1 refused a migration's SQL (a permanent 4xx): the job fails with <c>MIGRATION_FAILED</c>. Transient failures stay <see cref="CloudflareApiException"/>.</summary>
public sealed class MigrationFailedException(string name, CloudflareApiException inner)
    : Exception($"Migration \"{name}\" failed: {inner?.Message}", inner)
{
    /// <summary>The job error code this maps to.</summary>
    public const string ErrorCode = "MIGRATION_FAILED";

    public string Name { get; } = name;
}

/// <summary>The values upserted into the auth database's <c>nno_platform_config</c> row.</summary>
public sealed record PlatformConfigValues(string PlatformId, string PlanTier, string BillingEmail, string? DefaultEntityId, PlatformEnvironment Environment);

/// <summary>What a run did: the tracked names it applied now (empty when everything was already applied).</summary>
public sealed record MigrationRunResult(IReadOnlyList<string> Applied, IReadOnlyList<string> AlreadyApplied);

/// <summary>
/// Applies shipped SQL to a D1 database (provisioning.md §4.6): ensures <c>_nno_migrations</c>, reads it, sends each
/// missing file as one <c>/query</c> batch holding the file and its tracking INSERT (atomic), and refuses drift. Feature
/// migrations are tracked as <c>{fid}/{file}</c> in the same table. Only shipped SQL runs; values go as parameters.
/// </summary>
public sealed partial class D1MigrationRunner(CloudflareClient client, BundleCatalogue catalogue, TimeProvider time, ILogger<D1MigrationRunner> logger)
{
    /// <summary>The tracking table.</summary>
    public const string TrackingTable = "_nno_migrations";

    internal const string CreateTrackingTableSql =
        "CREATE TABLE IF NOT EXISTS _nno_migrations(name TEXT PRIMARY KEY, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL)";

    private const string InsertTrackingSql = "INSERT INTO _nno_migrations(name, checksum, applied_at) VALUES (?, ?, ?)";

    private const string UpsertPlatformConfigSql =
        "INSERT INTO nno_platform_config(id, platform_id, plan_tier, billing_email, default_entity_id, environment, updated_at) " +
        "VALUES (1, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET platform_id = excluded.platform_id, plan_tier = excluded.plan_tier, " +
        "billing_email = excluded.billing_email, default_entity_id = excluded.default_entity_id, environment = excluded.environment, " +
        "updated_at = excluded.updated_at";

    /// <summary>The auth database: every auth migration, then the <c>nno_platform_config</c> upsert.</summary>
    public async Task<MigrationRunResult> MigrateAuthDatabaseAsync(string databaseId, PlatformConfigValues config, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        var result = await ApplyAsync(databaseId, catalogue.AuthMigrations, trackingPrefix: null, ct).ConfigureAwait(false);
        await RunAsync("nno_platform_config", () => client.QueryD1Async(databaseId, UpsertPlatformConfigSql,
        [
            config.PlatformId, config.PlanTier, config.BillingEmail, config.DefaultEntityId, config.Environment.ToName(),
            time.GetUtcNow().ToUnixTimeMilliseconds(),
        ], ct)).ConfigureAwait(false);
        return result;
    }

    /// <summary>A feature's migrations in the stack database, tracked as <c>{fid}/{file}</c>.</summary>
    public Task<MigrationRunResult> MigrateFeatureAsync(string databaseId, FeatureBundle bundle, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        return ApplyAsync(databaseId, bundle.Migrations, bundle.FeatureId + "/", ct);
    }

    /// <summary>
    /// Runs the feature's <c>teardown.sql</c> and forgets its tracking rows in the same batch, so a later activation
    /// recreates the tables.
    /// </summary>
    public async Task TeardownFeatureAsync(string databaseId, FeatureBundle bundle, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        await RunAsync(bundle.FeatureId + "/teardown.sql", () => client.QueryD1BatchAsync(databaseId,
        [
            new D1Statement(CreateTrackingTableSql),
            new D1Statement(bundle.Teardown),
            // Exact prefix match by range, not LIKE: feature ids contain '-' and '_' is a LIKE wildcard.
            new D1Statement("DELETE FROM _nno_migrations WHERE name >= ? AND name < ?", [bundle.FeatureId + "/", bundle.FeatureId + "0"]),
        ], ct)).ConfigureAwait(false);
    }

    /// <summary>Applies <paramref name="migrations"/> (in order) that <c>_nno_migrations</c> lacks; drift throws before anything runs.</summary>
    public async Task<MigrationRunResult> ApplyAsync(string databaseId, IReadOnlyList<BundleMigration> migrations, string? trackingPrefix, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(databaseId);
        ArgumentNullException.ThrowIfNull(migrations);
        var results = await RunAsync(TrackingTable, () => client.QueryD1BatchAsync(databaseId,
        [
            new D1Statement(CreateTrackingTableSql),
            new D1Statement("SELECT name, checksum FROM _nno_migrations ORDER BY name"),
        ], ct)).ConfigureAwait(false);
        var applied = ReadApplied(results);

        var missing = new List<(string Tracked, BundleMigration Migration)>();
        var already = new List<string>();
        foreach (var migration in migrations)
        {
            var tracked = (trackingPrefix ?? "") + migration.Name;
            if (applied.TryGetValue(tracked, out var checksum))
            {
                if (!string.Equals(checksum, migration.Checksum, StringComparison.OrdinalIgnoreCase))
                {
                    throw new MigrationDriftException(tracked, checksum, migration.Checksum);
                }

                already.Add(tracked);
            }
            else
            {
                missing.Add((tracked, migration));
            }
        }

        var done = new List<string>();
        foreach (var (tracked, migration) in missing)
        {
            await RunAsync(tracked, () => client.QueryD1BatchAsync(databaseId,
            [
                new D1Statement(migration.Sql),
                new D1Statement(InsertTrackingSql, [tracked, migration.Checksum, time.GetUtcNow().ToUnixTimeMilliseconds()]),
            ], ct)).ConfigureAwait(false);
            LogApplied(databaseId, tracked);
            done.Add(tracked);
        }

        return new MigrationRunResult(done, already);
    }

    private static Dictionary<string, string> ReadApplied(IReadOnlyList<D1QueryResult> results)
    {
        var rows = results.Count >= 2 ? results[^1].Results : [];
        var applied = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            if (row.TryGetValue("name", out var name) && name.ValueKind == JsonValueKind.String
                && row.TryGetValue("checksum", out var checksum) && checksum.ValueKind == JsonValueKind.String)
            {
                applied[name.GetString()!] = checksum.GetString()!;
            }
        }

        return applied;
    }

    private static async Task<T> RunAsync<T>(string name, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (CloudflareApiException ex) when (ex.IsPermanent && !ex.IsNotFound && !ex.IsAuthenticationFailure)
        {
            throw new MigrationFailedException(name, ex);
        }
    }

    [LoggerMessage(EventId = 21, Level = LogLevel.Information, Message = "provisioning.d1.migration_applied database={DatabaseId} migration={Migration}")]
    private partial void LogApplied(string databaseId, string migration);
}

using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Nno.Registry.Data;

/// <summary>
/// The append-only triggers of registry.md §2. <c>platform_lifecycle_events</c> can never be updated or deleted;
/// <c>audit_log</c> can never be updated and can be deleted only once a row is older than
/// <c>Registry:AuditRetentionDays</c>. The retention is written into the trigger, and the database's own clock decides
/// the age, so the application cannot delete younger rows whatever time it believes it is.
/// </summary>
internal static class AppendOnlyTriggers
{
    public const string AuditNoUpdate = "trg_audit_log_no_update";
    public const string AuditRetention = "trg_audit_log_no_delete_within_retention";
    public const string LifecycleNoUpdate = "trg_platform_lifecycle_events_no_update";
    public const string LifecycleNoDelete = "trg_platform_lifecycle_events_no_delete";

    public const string AuditNoUpdateSql =
        "CREATE TRIGGER " + AuditNoUpdate + " BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;";

    public const string LifecycleNoUpdateSql =
        "CREATE TRIGGER " + LifecycleNoUpdate + " BEFORE UPDATE ON platform_lifecycle_events BEGIN SELECT RAISE(ABORT, 'platform_lifecycle_events is append-only'); END;";

    public const string LifecycleNoDeleteSql =
        "CREATE TRIGGER " + LifecycleNoDelete + " BEFORE DELETE ON platform_lifecycle_events BEGIN SELECT RAISE(ABORT, 'platform_lifecycle_events is append-only'); END;";

    /// <summary>The audit delete trigger for a retention of <paramref name="days"/> days.</summary>
    public static string AuditRetentionSql(int days)
    {
        var ms = (long)days * 86_400_000L;
        return string.Create(CultureInfo.InvariantCulture,
            $"CREATE TRIGGER {AuditRetention} BEFORE DELETE ON audit_log WHEN OLD.created_at > CAST(strftime('%s', 'now') AS INTEGER) * 1000 - {ms} BEGIN SELECT RAISE(ABORT, 'audit_log rows are kept for {days} days'); END;");
    }
}

/// <summary>
/// At start (after migrations): recreates the audit delete trigger when <c>Registry:AuditRetentionDays</c> differs from the
/// retention written into it, in one transaction so no moment is unprotected.
/// </summary>
internal sealed class AuditRetentionTriggerAtStart(IServiceScopeFactory scopes, IOptions<RegistryOptions> options, ILogger<AuditRetentionTriggerAtStart> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RegistryDbContext>();
        await EnsureAsync(db, options.Value.AuditRetentionDays, logger, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Makes the trigger match <paramref name="days"/>; true when it had to be recreated.</summary>
    public static async Task<bool> EnsureAsync(RegistryDbContext db, int days, ILogger logger, CancellationToken cancellationToken)
    {
        var expected = AppendOnlyTriggers.AuditRetentionSql(days);
        var connection = (SqliteConnection)db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            string? current;
            await using (var read = connection.CreateCommand())
            {
                read.Transaction = (SqliteTransaction)transaction;
                read.CommandText = "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = $name";
                read.Parameters.AddWithValue("$name", AppendOnlyTriggers.AuditRetention);
                current = (string?)await read.ExecuteScalarAsync(cancellationToken);
            }

            // sqlite_master keeps the statement without its final semicolon.
            if (current is not null && current.TrimEnd(';') == expected.TrimEnd(';'))
            {
                return false;
            }

            await using (var write = connection.CreateCommand())
            {
                write.Transaction = (SqliteTransaction)transaction;
                write.CommandText = $"DROP TRIGGER IF EXISTS {AppendOnlyTriggers.AuditRetention}; {expected}";
                await write.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            logger.LogInformation("The audit_log delete trigger now keeps rows for {Days} days", days);
            return true;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}

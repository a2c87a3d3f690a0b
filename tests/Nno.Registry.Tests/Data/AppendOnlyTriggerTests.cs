using Microsoft.Data.Sqlite;
using Nno.Registry.Tests.Support;

namespace Nno.Registry.Tests.Data;

/// <summary>registry.md §7 test 20 (SQL part): the audit log and lifecycle events refuse UPDATE and DELETE in the database itself.</summary>
public sealed class AppendOnlyTriggerTests : IAsyncLifetime
{
    private RegistryHost _host = null!;

    public async Task InitializeAsync() => _host = await RegistryHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static long NowMs => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    [Fact]
    public void AuditLog_Update_IsRefused()
    {
        using var connection = _host.OpenRawConnection();
        InsertAudit(connection, "aud_a000000000000001", NowMs);
        var error = Assert.Throws<SqliteException>(() => Execute(connection, "UPDATE audit_log SET action = 'platform.hacked' WHERE id = 'aud_a000000000000001'"));
        Assert.Contains("append-only", error.Message, StringComparison.Ordinal);
        Assert.Equal("platform.suspended", Scalar(connection, "SELECT action FROM audit_log WHERE id = 'aud_a000000000000001'"));
    }

    [Fact]
    public void AuditLog_DeleteWithinRetention_IsRefused_OlderRowIsDeletable()
    {
        using var connection = _host.OpenRawConnection();
        InsertAudit(connection, "aud_young0000000001", NowMs - TimeSpan.FromDays(399).Ticks / TimeSpan.TicksPerMillisecond);
        InsertAudit(connection, "aud_old00000000001", NowMs - TimeSpan.FromDays(401).Ticks / TimeSpan.TicksPerMillisecond);

        var error = Assert.Throws<SqliteException>(() => Execute(connection, "DELETE FROM audit_log WHERE id = 'aud_young0000000001'"));
        Assert.Contains("400 days", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, Execute(connection, "DELETE FROM audit_log WHERE id = 'aud_old00000000001'"));
        Assert.Equal("1", Scalar(connection, "SELECT COUNT(*) FROM audit_log"));
    }

    [Fact]
    public void LifecycleEvents_UpdateAndDelete_AreRefusedEvenForOldRows()
    {
        using var connection = _host.OpenRawConnection();
        Execute(connection, "INSERT INTO platforms (id, name, slug, class, status, tier, version, created_at, updated_at) VALUES ('p000000001', 'P', 'p', 'platform', 'active', 'starter', 1, 1, 1)");
        Execute(connection, "INSERT INTO platform_lifecycle_events (id, platform_id, event, to_status, actor_type, created_at) VALUES ('ple_0000000000000001', 'p000000001', 'created', 'active', 'system', 1)");

        Assert.Throws<SqliteException>(() => Execute(connection, "UPDATE platform_lifecycle_events SET reason = 'x'"));
        Assert.Throws<SqliteException>(() => Execute(connection, "DELETE FROM platform_lifecycle_events"));
        Assert.Equal("1", Scalar(connection, "SELECT COUNT(*) FROM platform_lifecycle_events"));
    }

    [Fact]
    public void EnumColumns_RefuseUnknownValues()
    {
        using var connection = _host.OpenRawConnection();
        var error = Assert.Throws<SqliteException>(() =>
            Execute(connection, "INSERT INTO platforms (id, name, slug, class, status, tier, version, created_at, updated_at) VALUES ('p000000002', 'P', 'p2', 'platform', 'frozen', 'starter', 1, 1, 1)"));
        Assert.Contains("CHECK", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PlatformSlug_UniqueOnlyAmongLiveRows()
    {
        using var connection = _host.OpenRawConnection();
        Execute(connection, "INSERT INTO platforms (id, name, slug, class, status, tier, version, created_at, updated_at, deleted_at) VALUES ('p000000003', 'P', 'acme', 'platform', 'deleted', 'starter', 1, 1, 1, 5)");
        Execute(connection, "INSERT INTO platforms (id, name, slug, class, status, tier, version, created_at, updated_at) VALUES ('p000000004', 'P', 'acme', 'platform', 'active', 'starter', 1, 1, 1)");
        Assert.Throws<SqliteException>(() =>
            Execute(connection, "INSERT INTO platforms (id, name, slug, class, status, tier, version, created_at, updated_at) VALUES ('p000000005', 'P', 'acme', 'platform', 'active', 'starter', 1, 1, 1)"));
    }

    [Fact]
    public async Task RetentionSetting_Changed_RecreatesTriggerAtStart()
    {
        await using var host = await RegistryHost.StartAsync(new Dictionary<string, string?> { ["Registry:AuditRetentionDays"] = "30" });
        using var connection = host.OpenRawConnection();
        InsertAudit(connection, "aud_b000000000000001", NowMs - TimeSpan.FromDays(31).Ticks / TimeSpan.TicksPerMillisecond);
        InsertAudit(connection, "aud_b000000000000002", NowMs - TimeSpan.FromDays(29).Ticks / TimeSpan.TicksPerMillisecond);
        Assert.Equal(1, Execute(connection, "DELETE FROM audit_log WHERE id = 'aud_b000000000000001'"));
        Assert.Throws<SqliteException>(() => Execute(connection, "DELETE FROM audit_log WHERE id = 'aud_b000000000000002'"));
        Assert.Contains("30 days", Scalar(connection, "SELECT sql FROM sqlite_master WHERE name = 'trg_audit_log_no_delete_within_retention'"), StringComparison.Ordinal);
    }

    private static void InsertAudit(SqliteConnection connection, string id, long createdAt) =>
        Execute(connection,
            $"INSERT INTO audit_log (id, platform_id, actor_type, actor_id, actor_auth, action, target_type, target_id, details, created_at) VALUES ('{id}', NULL, 'operator', 'usr_x', 'session', 'platform.suspended', 'platform', 'p000000001', '{{}}', {createdAt})");

    private static int Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteNonQuery();
    }

    private static string? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar()?.ToString();
    }
}

using Microsoft.Data.Sqlite;
using Nno.Testing;

namespace Nno.Iam.Tests.Data;

/// <summary>
/// The IAM database the service migrates at start has every table, key and index of iam.md §2: checked on the real
/// SQLite file with raw SQL, so a mapping mistake shows as a constraint that does not hold.
/// </summary>
public sealed class IamSchemaTests(IamSchemaTests.IamDatabase database) : IClassFixture<IamSchemaTests.IamDatabase>
{
    /// <summary>One IAM for the class; every test works on rows with its own ids.</summary>
    public sealed class IamDatabase : IAsyncLifetime
    {
        public TestPlatform Platform { get; private set; } = null!;

        public async Task InitializeAsync() => Platform = await TestPlatform.StartAsync(["iam"]);

        public async Task DisposeAsync() => await Platform.DisposeAsync();
    }

    // Column name, "?" when nullable (iam.md §2).
    public static TheoryData<string, string> Tables => new()
    {
        { "users", "id email email_normalized name image? email_verified role disabled_at? created_at updated_at" },
        { "accounts", "id user_id provider_id account_id password_hash? created_at updated_at" },
        { "sessions", "id user_id token_hash auth_method mfa_verified client_id? remember_me ip_address? user_agent? active_platform_id? active_organization_id? created_at updated_at last_seen_at expires_at absolute_expires_at revoked_at? revoked_reason?" },
        { "verifications", "id purpose identifier token_hash callback_url? new_user_name? invitation_id? session_hint? attempts expires_at consumed_at? created_at" },
        { "mfa_factors", "user_id secret confirmed_at? last_used_step? recovery_codes created_at updated_at" },
        { "sign_in_throttle", "email_normalized failed_count window_started_at locked_until? lockout_count last_lockout_at? updated_at" },
        { "organizations", "id platform_id parent_id? name slug org_type logo? metadata? created_at updated_at deleted_at?" },
        { "members", "id organization_id user_id role created_at updated_at" },
        { "platform_members", "platform_id user_id role added_by created_at updated_at" },
        { "invitations", "id platform_id organization_id? email email_normalized role status inviter_id expires_at created_at responded_at?" },
        { "role_permissions", "organization_id role permissions updated_by updated_at" },
        { "permission_grants", "id organization_id user_id permission granted granted_by expires_at? created_at" },
        { "api_keys", "id user_id platform_id? name display_prefix key_hash scopes mfa_verified expires_at last_used_at? last_used_ip? created_at revoked_at? revoked_by?" },
        { "device_codes", "id device_code_hash user_code client_id scope? status interval_seconds last_polled_at? expires_at user_id? decided_at? session_id? requester_ip requester_user_agent created_at" },
        { "signing_keys", "kid alg public_jwk private_key created_at activates_at retires_at purge_at" },
        { "audit_events", "id occurred_at type outcome actor_kind actor_user_id? actor_key_id? subject_user_id? platform_id? organization_id? ip? user_agent? request_id? metadata" },
        { "email_outbox", "id to_address template dedupe_key? subject? text_body? html_body? status attempts next_attempt_at claimed_until? last_error? created_at sent_at?" },
        { "dev_mailbox", "id to_normalized subject text_body html_body created_at" },
        { "bootstrap_state", "id user_id organization_id completed_at" },
        { "job_leases", "name holder leased_until last_run_at?" },
        { "idempotency_keys", "principal key request_hash state status_code? content_type? response_headers? response_body? resource_id? created_at expires_at" },
    };

    // A row inserted twice with the same values must fail the second time. $u = a fresh user, $o = a fresh organization, $n = a fresh suffix.
    // The key is the column list SQLite names when it rejects the row.
    public static TheoryData<string, string> UniqueInserts => new()
    {
        { "users.email_normalized", "INSERT INTO users (id, email, email_normalized, name, created_at, updated_at) VALUES ('usr_' || $n || random(), 'A@x.test', 'a' || $n || '@x.test', 'A', 0, 0)" },
        { "accounts.user_id, accounts.provider_id", "INSERT INTO accounts (id, user_id, provider_id, account_id, created_at, updated_at) VALUES ('acc_' || random(), $u, 'credential', 'x' || random(), 0, 0)" },
        { "sessions.token_hash", "INSERT INTO sessions (id, user_id, token_hash, auth_method, remember_me, created_at, updated_at, last_seen_at, expires_at, absolute_expires_at) VALUES ('ses_' || random(), $u, CAST($n AS BLOB), 'password', 0, 0, 0, 0, 1, 1)" },
        { "verifications.token_hash", "INSERT INTO verifications (id, purpose, identifier, token_hash, expires_at, created_at) VALUES ('ver_' || random(), 'magic-link', 'a@x.test', CAST($n AS BLOB), 1, 0)" },
        { "mfa_factors.user_id", "INSERT INTO mfa_factors (user_id, secret, recovery_codes, created_at, updated_at) VALUES ($u, x'00', '[]', 0, 0)" },
        { "sign_in_throttle.email_normalized", "INSERT INTO sign_in_throttle (email_normalized, failed_count, window_started_at, lockout_count, updated_at) VALUES ($n, 0, 0, 0, 0)" },
        { "members.organization_id, members.user_id", "INSERT INTO members (id, organization_id, user_id, role, created_at, updated_at) VALUES ('mem_' || random(), $o, $u, 'member', 0, 0)" },
        { "platform_members.platform_id, platform_members.user_id", "INSERT INTO platform_members (platform_id, user_id, role, added_by, created_at, updated_at) VALUES ('plt0000001', $u, 'owner', 'registry', 0, 0)" },
        { "role_permissions.organization_id, role_permissions.role", "INSERT INTO role_permissions (organization_id, role, permissions, updated_by, updated_at) VALUES ($o, 'admin', '[]', $u, 0)" },
        { "permission_grants.organization_id, permission_grants.user_id, permission_grants.permission", "INSERT INTO permission_grants (id, organization_id, user_id, permission, granted, granted_by, created_at) VALUES ('grt_' || random(), $o, $u, 'registry:platform:read', 1, $u, 0)" },
        { "api_keys.key_hash", "INSERT INTO api_keys (id, user_id, name, display_prefix, key_hash, scopes, mfa_verified, expires_at, created_at) VALUES ('key_' || random(), $u, 'ci', 'nno_local_ab', CAST($n AS BLOB), '[]', 0, 1, 0)" },
        { "device_codes.device_code_hash", "INSERT INTO device_codes (id, device_code_hash, user_code, client_id, status, interval_seconds, expires_at, requester_ip, requester_user_agent, created_at) VALUES ('dev_' || random(), CAST($n AS BLOB), substr(random(), 2, 8), 'nno-cli', 'consumed', 5, 1, '127.0.0.1', 'cli', 0)" },
        { "email_outbox.dedupe_key, email_outbox.to_address", "INSERT INTO email_outbox (id, to_address, template, dedupe_key, subject, text_body, html_body, status, attempts, next_attempt_at, created_at) VALUES ('eml_' || random(), 'a@x.test', 'notification', $n, 's', 't', 'h', 'pending', 0, 0, 0)" },
    };

    [Theory]
    [MemberData(nameof(Tables))]
    public async Task Table_Exists_WithTheColumnsAndNullabilityOfTheSpec(string table, string columns)
    {
        await using var connection = await OpenAsync();
        var expected = columns.Split(' ').Select(c => (Name: c.TrimEnd('?'), Nullable: c.EndsWith('?'))).OrderBy(c => c.Name, StringComparer.Ordinal).ToList();

        var actual = new List<(string Name, bool Nullable)>();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = $"SELECT name, \"notnull\", pk FROM pragma_table_info('{table}')";
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                // A primary key column is NOT NULL even where SQLite's flag does not say so.
                actual.Add((reader.GetString(0), reader.GetInt64(1) == 0 && reader.GetInt64(2) == 0));
            }
        }

        Assert.Equal(expected, actual.OrderBy(c => c.Name, StringComparer.Ordinal).ToList());
    }

    [Theory]
    [MemberData(nameof(UniqueInserts))]
    public async Task UniqueKey_RejectsASecondRowWithTheSameValues(string key, string insert)
    {
        await using var connection = await OpenAsync();
        var user = await InsertUserAsync(connection);
        var organization = await InsertOrganizationAsync(connection, NewPlatformId(), "tenant");
        var suffix = Guid.NewGuid().ToString("N");

        await ExecuteAsync(connection, insert, Bind(insert, user, organization, suffix));
        var error = await Assert.ThrowsAsync<SqliteException>(() => ExecuteAsync(connection, insert, Bind(insert, user, organization, suffix)));
        Assert.Contains($"UNIQUE constraint failed: {key}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Account_ProviderAndAccountId_BelongToOneUser()
    {
        await using var connection = await OpenAsync();
        var first = await InsertUserAsync(connection);
        var second = await InsertUserAsync(connection);
        const string Insert = "INSERT INTO accounts (id, user_id, provider_id, account_id, created_at, updated_at) VALUES ('acc_' || $u, $u, 'oauth', 'same-subject', 0, 0)";

        await ExecuteAsync(connection, Insert, ("$u", first));
        var error = await Assert.ThrowsAsync<SqliteException>(() => ExecuteAsync(connection, Insert, ("$u", second)));
        Assert.Contains("UNIQUE constraint failed: accounts.provider_id, accounts.account_id'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EmailOutbox_WithoutDedupeKey_AcceptsTheSameAddressTwice()
    {
        await using var connection = await OpenAsync();
        const string Insert = "INSERT INTO email_outbox (id, to_address, template, status, attempts, next_attempt_at, created_at) VALUES ('eml_' || random(), 'same@x.test', 'magic-link', 'pending', 0, 0, 0)";
        await ExecuteAsync(connection, Insert);
        await ExecuteAsync(connection, Insert);
    }

    [Fact]
    public async Task OrganizationSlug_IsUniquePerPlatform_UntilTheFirstIsSoftDeleted()
    {
        await using var connection = await OpenAsync();
        var platform = NewPlatformId();
        var first = await InsertOrganizationAsync(connection, platform, "tenant", slug: "acme");
        await InsertOrganizationAsync(connection, NewPlatformId(), "tenant", slug: "acme");

        await Assert.ThrowsAsync<SqliteException>(() => InsertOrganizationAsync(connection, platform, "tenant", slug: "acme"));

        await ExecuteAsync(connection, "UPDATE organizations SET deleted_at = 1 WHERE id = $id", ("$id", first));
        await InsertOrganizationAsync(connection, platform, "tenant", slug: "acme");
        await Assert.ThrowsAsync<SqliteException>(() => InsertOrganizationAsync(connection, platform, "tenant", slug: "acme"));
    }

    [Fact]
    public async Task NnoOperatorOrganization_IsASingleton_WhileTenantsAreMany()
    {
        await using var connection = await OpenAsync();
        await InsertOrganizationAsync(connection, NewPlatformId(), "tenant");
        await InsertOrganizationAsync(connection, NewPlatformId(), "tenant");

        // The fixture's database is shared by the class: only this test creates the operator organization.
        await InsertOrganizationAsync(connection, NewPlatformId(), "nno-operator");
        var error = await Assert.ThrowsAsync<SqliteException>(() => InsertOrganizationAsync(connection, NewPlatformId(), "nno-operator"));
        Assert.Contains("org_type", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeviceUserCode_IsUniqueOnlyWhilePendingOrApproved()
    {
        await using var connection = await OpenAsync();
        var userCode = Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();

        var first = await InsertDeviceCodeAsync(connection, userCode, "pending");
        await Assert.ThrowsAsync<SqliteException>(() => InsertDeviceCodeAsync(connection, userCode, "pending"));
        await Assert.ThrowsAsync<SqliteException>(() => InsertDeviceCodeAsync(connection, userCode, "approved"));
        await InsertDeviceCodeAsync(connection, userCode, "denied");
        await InsertDeviceCodeAsync(connection, userCode, "expired");

        await ExecuteAsync(connection, "UPDATE device_codes SET status = 'consumed' WHERE id = $id", ("$id", first));
        await InsertDeviceCodeAsync(connection, userCode, "approved");
        await Assert.ThrowsAsync<SqliteException>(() => InsertDeviceCodeAsync(connection, userCode, "pending"));
    }

    [Fact]
    public async Task PendingInvitation_IsUniquePerPlatformOrganizationAndEmail_EvenForPlatformInvitations()
    {
        await using var connection = await OpenAsync();
        var platform = NewPlatformId();
        var organization = await InsertOrganizationAsync(connection, platform, "tenant");
        var email = $"{Guid.NewGuid():N}@x.test";

        // A platform invitation has no organization: NULL must still collide with NULL.
        var first = await InsertInvitationAsync(connection, platform, null, email, "pending");
        var error = await Assert.ThrowsAsync<SqliteException>(() => InsertInvitationAsync(connection, platform, null, email, "pending"));
        Assert.Contains("ux_invitations_pending", error.Message, StringComparison.Ordinal);

        // The same email may be invited to a tenant of that platform, once, and to another platform.
        await InsertInvitationAsync(connection, platform, organization, email, "pending");
        await Assert.ThrowsAsync<SqliteException>(() => InsertInvitationAsync(connection, platform, organization, email, "pending"));
        await InsertInvitationAsync(connection, NewPlatformId(), null, email, "pending");

        // Answered invitations do not count.
        await InsertInvitationAsync(connection, platform, null, email, "canceled");
        await ExecuteAsync(connection, "UPDATE invitations SET status = 'accepted' WHERE id = $id", ("$id", first));
        await InsertInvitationAsync(connection, platform, null, email, "pending");
    }

    [Fact]
    public async Task BootstrapState_HoldsOnlyTheRowWithIdOne()
    {
        await using var connection = await OpenAsync();
        const string Insert = "INSERT INTO bootstrap_state (id, user_id, organization_id, completed_at) VALUES ($id, 'usr_x', 'org0000001', 0)";

        var check = await Assert.ThrowsAsync<SqliteException>(() => ExecuteAsync(connection, Insert, ("$id", 2)));
        Assert.Contains("CHECK", check.Message, StringComparison.Ordinal);
        await ExecuteAsync(connection, Insert, ("$id", 1));
        await Assert.ThrowsAsync<SqliteException>(() => ExecuteAsync(connection, Insert, ("$id", 1)));
    }

    [Fact]
    public async Task DeletingAUser_DeletesTheirSessionsAccountsMembershipsKeysAndFactor()
    {
        await using var connection = await OpenAsync();
        var user = await InsertUserAsync(connection);
        var other = await InsertUserAsync(connection);
        var organization = await InsertOrganizationAsync(connection, NewPlatformId(), "tenant");
        foreach (var owner in new[] { user, other })
        {
            await ExecuteAsync(connection, "INSERT INTO sessions (id, user_id, token_hash, auth_method, remember_me, created_at, updated_at, last_seen_at, expires_at, absolute_expires_at) VALUES ('ses_' || $u, $u, CAST($u AS BLOB), 'password', 1, 0, 0, 0, 1, 1)", ("$u", owner));
            await ExecuteAsync(connection, "INSERT INTO accounts (id, user_id, provider_id, account_id, password_hash, created_at, updated_at) VALUES ('acc_' || $u, $u, 'credential', $u, 'AQAAAA', 0, 0)", ("$u", owner));
            await ExecuteAsync(connection, "INSERT INTO members (id, organization_id, user_id, role, created_at, updated_at) VALUES ('mem_' || $u, $o, $u, 'owner', 0, 0)", ("$u", owner), ("$o", organization));
            await ExecuteAsync(connection, "INSERT INTO platform_members (platform_id, user_id, role, added_by, created_at, updated_at) VALUES ('plt0000001', $u, 'owner', 'registry', 0, 0)", ("$u", owner));
            await ExecuteAsync(connection, "INSERT INTO api_keys (id, user_id, name, display_prefix, key_hash, scopes, mfa_verified, expires_at, created_at) VALUES ('key_' || $u, $u, 'ci', 'nno_local_ab', CAST($u AS BLOB), '[]', 0, 1, 0)", ("$u", owner));
            await ExecuteAsync(connection, "INSERT INTO mfa_factors (user_id, secret, recovery_codes, created_at, updated_at) VALUES ($u, x'00', '[]', 0, 0)", ("$u", owner));
            await ExecuteAsync(connection, "INSERT INTO permission_grants (id, organization_id, user_id, permission, granted, granted_by, created_at) VALUES ('grt_' || $u, $o, $u, 'p', 0, 'usr_admin', 0)", ("$u", owner), ("$o", organization));
        }

        await ExecuteAsync(connection, "DELETE FROM users WHERE id = $u", ("$u", user));

        string[] tables = ["sessions", "accounts", "members", "platform_members", "api_keys", "mfa_factors", "permission_grants"];
        foreach (var table in tables)
        {
            Assert.True(0 == await CountAsync(connection, $"SELECT count(*) FROM {table} WHERE user_id = $u", ("$u", user)), $"{table} kept rows of the deleted user");
            Assert.True(1 == await CountAsync(connection, $"SELECT count(*) FROM {table} WHERE user_id = $u", ("$u", other)), $"{table} lost rows of another user");
        }
    }

    [Fact]
    public async Task DeletingAnOrganization_WithChildrenFails_WithoutChildrenDeletesItsMembersAndRoles()
    {
        await using var connection = await OpenAsync();
        var platform = NewPlatformId();
        var user = await InsertUserAsync(connection);
        var parent = await InsertOrganizationAsync(connection, platform, "tenant");
        var child = await InsertOrganizationAsync(connection, platform, "tenant", parent: parent);
        await ExecuteAsync(connection, "INSERT INTO members (id, organization_id, user_id, role, created_at, updated_at) VALUES ('mem_' || $o, $o, $u, 'owner', 0, 0)", ("$u", user), ("$o", parent));
        await ExecuteAsync(connection, "INSERT INTO role_permissions (organization_id, role, permissions, updated_by, updated_at) VALUES ($o, 'admin', '[\"a\"]', $u, 0)", ("$u", user), ("$o", parent));

        var error = await Assert.ThrowsAsync<SqliteException>(() => ExecuteAsync(connection, "DELETE FROM organizations WHERE id = $o", ("$o", parent)));
        Assert.Contains("FOREIGN KEY", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, await CountAsync(connection, "SELECT count(*) FROM organizations WHERE id IN ($p, $c)", ("$p", parent), ("$c", child)));

        await ExecuteAsync(connection, "DELETE FROM organizations WHERE id = $o", ("$o", child));
        await ExecuteAsync(connection, "DELETE FROM organizations WHERE id = $o", ("$o", parent));
        Assert.Equal(0, await CountAsync(connection, "SELECT count(*) FROM members WHERE organization_id = $o", ("$o", parent)));
        Assert.Equal(0, await CountAsync(connection, "SELECT count(*) FROM role_permissions WHERE organization_id = $o", ("$o", parent)));
        Assert.Equal(1, await CountAsync(connection, "SELECT count(*) FROM users WHERE id = $u", ("$u", user)));
    }

    [Fact]
    public async Task Restart_OnTheSameDataDirectory_AppliesNoMigrationTwiceAndKeepsTheRows()
    {
        var first = await TestPlatform.StartAsync(["iam"]);
        string[] applied;
        string user;
        try
        {
            await using var connection = await OpenAsync(first);
            applied = await MigrationsAsync(connection);
            user = await InsertUserAsync(connection);
        }
        finally
        {
            await first.StopKeepingDataAsync();
        }

        Assert.Contains(applied, m => m.EndsWith("_InitialIam", StringComparison.Ordinal));
        Assert.Contains(applied, m => m.EndsWith("_IamDataModel", StringComparison.Ordinal));

        await using var second = await TestPlatform.StartAsync(["iam"], dataDir: first.DataDirectory, time: first.Time);
        await using var reopened = await OpenAsync(second);
        Assert.Equal(applied, await MigrationsAsync(reopened));
        Assert.Equal(1, await CountAsync(reopened, "SELECT count(*) FROM users WHERE id = $u", ("$u", user)));
    }

    private static string NewPlatformId() => Guid.NewGuid().ToString("N")[..10];

    private static (string, object?)[] Bind(string sql, string user, string organization, string suffix) =>
        new (string, object?)[] { ("$u", user), ("$o", organization), ("$n", suffix) }.Where(p => sql.Contains(p.Item1, StringComparison.Ordinal)).ToArray();

    private Task<SqliteConnection> OpenAsync() => OpenAsync(database.Platform);

    private static async Task<SqliteConnection> OpenAsync(TestPlatform platform)
    {
        // Foreign keys are off by default in SQLite; EF turns them on for every connection, so the test does too.
        var connection = new SqliteConnection($"Data Source={Path.Combine(platform.DataDir, "db", "iam.db")};Foreign Keys=True;Pooling=False");
        await connection.OpenAsync();
        return connection;
    }

    private static async Task<string> InsertUserAsync(SqliteConnection connection)
    {
        var id = "usr_" + Guid.NewGuid().ToString("N")[..20];
        await ExecuteAsync(connection, "INSERT INTO users (id, email, email_normalized, name, created_at, updated_at) VALUES ($id, $id || '@x.test', $id || '@x.test', 'User', 0, 0)", ("$id", id));
        Assert.Equal(1, await CountAsync(connection, "SELECT count(*) FROM users WHERE id = $id AND role = 'user' AND email_verified = 0", ("$id", id)));
        return id;
    }

    private static async Task<string> InsertOrganizationAsync(SqliteConnection connection, string platform, string type, string? slug = null, string? parent = null)
    {
        var id = NewPlatformId();
        await ExecuteAsync(
            connection,
            "INSERT INTO organizations (id, platform_id, parent_id, name, slug, org_type, created_at, updated_at) VALUES ($id, $p, $parent, 'Org', $slug, $type, 0, 0)",
            ("$id", id), ("$p", platform), ("$parent", parent), ("$slug", slug ?? "org-" + id), ("$type", type));
        return id;
    }

    private static async Task<string> InsertDeviceCodeAsync(SqliteConnection connection, string userCode, string status)
    {
        var id = "dev_" + Guid.NewGuid().ToString("N")[..20];
        await ExecuteAsync(
            connection,
            "INSERT INTO device_codes (id, device_code_hash, user_code, client_id, status, interval_seconds, expires_at, requester_ip, requester_user_agent, created_at) VALUES ($id, CAST($id AS BLOB), $code, 'nno-cli', $status, 5, 1, '127.0.0.1', 'cli', 0)",
            ("$id", id), ("$code", userCode), ("$status", status));
        return id;
    }

    private static async Task<string> InsertInvitationAsync(SqliteConnection connection, string platform, string? organization, string email, string status)
    {
        var id = "inv_" + Guid.NewGuid().ToString("N")[..20];
        await ExecuteAsync(
            connection,
            "INSERT INTO invitations (id, platform_id, organization_id, email, email_normalized, role, status, inviter_id, expires_at, created_at) VALUES ($id, $p, $o, $e, $e, 'member', $status, 'usr_inviter', 1, 0)",
            ("$id", id), ("$p", platform), ("$o", organization), ("$e", email), ("$status", status));
        return id;
    }

    private static async Task<string[]> MigrationsAsync(SqliteConnection connection)
    {
        var ids = new List<string>();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT \"MigrationId\" FROM \"__EFMigrationsHistory\" ORDER BY \"MigrationId\"";
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetString(0));
        }

        return [.. ids];
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, sql, parameters);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<long> CountAsync(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, sql, parameters);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }
}

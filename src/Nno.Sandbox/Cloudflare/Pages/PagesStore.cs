using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Nno.Sandbox.Cloudflare.Common;

namespace Nno.Sandbox.Cloudflare.Pages;

/// <summary>A project row; <see cref="DeploymentConfigs"/> is the JSON the API answers.</summary>
internal sealed record PagesProjectRow(string Id, string Name, string ProductionBranch, string DeploymentConfigs, string CreatedOn);

/// <summary>A domain row; <see cref="CreatedMs"/> drives <c>pending → active</c>.</summary>
internal sealed record PagesDomainRow(string Id, string ProjectName, string Name, long CreatedMs, string CreatedOn);

/// <summary>A deployment row; its stages are computed from <see cref="CreatedMs"/> and <see cref="BuildSeconds"/>.</summary>
internal sealed record PagesDeploymentRow(
    string Id, string ShortId, string ProjectName, string Environment, string Branch, string? CommitHash, string? CommitMessage,
    long CreatedMs, int BuildSeconds, bool Fails, string TriggerType);

/// <summary>Pages projects, domains and deployments in the metadata database.</summary>
internal sealed class PagesStore(CloudflareState state)
{
    public const string Schema = """
        CREATE TABLE IF NOT EXISTS pages_projects (
            name TEXT NOT NULL PRIMARY KEY,
            id TEXT NOT NULL,
            production_branch TEXT NOT NULL,
            deployment_configs TEXT NOT NULL,
            created_on TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS pages_domains (
            name TEXT NOT NULL PRIMARY KEY,
            id TEXT NOT NULL,
            project_name TEXT NOT NULL REFERENCES pages_projects(name) ON DELETE CASCADE,
            created_ms INTEGER NOT NULL,
            created_on TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS ix_pages_domains_project ON pages_domains (project_name, created_ms);
        CREATE TABLE IF NOT EXISTS pages_deployments (
            id TEXT NOT NULL PRIMARY KEY,
            short_id TEXT NOT NULL,
            project_name TEXT NOT NULL REFERENCES pages_projects(name) ON DELETE CASCADE,
            environment TEXT NOT NULL,
            branch TEXT NOT NULL,
            commit_hash TEXT NULL,
            commit_message TEXT NULL,
            created_ms INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            build_seconds INTEGER NOT NULL,
            fails INTEGER NOT NULL,
            trigger_type TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS ix_pages_deployments_project ON pages_deployments (project_name, environment, seq);
        """;

    private const string DeploymentColumns =
        "id, short_id, project_name, environment, branch, commit_hash, commit_message, created_ms, build_seconds, fails, trigger_type";

    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken) => await state.OpenMetadataAsync(cancellationToken);

    public static async Task<PagesProjectRow?> GetProjectAsync(SqliteConnection connection, string name, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, "SELECT id, name, production_branch, deployment_configs, created_on FROM pages_projects WHERE name = $name", ("$name", name));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new PagesProjectRow(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4))
            : null;
    }

    public static async Task<(IReadOnlyList<PagesProjectRow> Items, int Total)> ListProjectsAsync(SqliteConnection connection, CloudflarePaging paging, CancellationToken cancellationToken)
    {
        var items = new List<PagesProjectRow>();
        await using (var command = Command(connection,
            "SELECT id, name, production_branch, deployment_configs, created_on FROM pages_projects ORDER BY name LIMIT $limit OFFSET $offset",
            ("$limit", paging.PerPage), ("$offset", paging.Offset)))
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                items.Add(new PagesProjectRow(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4)));
            }
        }

        return (items, await CountAsync(connection, "SELECT count(*) FROM pages_projects", cancellationToken));
    }

    public static async Task<bool> InsertProjectAsync(SqliteConnection connection, PagesProjectRow row, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, """
            INSERT INTO pages_projects (name, id, production_branch, deployment_configs, created_on) VALUES ($name, $id, $branch, $configs, $created)
            ON CONFLICT (name) DO NOTHING
            """, ("$name", row.Name), ("$id", row.Id), ("$branch", row.ProductionBranch), ("$configs", row.DeploymentConfigs), ("$created", row.CreatedOn));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public static async Task<bool> DeleteProjectAsync(SqliteConnection connection, string name, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, "DELETE FROM pages_projects WHERE name = $name", ("$name", name));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public static async Task<IReadOnlyList<PagesDomainRow>> DomainsAsync(SqliteConnection connection, string project, CancellationToken cancellationToken)
    {
        var items = new List<PagesDomainRow>();
        await using var command = Command(connection,
            "SELECT id, project_name, name, created_ms, created_on FROM pages_domains WHERE project_name = $project ORDER BY created_ms, name",
            ("$project", project));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(new PagesDomainRow(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetString(4)));
        }

        return items;
    }

    /// <summary>Attaches a domain; false when the name is attached to any project already.</summary>
    public static async Task<bool> InsertDomainAsync(SqliteConnection connection, PagesDomainRow row, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, """
            INSERT INTO pages_domains (name, id, project_name, created_ms, created_on) VALUES ($name, $id, $project, $ms, $created)
            ON CONFLICT (name) DO NOTHING
            """, ("$name", row.Name), ("$id", row.Id), ("$project", row.ProjectName), ("$ms", row.CreatedMs), ("$created", row.CreatedOn));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public static async Task<bool> DeleteDomainAsync(SqliteConnection connection, string project, string name, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, "DELETE FROM pages_domains WHERE project_name = $project AND name = $name", ("$project", project), ("$name", name));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public static async Task<(IReadOnlyList<PagesDeploymentRow> Items, int Total)> DeploymentsAsync(
        SqliteConnection connection, string project, string? environment, int limit, int offset, CancellationToken cancellationToken)
    {
        var items = new List<PagesDeploymentRow>();
        await using (var command = Command(connection, $"""
            SELECT {DeploymentColumns} FROM pages_deployments WHERE project_name = $project AND ($env IS NULL OR environment = $env)
            ORDER BY seq DESC LIMIT $limit OFFSET $offset
            """, ("$project", project), ("$env", environment), ("$limit", limit), ("$offset", offset)))
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                items.Add(ReadDeployment(reader));
            }
        }

        await using var count = Command(connection, "SELECT count(*) FROM pages_deployments WHERE project_name = $project AND ($env IS NULL OR environment = $env)",
            ("$project", project), ("$env", environment));
        return (items, Convert.ToInt32(await count.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture));
    }

    public static async Task<PagesDeploymentRow?> GetDeploymentAsync(SqliteConnection connection, string project, string id, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, $"SELECT {DeploymentColumns} FROM pages_deployments WHERE project_name = $project AND id = $id",
            ("$project", project), ("$id", id));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadDeployment(reader) : null;
    }

    public static async Task InsertDeploymentAsync(SqliteConnection connection, PagesDeploymentRow row, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, $"""
            INSERT INTO pages_deployments ({DeploymentColumns}, seq)
            VALUES ($id, $short, $project, $env, $branch, $hash, $message, $created, $build, $fails, $trigger,
                    (SELECT coalesce(max(seq), 0) + 1 FROM pages_deployments))
            """, ("$id", row.Id), ("$short", row.ShortId), ("$project", row.ProjectName), ("$env", row.Environment), ("$branch", row.Branch),
            ("$hash", row.CommitHash), ("$message", row.CommitMessage), ("$created", row.CreatedMs), ("$build", row.BuildSeconds),
            ("$fails", row.Fails ? 1 : 0), ("$trigger", row.TriggerType));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static PagesDeploymentRow ReadDeployment(SqliteDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5),
        r.IsDBNull(6) ? null : r.GetString(6), r.GetInt64(7), r.GetInt32(8), r.GetInt64(9) == 1, r.GetString(10));

    private static async Task<int> CountAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, sql);
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    internal static JsonNode? ParseJson(string json) => JsonNode.Parse(json);

    private static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
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

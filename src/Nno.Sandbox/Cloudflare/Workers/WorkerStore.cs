using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Nno.Sandbox.Cloudflare.Common;

namespace Nno.Sandbox.Cloudflare.Workers;

/// <summary>A stored script's metadata (bindings without secrets; secrets live in <c>worker_secrets</c>).</summary>
internal sealed record StoredScript(
    string Name, string Etag, string MainModule, string? CompatibilityDate, JsonArray CompatibilityFlags, JsonArray Bindings,
    JsonArray Tags, string UsageModel, long Size, string CreatedOn, string ModifiedOn);

/// <summary>Reads Workers scripts from the metadata database.</summary>
internal static class WorkerStore
{
    public const string Schema = """
        CREATE TABLE IF NOT EXISTS worker_scripts (
            account_id TEXT NOT NULL,
            name TEXT NOT NULL,
            etag TEXT NOT NULL,
            main_module TEXT NOT NULL,
            compatibility_date TEXT,
            compatibility_flags TEXT NOT NULL,
            bindings TEXT NOT NULL,
            tags TEXT NOT NULL,
            usage_model TEXT NOT NULL,
            size INTEGER NOT NULL,
            created_on TEXT NOT NULL,
            modified_on TEXT NOT NULL,
            PRIMARY KEY (account_id, name)
        );
        CREATE TABLE IF NOT EXISTS worker_modules (
            account_id TEXT NOT NULL,
            script TEXT NOT NULL,
            name TEXT NOT NULL,
            content_type TEXT NOT NULL,
            content BLOB NOT NULL,
            PRIMARY KEY (account_id, script, name),
            FOREIGN KEY (account_id, script) REFERENCES worker_scripts (account_id, name) ON DELETE CASCADE
        );
        CREATE TABLE IF NOT EXISTS worker_secrets (
            account_id TEXT NOT NULL,
            script TEXT NOT NULL,
            name TEXT NOT NULL,
            value_sha256 TEXT NOT NULL,
            created_on TEXT NOT NULL,
            PRIMARY KEY (account_id, script, name),
            FOREIGN KEY (account_id, script) REFERENCES worker_scripts (account_id, name) ON DELETE CASCADE
        );
        """;

    public static async Task<StoredScript?> FindAsync(SqliteConnection connection, string accountId, string name, CancellationToken cancellationToken, SqliteTransaction? transaction = null)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            SELECT name, etag, main_module, compatibility_date, compatibility_flags, bindings, tags, usage_model, size, created_on, modified_on
            FROM worker_scripts WHERE account_id = $a AND name = $name
            """;
        command.Parameters.AddWithValue("$a", accountId);
        command.Parameters.AddWithValue("$name", name);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    public static async Task<IReadOnlyList<StoredScript>> ListAsync(SqliteConnection connection, string accountId, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT name, etag, main_module, compatibility_date, compatibility_flags, bindings, tags, usage_model, size, created_on, modified_on
            FROM worker_scripts WHERE account_id = $a ORDER BY name
            """;
        command.Parameters.AddWithValue("$a", accountId);
        var scripts = new List<StoredScript>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            scripts.Add(Read(reader));
        }

        return scripts;
    }

    /// <summary>The script, or 404 code 10007.</summary>
    public static async Task<StoredScript> RequireAsync(SqliteConnection connection, string accountId, string name, CancellationToken cancellationToken) =>
        await FindAsync(connection, accountId, name, cancellationToken)
            ?? throw CloudflareException.NotFound(CloudflareErrorCodes.WorkerNotFound, "workers.api.error.script_not_found");

    public static async Task<IReadOnlyList<string>> SecretNamesAsync(SqliteConnection connection, string accountId, string script, CancellationToken cancellationToken, SqliteTransaction? transaction = null)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT name FROM worker_secrets WHERE account_id = $a AND script = $s ORDER BY name";
        command.Parameters.AddWithValue("$a", accountId);
        command.Parameters.AddWithValue("$s", script);
        var names = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }

    private static StoredScript Read(SqliteDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
        (JsonArray)JsonNode.Parse(reader.GetString(4))!, (JsonArray)JsonNode.Parse(reader.GetString(5))!, (JsonArray)JsonNode.Parse(reader.GetString(6))!,
        reader.GetString(7), reader.GetInt64(8), reader.GetString(9), reader.GetString(10));
}

using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Nno.Sandbox.Cloudflare.Common;

namespace Nno.Sandbox.Cloudflare.D1;

/// <summary>A D1 database as the API shows it.</summary>
public sealed record D1Database(string Uuid, string Name, string Version, string CreatedAt, long? FileSize = null, int? NumTables = null);

/// <summary>One statement's answer of <c>/query</c>.</summary>
public sealed record D1QueryResult(IReadOnlyList<JsonObject> Results, bool Success, D1Meta Meta);

/// <summary>The rows of one statement of <c>/raw</c>.</summary>
public sealed record D1RawRows(IReadOnlyList<string> Columns, IReadOnlyList<JsonNode?[]> Rows);

/// <summary>One statement's answer of <c>/raw</c>.</summary>
public sealed record D1RawResult(D1RawRows Results, bool Success, D1Meta Meta);

/// <summary>
/// D1 (provisioning.md §5.1): databases in the metadata table <c>d1_databases</c>, each a real SQLite file
/// <c>{dataDir}/sandbox/cloudflare/d1/{uuid}.sqlite3</c>.
/// </summary>
internal static partial class D1Api
{
    public static CloudflareArea Area { get; } = new()
    {
        Name = "D1",
        Schema = """
            CREATE TABLE IF NOT EXISTS d1_databases (
                uuid TEXT PRIMARY KEY,
                account_id TEXT NOT NULL,
                name TEXT NOT NULL,
                created_at TEXT NOT NULL,
                UNIQUE (account_id, name)
            );
            CREATE INDEX IF NOT EXISTS ix_d1_databases_account_created ON d1_databases (account_id, created_at, uuid);
            """,
        State = [new CloudflareStateKind("d1", "SELECT name FROM d1_databases ORDER BY name")],
        AddServices = services => Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions
            .AddSingleton<ICloudflareBindingTarget, D1BindingTarget>(services),
        Map = groups =>
        {
            var d1 = groups.Account.MapGroup("/d1/database").WithTags("Cloudflare D1");
            d1.MapGet("/", List).WithName("CloudflareD1List").WithSummary("Lists D1 databases (page list, exact name filter).");
            d1.MapPost("/", Create).WithName("CloudflareD1Create").WithSummary("Creates a D1 database.");
            d1.MapGet("/{uuid}", Get).WithName("CloudflareD1Get").WithSummary("One D1 database.");
            d1.MapDelete("/{uuid}", Delete).WithName("CloudflareD1Delete").WithSummary("Deletes a D1 database and its file.");
            d1.MapPost("/{uuid}/query", Query).WithName("CloudflareD1Query").WithSummary("Runs SQL; rows as objects.");
            d1.MapPost("/{uuid}/raw", Raw).WithName("CloudflareD1Raw").WithSummary("Runs SQL; rows as arrays with columns.");
        },
    };

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]
    private static partial Regex NamePattern();

    /// <summary>The file of a database.</summary>
    public static string FileOf(CloudflareState state, string uuid) => Path.Combine(state.AreaDirectory("d1"), $"{uuid}.sqlite3");

    private static async Task<CloudflareEnvelopeResult> List(HttpRequest request, string accountId, CloudflareState state, CancellationToken cancellationToken)
    {
        var paging = CloudflarePaging.Read(request, defaultPerPage: 1000, maxPerPage: 10000, minPerPage: 10);
        var name = request.Query["name"].ToString();
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        await using var count = connection.CreateCommand();
        var filter = string.IsNullOrEmpty(name) ? "" : " AND name = $name";
        count.CommandText = $"SELECT count(*) FROM d1_databases WHERE account_id = $a{filter}";
        count.Parameters.AddWithValue("$a", accountId);
        count.Parameters.AddWithValue("$name", name);
        var total = Convert.ToInt32(await count.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
        await using var list = connection.CreateCommand();
        list.CommandText = $"SELECT uuid, name, created_at FROM d1_databases WHERE account_id = $a{filter} ORDER BY created_at, uuid LIMIT $limit OFFSET $offset";
        list.Parameters.AddWithValue("$a", accountId);
        list.Parameters.AddWithValue("$name", name);
        list.Parameters.AddWithValue("$limit", paging.PerPage);
        list.Parameters.AddWithValue("$offset", paging.Offset);
        var items = new List<D1Database>();
        await using var reader = await list.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(new D1Database(reader.GetString(0), reader.GetString(1), "production", reader.GetString(2)));
        }

        return CloudflareResults.Page(items, paging, total);
    }

    private static async Task<CloudflareEnvelopeResult> Create(HttpRequest request, string accountId, CloudflareState state, CancellationToken cancellationToken)
    {
        var body = await CloudflareRequestBody.ReadObjectAsync(request, cancellationToken);
        CloudflareRequestBody.OnlyAllow(body, "name", "primary_location_hint");
        var name = CloudflareRequestBody.RequiredString(body, "name");
        _ = CloudflareRequestBody.OptionalString(body, "primary_location_hint");
        if (!NamePattern().IsMatch(name))
        {
            throw CloudflareException.BadRequest("name must be 1-64 letters, digits, '-' or '_' starting with a letter or digit.");
        }

        var database = new D1Database(CloudflareState.NewUuid(), name, "production", state.NowText(), 0, 0);
        await using (var connection = await state.OpenMetadataAsync(cancellationToken))
        {
            await using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO d1_databases (uuid, account_id, name, created_at) VALUES ($uuid, $a, $name, $at)";
            insert.Parameters.AddWithValue("$uuid", database.Uuid);
            insert.Parameters.AddWithValue("$a", accountId);
            insert.Parameters.AddWithValue("$name", name);
            insert.Parameters.AddWithValue("$at", database.CreatedAt);
            try
            {
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (SqliteException e) when (e.SqliteErrorCode == 19)
            {
                throw CloudflareException.BadRequest("A database with that name already exists", CloudflareErrorCodes.D1DuplicateName);
            }
        }

        // The real file exists from creation on, so the database can be opened before its first query.
        D1Executor.Execute(FileOf(state, database.Uuid), [], state.Time);
        return CloudflareResults.Ok(database);
    }

    private static async Task<CloudflareEnvelopeResult> Get(string accountId, string uuid, CloudflareState state, CancellationToken cancellationToken)
    {
        var database = await FindAsync(state, accountId, uuid, cancellationToken);
        var (size, tables) = D1Executor.Describe(FileOf(state, uuid));
        return CloudflareResults.Ok(database with { FileSize = size, NumTables = tables });
    }

    private static async Task<CloudflareEnvelopeResult> Delete(string accountId, string uuid, CloudflareState state, CancellationToken cancellationToken)
    {
        await FindAsync(state, accountId, uuid, cancellationToken);
        await using (var connection = await state.OpenMetadataAsync(cancellationToken))
        {
            await using var delete = connection.CreateCommand();
            delete.CommandText = "DELETE FROM d1_databases WHERE account_id = $a AND uuid = $uuid";
            delete.Parameters.AddWithValue("$a", accountId);
            delete.Parameters.AddWithValue("$uuid", uuid);
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        var file = FileOf(state, uuid);
        foreach (var path in new[] { file, file + "-journal", file + "-wal", file + "-shm" })
        {
            File.Delete(path);
        }

        return CloudflareResults.Ok(null);
    }

    private static async Task<CloudflareEnvelopeResult> Query(HttpRequest request, string accountId, string uuid, CloudflareState state, CloudflareUsage usage, CancellationToken cancellationToken)
    {
        var results = await RunAsync(request, accountId, uuid, state, usage, cancellationToken);
        return CloudflareResults.Ok(results.Select(r => new D1QueryResult(
            r.Rows.Select(row =>
            {
                var item = new JsonObject();
                for (var i = 0; i < r.Columns.Count; i++)
                {
                    // Duplicate column names: the last one wins, as in D1's object rows.
                    item[r.Columns[i]] = row[i];
                }

                return item;
            }).ToArray(), true, r.Meta)).ToArray());
    }

    private static async Task<CloudflareEnvelopeResult> Raw(HttpRequest request, string accountId, string uuid, CloudflareState state, CloudflareUsage usage, CancellationToken cancellationToken)
    {
        var results = await RunAsync(request, accountId, uuid, state, usage, cancellationToken);
        return CloudflareResults.Ok(results.Select(r => new D1RawResult(new D1RawRows(r.Columns, r.Rows), true, r.Meta)).ToArray());
    }

    private static async Task<IReadOnlyList<D1StatementResult>> RunAsync(
        HttpRequest request, string accountId, string uuid, CloudflareState state, CloudflareUsage usage, CancellationToken cancellationToken)
    {
        await FindAsync(state, accountId, uuid, cancellationToken);
        var body = await CloudflareRequestBody.ReadObjectAsync(request, cancellationToken);
        var statements = ParseStatements(body);
        var results = D1Executor.Execute(FileOf(state, uuid), statements, state.Time);
        var reads = results.Count(r => r.ReadOnly);
        await usage.AddAsync("d1AnalyticsAdaptiveGroups", uuid, "readQueries", reads, cancellationToken: cancellationToken);
        await usage.AddAsync("d1AnalyticsAdaptiveGroups", uuid, "writeQueries", results.Count - reads, cancellationToken: cancellationToken);
        await usage.AddAsync("d1AnalyticsAdaptiveGroups", uuid, "rowsRead", results.Sum(r => r.Meta.RowsRead), cancellationToken: cancellationToken);
        await usage.AddAsync("d1AnalyticsAdaptiveGroups", uuid, "rowsWritten", results.Sum(r => r.Meta.RowsWritten), cancellationToken: cancellationToken);
        return results;
    }

    private static List<D1Statement> ParseStatements(JsonObject body)
    {
        CloudflareRequestBody.OnlyAllow(body, "sql", "params", "batch");
        if (body.TryGetPropertyValue("batch", out var batchNode) && batchNode is not null)
        {
            if (body.ContainsKey("sql") || body.ContainsKey("params"))
            {
                throw CloudflareException.BadRequest("Send either sql (with params) or batch, not both.");
            }

            if (batchNode is not JsonArray batch || batch.Count == 0)
            {
                throw CloudflareException.BadRequest("batch must be a non-empty array of {sql, params}.");
            }

            return batch.Select(entry => entry is JsonObject item
                ? One(item)
                : throw CloudflareException.BadRequest("batch entries must be objects {sql, params}.")).ToList();
        }

        return [One(body)];

        static D1Statement One(JsonObject item)
        {
            CloudflareRequestBody.OnlyAllow(item, "sql", "params", "batch");
            var sql = CloudflareRequestBody.RequiredString(item, "sql");
            if (!item.TryGetPropertyValue("params", out var parameters) || parameters is null)
            {
                return new D1Statement(sql, []);
            }

            return parameters is JsonArray list
                ? new D1Statement(sql, list.Select(p => p?.DeepClone()).ToArray())
                : throw CloudflareException.BadRequest("params must be an array.");
        }
    }

    /// <summary>The database, or 404 code 7404.</summary>
    public static async Task<D1Database> FindAsync(CloudflareState state, string accountId, string uuid, CancellationToken cancellationToken)
    {
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT uuid, name, created_at FROM d1_databases WHERE account_id = $a AND uuid = $uuid";
        command.Parameters.AddWithValue("$a", accountId);
        command.Parameters.AddWithValue("$uuid", uuid);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new D1Database(reader.GetString(0), reader.GetString(1), "production", reader.GetString(2))
            : throw CloudflareException.NotFound(CloudflareErrorCodes.D1NotFound, $"The database {uuid} could not be found");
    }
}

/// <summary>A Worker's <c>d1</c> binding (<c>{type:"d1", name, id}</c>) must name an existing database.</summary>
internal sealed class D1BindingTarget(CloudflareState state) : ICloudflareBindingTarget
{
    public string BindingType => "d1";

    public async Task<string?> CheckAsync(string accountId, JsonObject binding, CancellationToken cancellationToken)
    {
        var id = (binding["id"] ?? binding["database_id"]) is JsonValue v && v.TryGetValue<string>(out var text) ? text : null;
        if (string.IsNullOrEmpty(id))
        {
            return "a d1 binding needs id";
        }

        try
        {
            await D1Api.FindAsync(state, accountId, id, cancellationToken);
            return null;
        }
        catch (CloudflareException)
        {
            return $"D1 database {id} not found";
        }
    }
}

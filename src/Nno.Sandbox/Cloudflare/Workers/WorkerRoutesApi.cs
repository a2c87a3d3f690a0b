using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Nno.Sandbox.Cloudflare.Common;

namespace Nno.Sandbox.Cloudflare.Workers;

/// <summary>A Worker route of a zone.</summary>
public sealed record WorkerRoute(string Id, string Pattern, string? Script);

/// <summary>A deleted route's id.</summary>
public sealed record WorkerRouteId(string Id);

/// <summary>
/// Worker routes on the zone (provisioning.md §5.1): a route to a missing script is 400 code 10019, a pattern already
/// routed 409 code 10020.
/// </summary>
internal static class WorkerRoutesApi
{
    public static CloudflareArea Area { get; } = new()
    {
        Name = "WorkerRoutes",
        Schema = """
            CREATE TABLE IF NOT EXISTS worker_routes (
                id TEXT PRIMARY KEY,
                zone_id TEXT NOT NULL,
                pattern TEXT NOT NULL,
                script TEXT,
                created_on TEXT NOT NULL,
                UNIQUE (zone_id, pattern)
            );
            CREATE INDEX IF NOT EXISTS ix_worker_routes_script ON worker_routes (script);
            """,
        State = [new CloudflareStateKind("workerRoutes", "SELECT pattern FROM worker_routes ORDER BY pattern")],
        Map = groups =>
        {
            var routes = groups.Zone.MapGroup("/workers/routes").WithTags("Cloudflare Workers");
            routes.MapGet("/", List).WithName("CloudflareWorkerRoutesList").WithSummary("Lists the zone's Worker routes.");
            routes.MapPost("/", Create).WithName("CloudflareWorkerRoutesCreate").WithSummary("Routes a pattern to a script.");
            routes.MapGet("/{id}", Get).WithName("CloudflareWorkerRoutesGet").WithSummary("One Worker route.");
            routes.MapDelete("/{id}", Delete).WithName("CloudflareWorkerRoutesDelete").WithSummary("Deletes a Worker route.");
        },
    };

    private static async Task<CloudflareEnvelopeResult> List(string zoneId, CloudflareState state, CancellationToken cancellationToken)
    {
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, pattern, script FROM worker_routes WHERE zone_id = $z ORDER BY pattern";
        command.Parameters.AddWithValue("$z", zoneId);
        var routes = new List<WorkerRoute>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            routes.Add(new WorkerRoute(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2)));
        }

        return CloudflareResults.Ok(routes);
    }

    private static async Task<CloudflareEnvelopeResult> Create(HttpRequest request, string zoneId, CloudflareState state, CancellationToken cancellationToken)
    {
        var body = await CloudflareRequestBody.ReadObjectAsync(request, cancellationToken);
        CloudflareRequestBody.OnlyAllow(body, "pattern", "script");
        var pattern = CloudflareRequestBody.RequiredString(body, "pattern").Trim();
        var script = CloudflareRequestBody.OptionalString(body, "script");
        var host = pattern.Split('/', 2)[0].TrimStart('*').TrimStart('.');
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        if (pattern.Length > 1024 || pattern.Any(char.IsWhiteSpace) || pattern.Contains("://", StringComparison.Ordinal)
            || !(host.Equals(state.ZoneName, StringComparison.OrdinalIgnoreCase) || host.EndsWith("." + state.ZoneName, StringComparison.OrdinalIgnoreCase)
                 || await IsCustomHostnameAsync(connection, zoneId, host, cancellationToken)))
        {
            throw CloudflareException.BadRequest($"The route pattern must be a host in {state.ZoneName} with an optional path, e.g. 'app.{state.ZoneName}/*'.");
        }

        if (script is not null && await WorkerStore.FindAsync(connection, state.AccountId, script, cancellationToken) is null)
        {
            throw CloudflareException.BadRequest("workers.api.error.script_not_found", CloudflareErrorCodes.WorkerRouteScriptMissing);
        }

        var route = new WorkerRoute(CloudflareState.NewId(), pattern, script);
        await using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO worker_routes (id, zone_id, pattern, script, created_on) VALUES ($id, $z, $p, $s, $now)";
        insert.Parameters.AddWithValue("$id", route.Id);
        insert.Parameters.AddWithValue("$z", zoneId);
        insert.Parameters.AddWithValue("$p", pattern);
        insert.Parameters.AddWithValue("$s", (object?)script ?? DBNull.Value);
        insert.Parameters.AddWithValue("$now", state.NowText());
        try
        {
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19)
        {
            throw CloudflareException.Conflict(CloudflareErrorCodes.WorkerRouteDuplicate, "A route with the same pattern already exists.");
        }

        return CloudflareResults.Ok(route);
    }

    /// <summary>Cloudflare for SaaS: a custom hostname of the zone (a customer's domain) may carry a route too.</summary>
    private static async Task<bool> IsCustomHostnameAsync(SqliteConnection connection, string zoneId, string host, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT 1 FROM custom_hostnames WHERE zone_id = $z AND hostname = $h";
        command.Parameters.AddWithValue("$z", zoneId);
        command.Parameters.AddWithValue("$h", host.ToLowerInvariant());
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    private static async Task<CloudflareEnvelopeResult> Get(string zoneId, string id, CloudflareState state, CancellationToken cancellationToken)
    {
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, pattern, script FROM worker_routes WHERE zone_id = $z AND id = $id";
        command.Parameters.AddWithValue("$z", zoneId);
        command.Parameters.AddWithValue("$id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? CloudflareResults.Ok(new WorkerRoute(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2)))
            : throw CloudflareException.NotFound(CloudflareErrorCodes.WorkerRouteNotFound, "Route not found");
    }

    private static async Task<CloudflareEnvelopeResult> Delete(string zoneId, string id, CloudflareState state, CancellationToken cancellationToken)
    {
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        await using var delete = connection.CreateCommand();
        delete.CommandText = "DELETE FROM worker_routes WHERE zone_id = $z AND id = $id";
        delete.Parameters.AddWithValue("$z", zoneId);
        delete.Parameters.AddWithValue("$id", id);
        return await delete.ExecuteNonQueryAsync(cancellationToken) == 0
            ? throw CloudflareException.NotFound(CloudflareErrorCodes.WorkerRouteNotFound, "Route not found")
            : CloudflareResults.Ok(new WorkerRouteId(id));
    }
}

using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Nno.Sandbox.Cloudflare.Common;

namespace Nno.Sandbox.Cloudflare.Queues;

/// <summary>A queue as the API describes it.</summary>
internal sealed record QueueInfo(string QueueId, string QueueName, string CreatedOn, string ModifiedOn);

/// <summary>
/// Cloudflare Queues (provisioning.md §5.1): queues, and the HTTP pull consumer — send, pull with a visibility lease
/// (<c>visibility_timeout_ms</c>), ack or retry by <c>lease_id</c>. Leases are judged against the emulator's clock.
/// </summary>
internal static class QueuesApi
{
    public const int QueueNotFound = 11000;
    public const int QueueNameTaken = 11009;
    public const int InvalidMessage = 11010;
    private const int MaxMessageBytes = 128 * 1024;
    private const long MaxVisibilityMs = 12L * 3600 * 1000;
    private const int MaxDelaySeconds = 43_200;

    public const string Schema = """
        CREATE TABLE IF NOT EXISTS queues (
            queue_id TEXT NOT NULL PRIMARY KEY,
            queue_name TEXT NOT NULL UNIQUE,
            created_on TEXT NOT NULL,
            modified_on TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS queue_messages (
            id TEXT NOT NULL PRIMARY KEY,
            queue_id TEXT NOT NULL REFERENCES queues(queue_id) ON DELETE CASCADE,
            body TEXT NOT NULL,
            content_type TEXT NOT NULL,
            timestamp_ms INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            visible_at_ms INTEGER NOT NULL,
            lease_id TEXT NULL
        );
        CREATE INDEX IF NOT EXISTS ix_queue_messages_visible ON queue_messages (queue_id, visible_at_ms, timestamp_ms);
        CREATE UNIQUE INDEX IF NOT EXISTS ix_queue_messages_lease ON queue_messages (lease_id) WHERE lease_id IS NOT NULL;
        """;

    public static CloudflareArea Area { get; } = new()
    {
        Name = "Queues",
        Schema = Schema,
        State = [new CloudflareStateKind("queues", "SELECT queue_name FROM queues ORDER BY queue_name")],
        AddServices = services => services.AddSingleton<ICloudflareBindingTarget, QueueBindingTarget>(),
        Map = groups => Map(groups.Account),
    };

    private static void Map(RouteGroupBuilder account)
    {
        var queues = account.MapGroup("/queues").WithTags("Cloudflare Queues");
        queues.MapGet("", List).WithName("CfQueuesList").WithSummary("Lists queues (page, per_page).");
        queues.MapPost("", Create).WithName("CfQueuesCreate").WithSummary("Creates a queue (queue_name unique).");
        queues.MapGet("/{queueId}", Get).WithName("CfQueuesGet").WithSummary("Reads a queue.");
        queues.MapDelete("/{queueId}", Delete).WithName("CfQueuesDelete").WithSummary("Deletes a queue and its messages.");
        queues.MapPost("/{queueId}/messages", Send).WithName("CfQueuesSend").WithSummary("Sends a message (body, content_type, delay_seconds).");
        queues.MapPost("/{queueId}/messages/pull", Pull).WithName("CfQueuesPull").WithSummary("Pulls visible messages under a lease.");
        queues.MapPost("/{queueId}/messages/ack", Ack).WithName("CfQueuesAck").WithSummary("Acks and retries leased messages by lease_id.");
    }

    private static async Task<IResult> List(HttpRequest request, CloudflareState state, CancellationToken cancellationToken)
    {
        var paging = CloudflarePaging.Read(request, 20, 100);
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        await using var command = Command(connection, """
            SELECT queue_id, queue_name, created_on, modified_on, (SELECT count(*) FROM queues) FROM queues
            ORDER BY queue_name LIMIT $limit OFFSET $offset
            """, ("$limit", paging.PerPage), ("$offset", paging.Offset));
        var items = new List<QueueInfo>();
        var total = 0;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                items.Add(ReadQueue(reader));
                total = reader.GetInt32(4);
            }
        }

        if (items.Count == 0)
        {
            await using var count = Command(connection, "SELECT count(*) FROM queues");
            total = Convert.ToInt32(await count.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
        }

        return CloudflareResults.Page(items, paging, total);
    }

    private static async Task<IResult> Create(HttpRequest request, CloudflareState state, CancellationToken cancellationToken)
    {
        var body = await CloudflareRequestBody.ReadObjectAsync(request, cancellationToken);
        CloudflareRequestBody.OnlyAllow(body, "queue_name", "settings");
        var name = CloudflareRequestBody.RequiredString(body, "queue_name");
        if (name.Length > 63 || !name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
        {
            throw CloudflareException.BadRequest("queue_name must be 1-63 characters of a-z, 0-9 and '-'.", InvalidMessage);
        }

        var now = state.NowText();
        var queue = new QueueInfo(CloudflareState.NewId(), name, now, now);
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        await using var command = Command(connection, """
            INSERT INTO queues (queue_id, queue_name, created_on, modified_on) VALUES ($id, $name, $now, $now) ON CONFLICT (queue_name) DO NOTHING
            """, ("$id", queue.QueueId), ("$name", name), ("$now", now));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1
            ? CloudflareResults.Ok(queue)
            : throw CloudflareException.Conflict(QueueNameTaken, $"A queue named '{name}' already exists.");
    }

    private static async Task<IResult> Get(string queueId, CloudflareState state, CancellationToken cancellationToken)
    {
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        return CloudflareResults.Ok(await RequireQueueAsync(connection, queueId, cancellationToken));
    }

    private static async Task<IResult> Delete(string queueId, CloudflareState state, CancellationToken cancellationToken)
    {
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        await using var command = Command(connection, "DELETE FROM queues WHERE queue_id = $id", ("$id", queueId));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1 ? CloudflareResults.Ok(new { }) : throw NotFound();
    }

    private static async Task<IResult> Send(string queueId, HttpRequest request, CloudflareState state, CancellationToken cancellationToken)
    {
        var body = await CloudflareRequestBody.ReadObjectAsync(request, cancellationToken);
        CloudflareRequestBody.OnlyAllow(body, "body", "content_type", "delay_seconds");
        var contentType = CloudflareRequestBody.OptionalString(body, "content_type") ?? "json";
        if (!body.TryGetPropertyValue("body", out var messageNode))
        {
            throw CloudflareException.BadRequest("body is required.", InvalidMessage);
        }

        var text = contentType switch
        {
            "json" => messageNode?.ToJsonString() ?? "null",
            "text" or "bytes" or "v8" => messageNode is JsonValue v && v.TryGetValue<string>(out var s)
                ? s
                : throw CloudflareException.BadRequest($"A {contentType} message body must be a string.", InvalidMessage),
            _ => throw CloudflareException.BadRequest("content_type must be json, text, bytes or v8.", InvalidMessage),
        };
        if ((contentType is "bytes" or "v8") && !IsBase64(text))
        {
            throw CloudflareException.BadRequest("A bytes or v8 message body must be base64.", InvalidMessage);
        }

        if (System.Text.Encoding.UTF8.GetByteCount(text) > MaxMessageBytes)
        {
            throw new CloudflareException(413, InvalidMessage, "A message is at most 128 KB.");
        }

        var delay = body["delay_seconds"] switch
        {
            null => 0,
            JsonValue d when d.TryGetValue<int>(out var seconds) && seconds is >= 0 and <= MaxDelaySeconds => seconds,
            _ => throw CloudflareException.BadRequest($"delay_seconds must be an integer from 0 to {MaxDelaySeconds}.", InvalidMessage),
        };
        var now = state.Now.ToUnixTimeMilliseconds();
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        await RequireQueueAsync(connection, queueId, cancellationToken);
        await using var insert = Command(connection, """
            INSERT INTO queue_messages (id, queue_id, body, content_type, timestamp_ms, attempts, visible_at_ms) VALUES ($id, $queue, $body, $type, $now, 0, $visible)
            """, ("$id", CloudflareState.NewId()), ("$queue", queueId), ("$body", text), ("$type", contentType), ("$now", now), ("$visible", now + (delay * 1000L)));
        try
        {
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (SqliteException e) when (e.SqliteExtendedErrorCode == 787)
        {
            throw NotFound();
        }

        return CloudflareResults.Ok(null);
    }

    private static async Task<IResult> Pull(string queueId, HttpRequest request, CloudflareState state, CancellationToken cancellationToken)
    {
        var body = request.ContentLength is 0 ? new JsonObject() : await CloudflareRequestBody.ReadObjectAsync(request, cancellationToken);
        CloudflareRequestBody.OnlyAllow(body, "batch_size", "visibility_timeout_ms");
        var batchSize = ReadInt(body, "batch_size", 10, 1, 100);
        var visibility = ReadInt(body, "visibility_timeout_ms", 30_000, 1, MaxVisibilityMs);
        var now = state.Now.ToUnixTimeMilliseconds();
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await RequireQueueAsync(connection, queueId, cancellationToken, transaction);
        var picked = new List<(string Id, string Body, string Type, long Timestamp, long Attempts)>();
        await using (var select = Command(connection, """
            SELECT id, body, content_type, timestamp_ms, attempts FROM queue_messages
            WHERE queue_id = $queue AND visible_at_ms <= $now ORDER BY visible_at_ms, timestamp_ms LIMIT $limit
            """, ("$queue", queueId), ("$now", now), ("$limit", batchSize)))
        {
            select.Transaction = transaction;
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                picked.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetInt64(4)));
            }
        }

        var messages = new List<object>(picked.Count);
        await using (var lease = Command(connection, """
            UPDATE queue_messages SET lease_id = $lease, visible_at_ms = $until, attempts = attempts + 1 WHERE id = $id
            """, ("$lease", ""), ("$until", now + visibility), ("$id", "")))
        {
            lease.Transaction = transaction;
            foreach (var message in picked)
            {
                var leaseId = CloudflareState.NewId();
                lease.Parameters["$lease"].Value = leaseId;
                lease.Parameters["$id"].Value = message.Id;
                await lease.ExecuteNonQueryAsync(cancellationToken);
                messages.Add(new
                {
                    id = message.Id,
                    body = message.Body,
                    timestamp_ms = message.Timestamp,
                    attempts = message.Attempts + 1,
                    lease_id = leaseId,
                    metadata = new Dictionary<string, string> { ["CF-sourceMessageSource"] = "api", ["CF-Content-Type"] = message.Type },
                });
            }
        }

        long backlog;
        await using (var count = Command(connection, "SELECT count(*) FROM queue_messages WHERE queue_id = $queue", ("$queue", queueId)))
        {
            count.Transaction = transaction;
            backlog = Convert.ToInt64(await count.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
        }

        await transaction.CommitAsync(cancellationToken);
        return CloudflareResults.Ok(new { messages, message_backlog_count = backlog });
    }

    private static async Task<IResult> Ack(string queueId, HttpRequest request, CloudflareState state, CancellationToken cancellationToken)
    {
        var body = await CloudflareRequestBody.ReadObjectAsync(request, cancellationToken);
        CloudflareRequestBody.OnlyAllow(body, "acks", "retries");
        var acks = LeaseList(body, "acks").Select(a => (Lease: LeaseId(a), Delay: 0)).ToArray();
        var retries = LeaseList(body, "retries")
            .Select(r => (Lease: LeaseId(r), Delay: (int)ReadInt(r, "delay_seconds", 0, 0, MaxDelaySeconds))).ToArray();
        var now = state.Now.ToUnixTimeMilliseconds();
        var warnings = new List<string>();
        int ackCount = 0, retryCount = 0;
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await RequireQueueAsync(connection, queueId, cancellationToken, transaction);
        // A lease counts only while it lasts: after visibility_timeout_ms the message may already be someone else's.
        await using var ack = Command(connection,
            "DELETE FROM queue_messages WHERE queue_id = $queue AND lease_id = $lease AND visible_at_ms > $now",
            ("$queue", queueId), ("$lease", ""), ("$now", now));
        ack.Transaction = transaction;
        foreach (var (lease, _) in acks)
        {
            ack.Parameters["$lease"].Value = lease;
            if (await ack.ExecuteNonQueryAsync(cancellationToken) == 1)
            {
                ackCount++;
            }
            else
            {
                warnings.Add($"Unknown or expired lease_id {lease}");
            }
        }

        await using var retry = Command(connection, """
            UPDATE queue_messages SET lease_id = NULL, visible_at_ms = $visible WHERE queue_id = $queue AND lease_id = $lease AND visible_at_ms > $now
            """, ("$queue", queueId), ("$lease", ""), ("$now", now), ("$visible", now));
        retry.Transaction = transaction;
        foreach (var (lease, delay) in retries)
        {
            retry.Parameters["$lease"].Value = lease;
            retry.Parameters["$visible"].Value = now + (delay * 1000L);
            if (await retry.ExecuteNonQueryAsync(cancellationToken) == 1)
            {
                retryCount++;
            }
            else
            {
                warnings.Add($"Unknown or expired lease_id {lease}");
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return CloudflareResults.Ok(new Dictionary<string, object> { ["ackCount"] = ackCount, ["retryCount"] = retryCount, ["warnings"] = warnings });
    }

    private static JsonObject[] LeaseList(JsonObject body, string name) => body[name] switch
    {
        null => [],
        JsonArray array => array.Select(item => item as JsonObject ?? throw CloudflareException.BadRequest($"{name} entries must be objects.")).ToArray(),
        _ => throw CloudflareException.BadRequest($"{name} must be an array."),
    };

    private static string LeaseId(JsonObject entry)
    {
        CloudflareRequestBody.OnlyAllow(entry, "lease_id", "delay_seconds");
        return CloudflareRequestBody.RequiredString(entry, "lease_id");
    }

    private static long ReadInt(JsonObject body, string name, long fallback, long min, long max) => body[name] switch
    {
        null => fallback,
        JsonValue v when v.TryGetValue<long>(out var n) && n >= min && n <= max => n,
        _ => throw CloudflareException.BadRequest($"{name} must be an integer from {min} to {max}."),
    };

    private static bool IsBase64(string text)
    {
        var buffer = new byte[((text.Length * 3) / 4) + 3];
        return Convert.TryFromBase64String(text, buffer, out _);
    }

    private static async Task<QueueInfo> RequireQueueAsync(SqliteConnection connection, string queueId, CancellationToken cancellationToken, SqliteTransaction? transaction = null)
    {
        await using var command = Command(connection, "SELECT queue_id, queue_name, created_on, modified_on FROM queues WHERE queue_id = $id", ("$id", queueId));
        command.Transaction = transaction;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadQueue(reader) : throw NotFound();
    }

    internal static async Task<bool> ExistsByNameAsync(CloudflareState state, string name, CancellationToken cancellationToken)
    {
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        await using var command = Command(connection, "SELECT 1 FROM queues WHERE queue_name = $name", ("$name", name));
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    private static QueueInfo ReadQueue(SqliteDataReader reader) => new(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3));

    private static CloudflareException NotFound() => CloudflareException.NotFound(QueueNotFound, "Queue not found");

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

/// <summary>Checks <c>queue</c> Worker bindings (<c>queue_name</c>) against existing queues.</summary>
internal sealed class QueueBindingTarget(CloudflareState state) : ICloudflareBindingTarget
{
    public string BindingType => "queue";

    public async Task<string?> CheckAsync(string accountId, JsonObject binding, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(binding);
        var name = binding["queue_name"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        if (string.IsNullOrEmpty(name))
        {
            return "queue binding needs queue_name.";
        }

        return await QueuesApi.ExistsByNameAsync(state, name, cancellationToken) ? null : $"Queue '{name}' does not exist.";
    }
}

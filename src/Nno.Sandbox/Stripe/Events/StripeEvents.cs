using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Nno.Sandbox.Stripe.Common;

namespace Nno.Sandbox.Stripe.Events;

/// <summary>
/// The events store (billing.md §5.1): every emitted event as the JSON Stripe sends (<c>evt_…</c>, <c>api_version</c>,
/// sandbox-time <c>created</c>, <c>data.object</c> and <c>previous_attributes</c>, <c>request{id, idempotency_key}</c>),
/// kept 30 days of sandbox time. Webhook delivery (a later part) reads the same rows.
/// </summary>
public static class StripeEvents
{
    /// <summary>How long events are kept and listed.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromDays(30);

    /// <summary>
    /// Records an event inside the caller's write. <paramref name="request"/> is the request that caused it (null for a
    /// time-driven event, whose <paramref name="apiVersion"/> the caller passes).
    /// </summary>
    public static async Task<JsonObject> EmitAsync(
        SqliteConnection connection, SqliteTransaction transaction, long now, string type, JsonObject obj, JsonObject? previousAttributes,
        StripeRequestContext? request, string? apiVersion = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(obj);
        var id = StripeStore.NewId("evt");
        var version = request?.ApiVersion ?? apiVersion ?? StripeOptions.DefaultApiVersion;
        var data = new JsonObject { ["object"] = obj.DeepClone() };
        if (previousAttributes is not null)
        {
            data["previous_attributes"] = previousAttributes.DeepClone();
        }

        var evt = new JsonObject
        {
            ["id"] = id,
            ["object"] = "event",
            ["api_version"] = version,
            ["created"] = now,
            ["data"] = data,
            ["livemode"] = false,
            ["pending_webhooks"] = 0,
            ["request"] = new JsonObject
            {
                ["id"] = request?.RequestId,
                ["idempotency_key"] = request?.IdempotencyKey,
            },
            ["type"] = type,
        };

        await using (var purge = connection.CreateCommand())
        {
            purge.Transaction = transaction;
            purge.CommandText = "DELETE FROM events WHERE created < $cutoff";
            purge.Parameters.AddWithValue("$cutoff", now - (long)Retention.TotalSeconds);
            await purge.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT INTO events (id, type, created, api_version, object_id, request_id, idempotency_key, pending_webhooks, data)
            VALUES ($id, $type, $created, $apiVersion, $objectId, $requestId, $idempotencyKey, 0, $data)
            """;
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$type", type);
        command.Parameters.AddWithValue("$created", now);
        command.Parameters.AddWithValue("$apiVersion", version);
        command.Parameters.AddWithValue("$objectId", (object?)obj["id"]?.GetValue<string>() ?? DBNull.Value);
        command.Parameters.AddWithValue("$requestId", (object?)request?.RequestId ?? DBNull.Value);
        command.Parameters.AddWithValue("$idempotencyKey", (object?)request?.IdempotencyKey ?? DBNull.Value);
        command.Parameters.AddWithValue("$data", evt.ToJsonString());
        await command.ExecuteNonQueryAsync(cancellationToken);
        return evt;
    }
}

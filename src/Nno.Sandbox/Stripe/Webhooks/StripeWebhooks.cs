using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Nno.Sandbox.Stripe.Common;

namespace Nno.Sandbox.Stripe.Webhooks;

/// <summary>A delivery of one event to one endpoint, as admin <c>GET /deliveries</c> shows it (wall-clock times; <c>nextAttemptAt</c> null when due now or finished).</summary>
public sealed record StripeWebhookDelivery(
    long Seq,
    string Id,
    string EventId,
    string EventType,
    string EndpointId,
    string Url,
    string Status,
    int Attempts,
    DateTimeOffset? FirstAttemptAt,
    DateTimeOffset? LastAttemptAt,
    int? LastStatus,
    string? LastError,
    DateTimeOffset? NextAttemptAt,
    DateTimeOffset? DeliveredAt);

/// <summary>A page of deliveries (oldest first); pass the last <c>seq</c> as <c>after</c> for the next one.</summary>
public sealed record StripeWebhookDeliveryPage(IReadOnlyList<StripeWebhookDelivery> Data, bool HasMore);

/// <summary>A due delivery the dispatcher sends.</summary>
internal sealed record DueDelivery(long Seq, string Id, string EventId, string EndpointId, string Url, string Secret, int Attempts, long? FirstAttemptAtMs, long? EventCreated);

/// <summary>
/// Webhook state in <c>stripe.db</c> (billing.md §5.1): the endpoints and one delivery row per (event, matching
/// endpoint). A trigger on <c>events</c> creates the deliveries and sets <c>pending_webhooks</c> in the same
/// transaction as the event, so every emitter (customers, the billing engine) gets delivery without calling anything,
/// and a delivery survives a restart. <c>pending_webhooks</c> counts the event's deliveries not yet delivered.
/// </summary>
public sealed class StripeWebhooks(StripeStore store, IConfiguration configuration)
{
    public const string Pending = "pending";
    public const string Delivered = "delivered";
    public const string Failed = "failed";

    /// <summary>The webhook tables and the fan-out trigger (idempotent DDL), run at start and after an admin reset.</summary>
    public const string Schema = """
        CREATE TABLE IF NOT EXISTS webhook_endpoints (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            url TEXT NOT NULL,
            secret TEXT NOT NULL,
            enabled_events TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS webhook_settings (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            set_by_admin INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS webhook_deliveries (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            event_id TEXT NOT NULL,
            event_type TEXT NOT NULL,
            endpoint_id TEXT NOT NULL,
            url TEXT NOT NULL,
            secret TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            first_attempt_at INTEGER NULL,
            last_attempt_at INTEGER NULL,
            last_status INTEGER NULL,
            last_error TEXT NULL,
            next_attempt_at INTEGER NULL,
            delivered_at INTEGER NULL);
        CREATE INDEX IF NOT EXISTS ix_webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
        CREATE INDEX IF NOT EXISTS ix_webhook_deliveries_event_seq ON webhook_deliveries (event_id, seq);
        CREATE INDEX IF NOT EXISTS ix_webhook_deliveries_status_seq ON webhook_deliveries (status, seq);
        CREATE TRIGGER IF NOT EXISTS tr_events_webhook_fanout AFTER INSERT ON events
        BEGIN
            INSERT INTO webhook_deliveries (id, event_id, event_type, endpoint_id, url, secret, status, attempts, next_attempt_at)
            SELECT 'whd_' || lower(hex(randomblob(12))), NEW.id, NEW.type, e.id, e.url, e.secret, 'pending', 0, 0
            FROM webhook_endpoints e
            WHERE EXISTS (SELECT 1 FROM json_each(e.enabled_events) j WHERE j.value IN ('*', NEW.type))
            ORDER BY e.seq;
            UPDATE events SET pending_webhooks =
                (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.event_id = NEW.id AND d.status <> 'delivered')
            WHERE id = NEW.id;
            UPDATE events SET data = json_set(data, '$.pending_webhooks', pending_webhooks) WHERE id = NEW.id;
        END;
        """;

    private const string DeliveryColumns = """
        d.seq, d.id, d.event_id, d.event_type, d.endpoint_id, d.url, d.status, d.attempts, d.first_attempt_at, d.last_attempt_at,
        d.last_status, d.last_error, d.next_attempt_at, d.delivered_at
        """;

    /// <summary>Raised after the endpoints or the deliveries changed outside a <see cref="StripeStore"/> write (reset, start).</summary>
    internal event EventHandler? Changed;

    /// <summary>
    /// Creates the tables and trigger; unless an admin PUT replaced them, the endpoints are (re)set from configuration,
    /// so a changed configuration applies at the next start.
    /// </summary>
    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        await using (var connection = await store.OpenAsync(cancellationToken))
        {
            await using var command = connection.CreateCommand();
            command.CommandText = Schema;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await store.WriteAsync(async (connection, transaction) =>
        {
            await using var check = connection.CreateCommand();
            check.Transaction = transaction;
            check.CommandText = "SELECT set_by_admin FROM webhook_settings WHERE id = 1";
            if (await check.ExecuteScalarAsync(cancellationToken) is long setByAdmin && setByAdmin == 1)
            {
                return 0;
            }

            _ = StripeWebhookEndpoints.Normalize(StripeWebhookEndpoints.FromConfiguration(configuration), out var specs) is { } problem
                ? throw new InvalidOperationException($"{StripeWebhookEndpoints.Section}: {problem}")
                : 0;
            await ReplaceEndpointsAsync(connection, transaction, specs, setByAdmin: false, cancellationToken);
            return 0;
        }, cancellationToken);
        Changed?.Invoke(this, EventArgs.Empty);
    }

    /// <summary>The endpoints in force.</summary>
    public async Task<IReadOnlyList<StripeWebhookEndpoint>> GetEndpointsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await store.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, url, secret, enabled_events FROM webhook_endpoints ORDER BY seq";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<StripeWebhookEndpoint>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new StripeWebhookEndpoint(reader.GetString(0), reader.GetString(1), JsonSerializer.Deserialize<string[]>(reader.GetString(3)) ?? [])
            {
                Secret = reader.GetString(2),
            });
        }

        return list;
    }

    /// <summary>Replaces the endpoints (admin PUT; validated specs). Kept across restarts. Existing deliveries keep their target.</summary>
    public async Task<IReadOnlyList<StripeWebhookEndpoint>> SetEndpointsAsync(IReadOnlyList<StripeWebhookEndpointSpec> specs, CancellationToken cancellationToken = default)
    {
        await store.WriteAsync(async (connection, transaction) =>
        {
            await ReplaceEndpointsAsync(connection, transaction, specs, setByAdmin: true, cancellationToken);
            return 0;
        }, cancellationToken);
        return await GetEndpointsAsync(cancellationToken);
    }

    /// <summary>
    /// Queues a new delivery of event <paramref name="eventId"/> to every endpoint in force that takes its type (admin
    /// resend); null when the event does not exist (or is past retention).
    /// </summary>
    public async Task<IReadOnlyList<StripeWebhookDelivery>?> ResendAsync(string eventId, CancellationToken cancellationToken = default)
    {
        return await store.WriteAsync<IReadOnlyList<StripeWebhookDelivery>?>(async (connection, transaction) =>
        {
            await using var find = connection.CreateCommand();
            find.Transaction = transaction;
            find.CommandText = "SELECT type FROM events WHERE id = $id";
            find.Parameters.AddWithValue("$id", eventId);
            if (await find.ExecuteScalarAsync(cancellationToken) is not string type)
            {
                return null;
            }

            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = """
                INSERT INTO webhook_deliveries (id, event_id, event_type, endpoint_id, url, secret, status, attempts, next_attempt_at)
                SELECT 'whd_' || lower(hex(randomblob(12))), $id, $type, e.id, e.url, e.secret, 'pending', 0, 0
                FROM webhook_endpoints e
                WHERE EXISTS (SELECT 1 FROM json_each(e.enabled_events) j WHERE j.value IN ('*', $type))
                ORDER BY e.seq
                RETURNING seq
                """;
            insert.Parameters.AddWithValue("$id", eventId);
            insert.Parameters.AddWithValue("$type", type);
            var seqs = new List<long>();
            await using (var reader = await insert.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    seqs.Add(reader.GetInt64(0));
                }
            }

            await RecountPendingAsync(connection, transaction, eventId, cancellationToken);
            if (seqs.Count == 0)
            {
                return [];
            }

            // Read inside the write, so the answer shows the new deliveries as queued even if the dispatcher is quick.
            await using var read = connection.CreateCommand();
            read.Transaction = transaction;
            read.CommandText = $"SELECT {DeliveryColumns} FROM webhook_deliveries d WHERE d.event_id = $id AND d.seq >= $first ORDER BY d.seq";
            read.Parameters.AddWithValue("$id", eventId);
            read.Parameters.AddWithValue("$first", seqs.Min());
            return await ReadDeliveriesAsync(read, int.MaxValue, cancellationToken);
        }, cancellationToken);
    }

    /// <summary>Deliveries oldest first, optionally of one event and/or one status, after <paramref name="after"/> (a seq).</summary>
    public async Task<StripeWebhookDeliveryPage> ListAsync(string? eventId, string? status, long after, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await store.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        var where = new List<string> { "d.seq > $after" };
        command.Parameters.AddWithValue("$after", after);
        if (eventId is not null)
        {
            where.Add("d.event_id = $event");
            command.Parameters.AddWithValue("$event", eventId);
        }

        if (status is not null)
        {
            where.Add("d.status = $status");
            command.Parameters.AddWithValue("$status", status);
        }

        command.CommandText = $"SELECT {DeliveryColumns} FROM webhook_deliveries d WHERE {string.Join(" AND ", where)} ORDER BY d.seq LIMIT $limit";
        command.Parameters.AddWithValue("$limit", limit + 1);
        var rows = await ReadDeliveriesAsync(command, limit + 1, cancellationToken);
        return new StripeWebhookDeliveryPage(rows.Take(limit).ToArray(), rows.Count > limit);
    }

    /// <summary>Pending deliveries due at <paramref name="nowMs"/> (oldest first, at most <paramref name="limit"/>), with the event's sandbox <c>created</c>.</summary>
    internal async Task<IReadOnlyList<DueDelivery>> DueAsync(long nowMs, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT d.seq, d.id, d.event_id, d.endpoint_id, d.url, d.secret, d.attempts, d.first_attempt_at, e.created
            FROM webhook_deliveries d LEFT JOIN events e ON e.id = d.event_id
            WHERE d.status = 'pending' AND d.next_attempt_at <= $now
            ORDER BY d.next_attempt_at, d.seq
            LIMIT $limit
            """;
        command.Parameters.AddWithValue("$now", nowMs);
        command.Parameters.AddWithValue("$limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<DueDelivery>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new DueDelivery(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.GetString(5), reader.GetInt32(6), reader.IsDBNull(7) ? null : reader.GetInt64(7), reader.IsDBNull(8) ? null : reader.GetInt64(8)));
        }

        return list;
    }

    /// <summary>The earliest future attempt time (Unix ms) of a pending delivery after <paramref name="nowMs"/>; null when none.</summary>
    internal async Task<long?> NextDueAfterAsync(long nowMs, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT MIN(next_attempt_at) FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at > $now";
        command.Parameters.AddWithValue("$now", nowMs);
        return await command.ExecuteScalarAsync(cancellationToken) is long next ? next : null;
    }

    /// <summary>The event's JSON as sent (with its current <c>pending_webhooks</c>); null when it is gone (past retention, reset).</summary>
    internal async Task<string?> EventBodyAsync(string eventId, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT data FROM events WHERE id = $id";
        command.Parameters.AddWithValue("$id", eventId);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    /// <summary>Records one attempt's outcome: delivered, retried at <paramref name="nextAttemptAtMs"/>, or failed for good when that is null.</summary>
    internal Task RecordAttemptAsync(
        DueDelivery delivery, long attemptAtMs, long firstAttemptAtMs, bool delivered, int? httpStatus, string? error, long? nextAttemptAtMs,
        CancellationToken cancellationToken) =>
        store.WriteAsync(async (connection, transaction) =>
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = """
                UPDATE webhook_deliveries SET
                    status = $status, attempts = attempts + 1, first_attempt_at = $first, last_attempt_at = $at, last_status = $httpStatus,
                    last_error = $error, next_attempt_at = $next, delivered_at = $deliveredAt
                WHERE id = $id AND status = 'pending'
                """;
            command.Parameters.AddWithValue("$id", delivery.Id);
            command.Parameters.AddWithValue("$status", delivered ? Delivered : nextAttemptAtMs is null ? Failed : Pending);
            command.Parameters.AddWithValue("$first", firstAttemptAtMs);
            command.Parameters.AddWithValue("$at", attemptAtMs);
            command.Parameters.AddWithValue("$httpStatus", (object?)httpStatus ?? DBNull.Value);
            command.Parameters.AddWithValue("$error", (object?)error ?? DBNull.Value);
            command.Parameters.AddWithValue("$next", delivered || nextAttemptAtMs is null ? DBNull.Value : nextAttemptAtMs.Value);
            command.Parameters.AddWithValue("$deliveredAt", delivered ? attemptAtMs : DBNull.Value);
            await command.ExecuteNonQueryAsync(cancellationToken);
            await RecountPendingAsync(connection, transaction, delivery.EventId, cancellationToken);
            return 0;
        }, cancellationToken);

    /// <summary>Marks a delivery whose event no longer exists as failed.</summary>
    internal Task AbandonAsync(DueDelivery delivery, long nowMs, CancellationToken cancellationToken) =>
        store.WriteAsync(async (connection, transaction) =>
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = """
                UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, last_error = 'The event no longer exists (retention or reset).',
                    last_attempt_at = $now
                WHERE id = $id AND status = 'pending'
                """;
            command.Parameters.AddWithValue("$id", delivery.Id);
            command.Parameters.AddWithValue("$now", nowMs);
            return await command.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);

    private static async Task ReplaceEndpointsAsync(
        SqliteConnection connection, SqliteTransaction transaction, IReadOnlyList<StripeWebhookEndpointSpec> specs, bool setByAdmin, CancellationToken cancellationToken)
    {
        await using (var clear = connection.CreateCommand())
        {
            clear.Transaction = transaction;
            clear.CommandText = """
                DELETE FROM webhook_endpoints;
                INSERT INTO webhook_settings (id, set_by_admin) VALUES (1, $admin) ON CONFLICT (id) DO UPDATE SET set_by_admin = excluded.set_by_admin;
                """;
            clear.Parameters.AddWithValue("$admin", setByAdmin ? 1 : 0);
            await clear.ExecuteNonQueryAsync(cancellationToken);
        }

        foreach (var spec in specs)
        {
            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO webhook_endpoints (id, url, secret, enabled_events) VALUES ($id, $url, $secret, $events)";
            insert.Parameters.AddWithValue("$id", StripeStore.NewId("we"));
            insert.Parameters.AddWithValue("$url", spec.Url);
            insert.Parameters.AddWithValue("$secret", spec.Secret ?? StripeWebhookEndpoints.DefaultSecret);
            insert.Parameters.AddWithValue("$events", JsonSerializer.Serialize(spec.EnabledEvents ?? ["*"]));
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private static async Task RecountPendingAsync(SqliteConnection connection, SqliteTransaction transaction, string eventId, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            UPDATE events SET pending_webhooks =
                (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.event_id = $id AND d.status <> 'delivered')
            WHERE id = $id;
            UPDATE events SET data = json_set(data, '$.pending_webhooks', pending_webhooks) WHERE id = $id;
            """;
        command.Parameters.AddWithValue("$id", eventId);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<List<StripeWebhookDelivery>> ReadDeliveriesAsync(SqliteCommand command, int max, CancellationToken cancellationToken)
    {
        static DateTimeOffset? At(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(i));
        var list = new List<StripeWebhookDelivery>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (list.Count < max && await reader.ReadAsync(cancellationToken))
        {
            list.Add(new StripeWebhookDelivery(
                reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5),
                reader.GetString(6), reader.GetInt32(7), At(reader, 8), At(reader, 9), reader.IsDBNull(10) ? null : reader.GetInt32(10),
                reader.IsDBNull(11) ? null : reader.GetString(11),
                reader.GetString(6) == Pending && !reader.IsDBNull(12) && reader.GetInt64(12) > 0 ? At(reader, 12) : null, At(reader, 13)));
        }

        return list;
    }
}

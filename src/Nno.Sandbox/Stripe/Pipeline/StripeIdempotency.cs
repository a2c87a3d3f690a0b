using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Nno.Sandbox.Stripe.Common;

namespace Nno.Sandbox.Stripe.Pipeline;

/// <summary>What to do with a request that carries an <c>Idempotency-Key</c>.</summary>
public abstract record IdempotencyDecision
{
    /// <summary>First use (or expired): run the handler, then <see cref="StripeIdempotency.CompleteAsync"/> or release.</summary>
    public sealed record Proceed(IdempotencyLease Lease) : IdempotencyDecision;

    /// <summary>Answered before with the same request: send the stored answer again.</summary>
    public sealed record Replay(int Status, string Body, string RequestId) : IdempotencyDecision;

    /// <summary>Answered before for another method, path or parameters: 400 <c>idempotency_error</c>.</summary>
    public sealed record Mismatch : IdempotencyDecision;

    /// <summary>The first request with the key is still running: 409 <c>idempotency_error</c> (retryable).</summary>
    public sealed record InFlight : IdempotencyDecision;
}

/// <summary>The right to run the first request of a key; dispose it to let the key be used again if nothing was stored.</summary>
public sealed class IdempotencyLease : IDisposable
{
    private readonly Action _release;
    private bool _released;

    internal IdempotencyLease(string keyHash, string key, string method, string path, string fingerprint, Action release)
    {
        KeyHash = keyHash;
        Key = key;
        Method = method;
        Path = path;
        Fingerprint = fingerprint;
        _release = release;
    }

    internal string KeyHash { get; }

    internal string Key { get; }

    internal string Method { get; }

    internal string Path { get; }

    internal string Fingerprint { get; }

    public void Dispose()
    {
        if (!_released)
        {
            _released = true;
            _release();
        }
    }
}

/// <summary>
/// Stripe's idempotent requests (billing.md §5.1): per (secret key, <c>Idempotency-Key</c>) for 24 hours of the host's
/// clock, the first answer is stored in <c>stripe.db</c> and replayed; another method, path or parameter set is refused;
/// a second request while the first runs gets 409. The secret key is kept only as a hash.
/// </summary>
public sealed class StripeIdempotency(StripeStore store, TimeProvider time)
{
    /// <summary>How long a stored answer is replayed.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromHours(24);

    private readonly ConcurrentDictionary<(string KeyHash, string Key), byte> _running = new();

    /// <summary>Decides about a request with <paramref name="key"/>.</summary>
    public async Task<IdempotencyDecision> BeginAsync(
        string secretKey, string key, string method, string path, string fingerprint, CancellationToken cancellationToken)
    {
        var keyHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secretKey)));
        if (!_running.TryAdd((keyHash, key), 0))
        {
            return new IdempotencyDecision.InFlight();
        }

        try
        {
            var cutoff = (time.GetUtcNow() - Retention).ToUnixTimeSeconds();
            await using var connection = await store.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = """
                SELECT method, path, fingerprint, status, body, request_id FROM idempotency
                WHERE key_hash = $keyHash AND idempotency_key = $key AND created_at > $cutoff
                """;
            command.Parameters.AddWithValue("$keyHash", keyHash);
            command.Parameters.AddWithValue("$key", key);
            command.Parameters.AddWithValue("$cutoff", cutoff);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                _running.TryRemove((keyHash, key), out _);
                var same = reader.GetString(0) == method && reader.GetString(1) == path && reader.GetString(2) == fingerprint;
                return same
                    ? new IdempotencyDecision.Replay(reader.GetInt32(3), reader.GetString(4), reader.GetString(5))
                    : new IdempotencyDecision.Mismatch();
            }
        }
        catch
        {
            _running.TryRemove((keyHash, key), out _);
            throw;
        }

        return new IdempotencyDecision.Proceed(new IdempotencyLease(keyHash, key, method, path, fingerprint,
            () => _running.TryRemove((keyHash, key), out _)));
    }

    /// <summary>Stores the answer of the lease's request (replacing an expired record of the same key).</summary>
    public async Task CompleteAsync(IdempotencyLease lease, int status, string body, string requestId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        var now = time.GetUtcNow();
        await store.WriteAsync(async (connection, transaction) =>
        {
            await using (var purge = connection.CreateCommand())
            {
                purge.Transaction = transaction;
                purge.CommandText = "DELETE FROM idempotency WHERE created_at <= $cutoff";
                purge.Parameters.AddWithValue("$cutoff", (now - Retention).ToUnixTimeSeconds());
                await purge.ExecuteNonQueryAsync(cancellationToken);
            }

            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = """
                INSERT OR REPLACE INTO idempotency (key_hash, idempotency_key, method, path, fingerprint, status, body, request_id, created_at)
                VALUES ($keyHash, $key, $method, $path, $fingerprint, $status, $body, $requestId, $createdAt)
                """;
            command.Parameters.AddWithValue("$keyHash", lease.KeyHash);
            command.Parameters.AddWithValue("$key", lease.Key);
            command.Parameters.AddWithValue("$method", lease.Method);
            command.Parameters.AddWithValue("$path", lease.Path);
            command.Parameters.AddWithValue("$fingerprint", lease.Fingerprint);
            command.Parameters.AddWithValue("$status", status);
            command.Parameters.AddWithValue("$body", body);
            command.Parameters.AddWithValue("$requestId", requestId);
            command.Parameters.AddWithValue("$createdAt", now.ToUnixTimeSeconds());
            return await command.ExecuteNonQueryAsync(cancellationToken);
        }, CancellationToken.None);
    }

    /// <summary>Forgets running requests (admin reset; the stored records go with the tables).</summary>
    public void Clear() => _running.Clear();
}

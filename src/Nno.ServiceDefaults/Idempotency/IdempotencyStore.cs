using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Nno.ServiceDefaults.Idempotency;

/// <summary>The stored first responses, in the owning service's database.</summary>
internal interface IIdempotencyStore
{
    /// <summary>
    /// Claims (<paramref name="principal"/>, <paramref name="key"/>) for a new request by inserting an in-progress row.
    /// An expired row, or an abandoned in-progress row of the same request, is taken over. Returns null when claimed,
    /// otherwise the row that holds the key.
    /// </summary>
    Task<IdempotencyRecord?> TryClaimAsync(string principal, string key, string requestHash, long now, long expiresAt, long abandonedBefore, CancellationToken cancellationToken);

    /// <summary>Stores the outcome of the claimed request (only while this claim still holds the row).</summary>
    Task CompleteAsync(string principal, string key, long claimedAt, IdempotencyState state, int? statusCode, string? contentType, string? headers, byte[]? body, string? resourceId, CancellationToken cancellationToken);

    /// <summary>Deletes the claimed in-progress row, so a retry with the same key runs again.</summary>
    Task ReleaseAsync(string principal, string key, long claimedAt, CancellationToken cancellationToken);

    /// <summary>Deletes every row expired at <paramref name="now"/>; returns how many.</summary>
    Task<int> PurgeExpiredAsync(long now, CancellationToken cancellationToken);
}

/// <summary><see cref="IIdempotencyStore"/> on <typeparamref name="TContext"/>; each call uses its own context so it never mixes with the handler's unit of work.</summary>
internal sealed class IdempotencyStore<TContext>(IServiceScopeFactory scopes) : IIdempotencyStore
    where TContext : DbContext
{
    public async Task<IdempotencyRecord?> TryClaimAsync(string principal, string key, string requestHash, long now, long expiresAt, long abandonedBefore, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        // The holder of the key may release it between our failed claim and our read; then claim again.
        for (var attempt = 0; ; attempt++)
        {
            if (await TryInsertOrTakeOverAsync(db, principal, key, requestHash, now, expiresAt, abandonedBefore, cancellationToken))
            {
                return null;
            }

            var existing = await db.Set<IdempotencyRecord>().AsNoTracking()
                .SingleOrDefaultAsync(r => r.Principal == principal && r.Key == key, cancellationToken);
            if (existing is not null || attempt == 2)
            {
                // After repeated churn, answer as if the key were still in progress: the client retries.
                return existing ?? new IdempotencyRecord { Principal = principal, Key = key, RequestHash = requestHash, State = IdempotencyState.InProgress, CreatedAt = now, ExpiresAt = expiresAt };
            }
        }
    }

    private static async Task<bool> TryInsertOrTakeOverAsync(TContext db, string principal, string key, string requestHash, long now, long expiresAt, long abandonedBefore, CancellationToken cancellationToken)
    {
        // One statement, so two concurrent first requests cannot both claim the key (SQLite upsert, also valid PostgreSQL).
        var claimed = await db.Database.ExecuteSqlAsync(
            $"""
            INSERT INTO "idempotency_keys" ("principal", "key", "request_hash", "state", "status_code", "content_type", "response_headers", "response_body", "resource_id", "created_at", "expires_at")
            VALUES ({principal}, {key}, {requestHash}, {IdempotencyModel.InProgress}, NULL, NULL, NULL, NULL, NULL, {now}, {expiresAt})
            ON CONFLICT ("principal", "key") DO UPDATE SET
                "request_hash" = excluded."request_hash", "state" = excluded."state", "status_code" = NULL, "content_type" = NULL,
                "response_headers" = NULL, "response_body" = NULL, "resource_id" = NULL,
                "created_at" = excluded."created_at", "expires_at" = excluded."expires_at"
            WHERE "idempotency_keys"."expires_at" <= {now}
               OR ("idempotency_keys"."state" = {IdempotencyModel.InProgress} AND "idempotency_keys"."created_at" <= {abandonedBefore}
                   AND "idempotency_keys"."request_hash" = excluded."request_hash")
            """,
            cancellationToken);
        return claimed == 1;
    }

    public async Task CompleteAsync(string principal, string key, long claimedAt, IdempotencyState state, int? statusCode, string? contentType, string? headers, byte[]? body, string? resourceId, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        await db.Set<IdempotencyRecord>()
            .Where(r => r.Principal == principal && r.Key == key && r.State == IdempotencyState.InProgress && r.CreatedAt == claimedAt)
            .ExecuteUpdateAsync(
                s => s.SetProperty(r => r.State, state)
                    .SetProperty(r => r.StatusCode, statusCode)
                    .SetProperty(r => r.ContentType, contentType)
                    .SetProperty(r => r.ResponseHeaders, headers)
                    .SetProperty(r => r.ResponseBody, body)
                    .SetProperty(r => r.ResourceId, resourceId),
                cancellationToken);
    }

    public async Task ReleaseAsync(string principal, string key, long claimedAt, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        await db.Set<IdempotencyRecord>()
            .Where(r => r.Principal == principal && r.Key == key && r.State == IdempotencyState.InProgress && r.CreatedAt == claimedAt)
            .ExecuteDeleteAsync(cancellationToken);
    }

    public async Task<int> PurgeExpiredAsync(long now, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        return await db.Set<IdempotencyRecord>().Where(r => r.ExpiresAt <= now).ExecuteDeleteAsync(cancellationToken);
    }
}

using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Nno.Core.Json;
using Nno.Registry.Access;
using Nno.Registry.Audit;
using Nno.Registry.Lifecycle;
using Nno.Registry.Outbox;

namespace Nno.Registry.Data;

/// <summary>
/// One change and every external effect it implies, committed together (registry.md §4.2): the caller changes rows on
/// <see cref="Db"/>, adds outbox rows, an audit entry and lifecycle events here, then <see cref="CommitAsync"/> saves all
/// of it in one transaction and wakes the relay. No network call belongs between <see cref="BeginAsync"/> and commit.
/// On SQLite the transaction is <c>BEGIN IMMEDIATE</c> (the provider's default), so a count followed by an insert is
/// serialised against other writers (§4.5).
/// </summary>
internal sealed class RegistryUnitOfWork(RegistryDbContext db, RegistryIds ids, TimeProvider time, OutboxSignal signal) : IAsyncDisposable
{
    private IDbContextTransaction? _transaction;
    private bool _wroteOutbox;

    public RegistryDbContext Db => db;

    /// <summary>The time of this change in Unix ms (one value for every row it writes).</summary>
    public long Now { get; } = time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Starts the transaction (IMMEDIATE on SQLite: takes the write lock now).</summary>
    public async Task BeginAsync(CancellationToken cancellationToken)
    {
        if (_transaction is not null)
        {
            throw new InvalidOperationException("The unit of work already has a transaction.");
        }

        _transaction = await db.Database.BeginTransactionAsync(cancellationToken);
    }

    /// <summary>Queues an external effect of <paramref name="kind"/> (one of <see cref="OutboxKinds"/>), due now.</summary>
    public OutboxRecord AddOutbox(string kind, string platformId, string? targetId, object payload)
    {
        if (!OutboxKinds.All.Contains(kind, StringComparer.Ordinal))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown outbox kind.");
        }

        var row = new OutboxRecord
        {
            Id = ids.New(RegistryIds.Outbox),
            Kind = kind,
            PlatformId = platformId,
            TargetId = targetId,
            Payload = JsonSerializer.Serialize(payload, NnoJson.Options),
            Attempts = 0,
            NextAttemptAt = Now,
            CreatedAt = Now,
        };
        db.Outbox.Add(row);
        _wroteOutbox = true;
        return row;
    }

    /// <summary>
    /// Adds an audit entry (<paramref name="action"/> is <c>&lt;object&gt;.&lt;verb&gt;</c>, at most 64 characters) with the
    /// caller's actor fields; a service's acting user goes into the details.
    /// </summary>
    public AuditLogRecord AddAudit(RegistryCaller caller, string action, string? platformId, string targetType, string targetId, object? details = null)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return AddAudit(caller.ActorType, caller.ActorId, caller.ActorAuth, action, platformId, targetType, targetId, details, caller.RequestId, caller.TraceId, caller.ActingUserId);
    }

    /// <summary>Adds an audit entry for a system actor (sweeps, the relay).</summary>
    public AuditLogRecord AddSystemAudit(string actorId, string action, string? platformId, string targetType, string targetId, object? details = null) =>
        AddAudit(ActorTypes.System, actorId, ActorAuths.System, action, platformId, targetType, targetId, details, requestId: null, traceId: null, actingUserId: null);

    /// <summary>Adds a lifecycle event (the append-only history of the platform's status).</summary>
    public LifecycleEventRecord AddLifecycleEvent(
        string platformId, string @event, string? fromStatus, string toStatus, string? reason, string actorType, string? actorId, string? requestId)
    {
        var row = new LifecycleEventRecord
        {
            Id = ids.New(RegistryIds.LifecycleEvent),
            PlatformId = platformId,
            Event = @event,
            FromStatus = fromStatus,
            ToStatus = toStatus,
            Reason = reason,
            ActorType = actorType,
            ActorId = actorId,
            RequestId = requestId,
            CreatedAt = Now,
        };
        db.LifecycleEvents.Add(row);
        return row;
    }

    /// <summary>Saves every pending change and commits; wakes the relay when outbox rows were written.</summary>
    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        await db.SaveChangesAsync(cancellationToken);
        if (_transaction is not null)
        {
            await _transaction.CommitAsync(cancellationToken);
            await _transaction.DisposeAsync();
            _transaction = null;
        }

        if (_wroteOutbox)
        {
            signal.Notify();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_transaction is not null)
        {
            await _transaction.DisposeAsync();
        }
    }

    private AuditLogRecord AddAudit(
        string actorType, string actorId, string actorAuth, string action, string? platformId, string targetType, string targetId, object? details, string? requestId,
        string? traceId, string? actingUserId)
    {
        if (action.Length is 0 or > 64 || !action.Contains('.', StringComparison.Ordinal))
        {
            throw new ArgumentException("An audit action is <object>.<verb>, at most 64 characters.", nameof(action));
        }

        var row = new AuditLogRecord
        {
            Id = ids.New(RegistryIds.Audit),
            PlatformId = platformId,
            ActorType = actorType,
            ActorId = actorId,
            ActorAuth = actorAuth,
            Action = action,
            TargetType = targetType,
            TargetId = targetId,
            RequestId = requestId,
            TraceId = traceId,
            Details = AuditDetails.Serialize(details, actingUserId),
            CreatedAt = Now,
        };
        db.AuditLog.Add(row);
        return row;
    }
}

using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Nno.Core.Errors;
using Nno.Core.Platforms;
using Nno.Registry.Data;
using Nno.Registry.Outbox;
using Nno.ServiceDefaults.Jobs;

namespace Nno.Registry.Lifecycle;

/// <summary>Periods of the lifecycle sweep and the audit retention job (section <c>Registry:Workers</c>, registry.md §4.6).</summary>
public sealed class LifecycleSweepOptions
{
    public const string Section = "Registry:Workers";

    /// <summary>Seconds between two lifecycle sweeps (period end, cancelled retention, purge, transfer expiry); at most 30 days (timer limit).</summary>
    [Range(1, 2_592_000)]
    public int LifecycleSweepSeconds { get; set; } = 60;

    /// <summary>Hours between two audit retention passes (daily by default; at most 30 days).</summary>
    [Range(1, 720)]
    public int AuditRetentionHours { get; set; } = 24;
}

/// <summary>
/// The lifecycle sweep of registry.md §4.6. Each pass pages by key (500 rows, on an index) through: pending
/// cancellations whose <c>cancel_effective_at</c> passed (<c>period_end</c> → <c>cancelled</c>); cancelled platforms
/// past <c>Registry:CancelledRetentionDays</c> (delete, reason <c>retention_expired</c>); deleted platforms past
/// <c>Registry:DeletedRetentionDays</c> (the purge); expired ownership transfers. Status changes go through
/// <see cref="PlatformLifecycle"/> with a system actor, one unit of work per platform, so a platform another writer moved
/// first is skipped (its conditional UPDATE matches nothing) and one platform's failure never blocks the rest.
/// </summary>
internal sealed class LifecycleSweepJob(RegistryDbContext db, IServiceScopeFactory scopes, TimeProvider time, IOptions<RegistryOptions> options) : IPeriodicJob
{
    public const string Name = "registry.lifecycle-sweep";

    /// <summary>The actor id of the sweep's lifecycle events and audit entries (actor type <c>system</c>).</summary>
    public const string Actor = "lifecycle-sweep";

    public const string RetentionExpired = "retention_expired";
    public const int Batch = 500;

    private static readonly string[] PurgeKinds = [OutboxKinds.ProvisioningDeprovision, OutboxKinds.IamRemovePlatform];

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var settings = options.Value;
        var handled = await TransitionAsync(PlatformStatuses.PendingCancellation, now.ToUnixTimeMilliseconds(), LifecycleActions.PeriodEnd, null, cancellationToken);
        handled += await TransitionAsync(
            PlatformStatuses.Cancelled, now.AddDays(-settings.CancelledRetentionDays).ToUnixTimeMilliseconds(), LifecycleActions.Delete, RetentionExpired, cancellationToken);
        handled += await PurgeAsync(now.AddDays(-settings.DeletedRetentionDays).ToUnixTimeMilliseconds(), cancellationToken);
        handled += await ExpireTransfersAsync(now.ToUnixTimeMilliseconds(), cancellationToken);
        return handled;
    }

    /// <summary>Applies <paramref name="action"/> to every platform in <paramref name="status"/> whose <c>cancel_effective_at</c> ≤ <paramref name="dueBy"/>.</summary>
    private async Task<int> TransitionAsync(string status, long dueBy, string action, string? reason, CancellationToken cancellationToken)
    {
        var moved = 0;
        (long At, string Id)? after = null;
        while (true)
        {
            // The (status, cancel_effective_at) index; keyset on (cancel_effective_at, id) so a platform that cannot move
            // (another writer won) is passed over instead of read again.
            var due = db.Platforms.AsNoTracking().Where(p => p.Status == status && p.CancelEffectiveAt <= dueBy);
            if (after is { } a)
            {
                due = due.Where(p => p.CancelEffectiveAt > a.At || (p.CancelEffectiveAt == a.At && string.Compare(p.Id, a.Id) > 0));
            }

            var batch = await due.OrderBy(p => p.CancelEffectiveAt).ThenBy(p => p.Id).Take(Batch)
                .Select(p => new { p.Id, At = p.CancelEffectiveAt!.Value }).ToListAsync(cancellationToken);
            foreach (var platform in batch)
            {
                if (await TryApplyAsync(platform.Id, action, reason, cancellationToken))
                {
                    moved++;
                }
            }

            if (batch.Count < Batch)
            {
                return moved;
            }

            after = (batch[^1].At, batch[^1].Id);
        }
    }

    private async Task<bool> TryApplyAsync(string pid, string action, string? reason, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        try
        {
            await scope.ServiceProvider.GetRequiredService<PlatformLifecycle>().ApplyAsync(pid, action, reason, LifecycleActor.System(Actor), cancellationToken);
            return true;
        }
        catch (ApiException ex) when (ex.Code == ErrorCodes.InvalidTransition)
        {
            // A user, an operator or another sweep moved it first: nothing left to do here.
            return false;
        }
    }

    /// <summary>The purge (registry.md §4.1) of every deleted platform whose <c>deleted_at</c> ≤ <paramref name="deletedBy"/> and not purged yet.</summary>
    private async Task<int> PurgeAsync(long deletedBy, CancellationToken cancellationToken)
    {
        var handled = 0;
        (long At, string Id)? after = null;
        while (true)
        {
            // The partial index (status, deleted_at) WHERE purged_at IS NULL: purged platforms are never read again.
            var due = db.Platforms.AsNoTracking().Where(p => p.Status == PlatformStatuses.Deleted && p.PurgedAt == null && p.DeletedAt <= deletedBy);
            if (after is { } a)
            {
                due = due.Where(p => p.DeletedAt > a.At || (p.DeletedAt == a.At && string.Compare(p.Id, a.Id) > 0));
            }

            var batch = await due.OrderBy(p => p.DeletedAt).ThenBy(p => p.Id).Take(Batch)
                .Select(p => new { p.Id, At = p.DeletedAt!.Value }).ToListAsync(cancellationToken);
            var ids = batch.Select(p => p.Id).ToList();

            // One read of the batch's purge rows (index (platform_id, kind)), not one per platform.
            var rows = await db.Outbox.AsNoTracking().Where(o => ids.Contains(o.PlatformId) && PurgeKinds.Contains(o.Kind))
                .Select(o => new PurgeRow(o.PlatformId, o.Kind, o.Payload, o.CompletedAt, o.LastError)).ToListAsync(cancellationToken);
            var byPlatform = rows.Where(PurgeRow.IsPurge).ToLookup(r => r.PlatformId, StringComparer.Ordinal);
            foreach (var pid in ids)
            {
                var state = PurgeState.Of(byPlatform[pid]);
                if (state.Queued && state.Done)
                {
                    handled += await CompletePurgeAsync(pid, cancellationToken) ? 1 : 0;
                }
                else if (!state.Queued)
                {
                    handled += await QueuePurgeAsync(pid, cancellationToken) ? 1 : 0;
                }
            }

            if (batch.Count < Batch)
            {
                return handled;
            }

            after = (batch[^1].At, batch[^1].Id);
        }
    }

    /// <summary>Queues the purge's external effects that are not queued yet (re-checked inside the transaction).</summary>
    private async Task<bool> QueuePurgeAsync(string pid, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        await using var uow = scope.ServiceProvider.GetRequiredService<RegistryUnitOfWork>();
        await uow.BeginAsync(cancellationToken);
        var rows = await uow.Db.Outbox.AsNoTracking().Where(o => o.PlatformId == pid && PurgeKinds.Contains(o.Kind))
            .Select(o => new PurgeRow(o.PlatformId, o.Kind, o.Payload, o.CompletedAt, o.LastError)).ToListAsync(cancellationToken);
        var state = PurgeState.Of(rows.Where(PurgeRow.IsPurge));
        var still = await uow.Db.Platforms.AnyAsync(p => p.Id == pid && p.Status == PlatformStatuses.Deleted && p.PurgedAt == null, cancellationToken);
        if (!still || state.Queued)
        {
            return false;
        }

        if (!state.HasDeprovision)
        {
            // The data stores kept after the delete (D1, R2, KV, queues) go now.
            uow.AddOutbox(OutboxKinds.ProvisioningDeprovision, pid, pid, new { platformId = pid, environment = (string?)null, reason = "purge", purgeData = true });
        }

        if (!state.HasRemovePlatform)
        {
            uow.AddOutbox(OutboxKinds.IamRemovePlatform, pid, pid, new { platformId = pid });
        }

        uow.AddSystemAudit(Actor, "platform.purge_started", pid, "platform", pid);
        await uow.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Deletes the platform's child rows and sets <c>purged_at</c> with a <c>purge</c> event, once both effects are done.</summary>
    private async Task<bool> CompletePurgeAsync(string pid, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        await using var uow = scope.ServiceProvider.GetRequiredService<RegistryUnitOfWork>();
        var tx = uow.Db;
        await uow.BeginAsync(cancellationToken);
        var now = uow.Now;
        var marked = await tx.Platforms.Where(p => p.Id == pid && p.Status == PlatformStatuses.Deleted && p.PurgedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(p => p.PurgedAt, now).SetProperty(p => p.UpdatedAt, now).SetProperty(p => p.Version, p => p.Version + 1), cancellationToken);
        if (marked == 0)
        {
            // Purged by another pass: dispose rolls back.
            return false;
        }

        // Children before their parents (foreign keys are checked per statement): activations and build state, then the
        // DNS side, resources, stacks, environments, the onboarding session and last the entities (self-referencing).
        await tx.FeatureActivations.Where(r => r.PlatformId == pid).ExecuteDeleteAsync(cancellationToken);
        await tx.ProvisionJobs.Where(r => r.PlatformId == pid).ExecuteDeleteAsync(cancellationToken);
        await tx.BuildState.Where(r => r.PlatformId == pid).ExecuteDeleteAsync(cancellationToken);
        await tx.CustomDomains.Where(r => r.PlatformId == pid).ExecuteDeleteAsync(cancellationToken);
        await tx.Secrets.Where(r => r.PlatformId == pid).ExecuteDeleteAsync(cancellationToken);
        await tx.DnsRecords.Where(r => r.PlatformId == pid).ExecuteDeleteAsync(cancellationToken);
        await tx.Resources.Where(r => r.PlatformId == pid).ExecuteDeleteAsync(cancellationToken);
        await tx.Stacks.Where(r => r.PlatformId == pid).ExecuteDeleteAsync(cancellationToken);
        await tx.Environments.Where(r => r.PlatformId == pid).ExecuteDeleteAsync(cancellationToken);
        await tx.OnboardingSessions.Where(r => r.PlatformId == pid).ExecuteDeleteAsync(cancellationToken);
        await tx.Entities.Where(r => r.PlatformId == pid).ExecuteDeleteAsync(cancellationToken);

        uow.AddLifecycleEvent(pid, LifecycleEvents.Purge, PlatformStatuses.Deleted, PlatformStatuses.Deleted, null, ActorTypes.System, Actor, null);
        uow.AddSystemAudit(Actor, "platform.purged", pid, "platform", pid);
        await uow.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Clears ownership transfers whose <c>transfer_expires_at</c> ≤ <paramref name="now"/> (registry.md §3.4: 7 days).</summary>
    private async Task<int> ExpireTransfersAsync(long now, CancellationToken cancellationToken)
    {
        var expired = 0;
        (long At, string Id)? after = null;
        while (true)
        {
            // The partial index on transfer_expires_at WHERE pending_owner_user_id IS NOT NULL.
            var due = db.Platforms.AsNoTracking().Where(p => p.PendingOwnerUserId != null && p.TransferExpiresAt <= now);
            if (after is { } a)
            {
                due = due.Where(p => p.TransferExpiresAt > a.At || (p.TransferExpiresAt == a.At && string.Compare(p.Id, a.Id) > 0));
            }

            var batch = await due.OrderBy(p => p.TransferExpiresAt).ThenBy(p => p.Id).Take(Batch)
                .Select(p => new { p.Id, At = p.TransferExpiresAt!.Value, To = p.PendingOwnerUserId! }).ToListAsync(cancellationToken);
            foreach (var transfer in batch)
            {
                await using var scope = scopes.CreateAsyncScope();
                await using var uow = scope.ServiceProvider.GetRequiredService<RegistryUnitOfWork>();
                await uow.BeginAsync(cancellationToken);
                var stamp = uow.Now;
                // Only the transfer that was read: an accepted, withdrawn or restarted one is left alone.
                var cleared = await uow.Db.Platforms
                    .Where(p => p.Id == transfer.Id && p.PendingOwnerUserId == transfer.To && p.TransferExpiresAt == transfer.At)
                    .ExecuteUpdateAsync(s => s.SetProperty(p => p.PendingOwnerUserId, (string?)null).SetProperty(p => p.TransferExpiresAt, (long?)null)
                        .SetProperty(p => p.Version, p => p.Version + 1).SetProperty(p => p.UpdatedAt, stamp), cancellationToken);
                if (cleared == 1)
                {
                    uow.AddSystemAudit(Actor, "platform.ownership_transfer_expired", transfer.Id, "platform", transfer.Id,
                        new { toUserId = transfer.To, expiredAt = DateTimeOffset.FromUnixTimeMilliseconds(transfer.At) });
                    await uow.CommitAsync(cancellationToken);
                    expired++;
                }
            }

            if (batch.Count < Batch)
            {
                return expired;
            }

            after = (batch[^1].At, batch[^1].Id);
        }
    }

    private sealed record PurgeRow(string PlatformId, string Kind, string Payload, long? CompletedAt, string? LastError)
    {
        /// <summary>Done: completed without an error (a row completed with <c>last_error</c> failed for good).</summary>
        public bool IsDone => CompletedAt is not null && LastError is null;

        /// <summary>The purge's rows: every <c>iam.remove_platform</c>, and the whole-platform deprovision with <c>purgeData: true</c>.</summary>
        public static bool IsPurge(PurgeRow row)
        {
            if (row.Kind == OutboxKinds.IamRemovePlatform)
            {
                return true;
            }

            using var payload = JsonDocument.Parse(row.Payload);
            var root = payload.RootElement;
            return root.TryGetProperty("purgeData", out var purge) && purge.ValueKind == JsonValueKind.True
                && (!root.TryGetProperty("environment", out var environment) || environment.ValueKind == JsonValueKind.Null);
        }
    }

    private readonly record struct PurgeState(bool HasDeprovision, bool HasRemovePlatform, bool Done)
    {
        public bool Queued => HasDeprovision && HasRemovePlatform;

        public static PurgeState Of(IEnumerable<PurgeRow> rows)
        {
            var list = rows.ToList();
            var deprovision = list.Where(r => r.Kind == OutboxKinds.ProvisioningDeprovision).ToList();
            var remove = list.Where(r => r.Kind == OutboxKinds.IamRemovePlatform).ToList();
            return new(deprovision.Count > 0, remove.Count > 0, deprovision.Any(r => r.IsDone) && remove.Any(r => r.IsDone));
        }
    }
}

/// <summary>
/// Deletes <c>audit_log</c> rows older than <c>Registry:AuditRetentionDays</c> in batches of 1,000 (registry.md §2, §4.6);
/// the <c>BEFORE DELETE</c> trigger allows exactly those.
/// </summary>
internal sealed class AuditRetentionJob(RegistryDbContext db, TimeProvider time, IOptions<RegistryOptions> options) : IPeriodicJob
{
    public const string Name = "registry.audit-retention";
    public const int Batch = 1000;

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var before = time.GetUtcNow().AddDays(-options.Value.AuditRetentionDays).ToUnixTimeMilliseconds();
        var total = 0;
        int deleted;
        do
        {
            // A range of the (created_at, id) index, oldest first.
            deleted = await db.AuditLog.Where(a => a.CreatedAt < before).OrderBy(a => a.CreatedAt).ThenBy(a => a.Id).Take(Batch).ExecuteDeleteAsync(cancellationToken);
            total += deleted;
        }
        while (deleted == Batch);

        return total;
    }
}

/// <summary>Registers the lifecycle sweep and the audit retention job.</summary>
internal static class LifecycleSweepRegistration
{
    public static IServiceCollection AddRegistryLifecycleSweep(this IServiceCollection services)
    {
        services.AddOptions<LifecycleSweepOptions>().BindConfiguration(LifecycleSweepOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddNnoPeriodicJob<RegistryDbContext, LifecycleSweepJob>(
            LifecycleSweepJob.Name, sp => TimeSpan.FromSeconds(sp.GetRequiredService<IOptions<LifecycleSweepOptions>>().Value.LifecycleSweepSeconds));
        services.AddNnoPeriodicJob<RegistryDbContext, AuditRetentionJob>(
            AuditRetentionJob.Name, sp => TimeSpan.FromHours(sp.GetRequiredService<IOptions<LifecycleSweepOptions>>().Value.AuditRetentionHours));
        return services;
    }
}

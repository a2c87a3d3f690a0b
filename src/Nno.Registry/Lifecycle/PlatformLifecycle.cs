using Microsoft.EntityFrameworkCore;
using Nno.Core.Errors;
using Nno.Core.Platforms;
using Nno.Registry.Access;
using Nno.Registry.Data;
using Nno.Registry.Onboarding;
using Nno.Registry.Outbox;
using Nno.Registry.Platforms;

namespace Nno.Registry.Lifecycle;

/// <summary>
/// The platform state machine of registry.md §4.1 for suspend, restore, cancel, resume, delete and the system's period_end
/// (the routes and the lifecycle sweep share it). Each transition is one
/// transaction: a conditional <c>UPDATE … WHERE id = @id AND status = @from</c> (0 rows → 409 <c>INVALID_TRANSITION</c>,
/// so concurrent transitions have exactly one winner), a lifecycle event, an audit entry, and outbox rows
/// (<c>kv.platform_status</c>, <c>iam.notify</c> for the owners, and the action's own effects).
/// </summary>
internal sealed class PlatformLifecycle(RegistryUnitOfWork uow)
{
    /// <summary>Applies <paramref name="action"/> to the granted platform and returns the platform as committed.</summary>
    public Task<PlatformRecord> ApplyAsync(PlatformGrant grant, string action, string? reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grant);
        return ApplyAsync(grant.Platform.Id, action, reason, LifecycleActor.Of(grant.Caller), cancellationToken);
    }

    /// <summary>
    /// Applies <paramref name="action"/> to platform <paramref name="pid"/> for <paramref name="actor"/> (the routes' caller
    /// or a system sweep) and returns the platform as committed. One call per unit of work.
    /// </summary>
    public async Task<PlatformRecord> ApplyAsync(string pid, string action, string? reason, LifecycleActor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var db = uow.Db;
        await uow.BeginAsync(cancellationToken);
        var current = await db.Platforms.AsNoTracking().FirstAsync(p => p.Id == pid, cancellationToken);
        var from = current.Status;
        if (!LifecycleActions.From(action).Contains(from))
        {
            throw InvalidTransition(from, action);
        }

        var now = uow.Now;
        OnboardingSessionRecord? session = null;
        string to;
        string notifyKind;
        string auditAction;
        switch (action)
        {
            case LifecycleActions.Suspend:
                (to, notifyKind, auditAction) = (PlatformStatuses.Suspended, "platform_suspended", "platform.suspended");
                break;
            case LifecycleActions.Restore:
                (to, notifyKind, auditAction) = (PlatformStatuses.Active, "platform_restored", "platform.restored");
                break;
            case LifecycleActions.Cancel when from == PlatformStatuses.Suspended:
                // 00-system §11: cancelling a suspended platform takes effect at once and never makes it usable again.
                (to, notifyKind, auditAction) = (PlatformStatuses.Cancelled, "platform_cancelled", "platform.cancelled");
                break;
            case LifecycleActions.Cancel:
                (to, notifyKind, auditAction) = (PlatformStatuses.PendingCancellation, "cancellation_scheduled", "platform.cancellation_scheduled");
                break;
            case LifecycleActions.PeriodEnd:
                if (current.CancelEffectiveAt is not { } due || due > now)
                {
                    throw InvalidTransition(from, action, "The cancellation has not taken effect yet.");
                }

                (to, notifyKind, auditAction) = (PlatformStatuses.Cancelled, "platform_cancelled", "platform.cancelled");
                break;
            case LifecycleActions.Resume:
                if (current.CancelEffectiveAt is { } effective && effective <= now)
                {
                    throw InvalidTransition(from, action, "The cancellation has already taken effect.");
                }

                if (current.HasSubscription)
                {
                    // The synchronous Billing resume (B17) belongs to the Billing integration; never fake its success.
                    throw new ApiException(ErrorCodes.ServiceUnavailable,
                        "Resuming a subscribed platform needs Billing (POST /subscription/resume), which this Registry cannot call yet; nothing was changed.",
                        new { service = "billing" });
                }

                (to, notifyKind, auditAction) = (PlatformStatuses.Active, "platform_resumed", "platform.resumed");
                break;
            case LifecycleActions.Delete:
                if (from is PlatformStatuses.Pending or PlatformStatuses.Provisioning)
                {
                    session = await db.OnboardingSessions.FirstOrDefaultAsync(s => s.PlatformId == pid, cancellationToken);
                    var deletable = session is not null
                        && (session.Status == OnboardingStatuses.Pending || (session.Status == OnboardingStatuses.Failed && current.BootstrapFailedAt is not null));
                    if (!deletable)
                    {
                        throw InvalidTransition(from, action, "A platform being created can be deleted only when its onboarding failed or never started.");
                    }
                }

                (to, notifyKind, auditAction) = (PlatformStatuses.Deleted, "platform_deleted", "platform.deleted");
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(action), action, "Unknown lifecycle action.");
        }

        var subscribed = current.HasSubscription;
        var updated = await db.Platforms.Where(p => p.Id == pid && p.Status == from).ExecuteUpdateAsync(s =>
        {
            s.SetProperty(p => p.Status, to).SetProperty(p => p.Version, p => p.Version + 1).SetProperty(p => p.UpdatedAt, now);
            switch (action)
            {
                case LifecycleActions.Suspend:
                    s.SetProperty(p => p.SuspendedAt, now).SetProperty(p => p.SuspensionReason, reason).SetProperty(p => p.SuspendedBy, actor.ActorId);
                    break;
                case LifecycleActions.Restore:
                    s.SetProperty(p => p.SuspendedAt, (long?)null).SetProperty(p => p.SuspensionReason, (string?)null).SetProperty(p => p.SuspendedBy, (string?)null);
                    break;
                case LifecycleActions.Cancel:
                    s.SetProperty(p => p.CancelledAt, now).SetProperty(p => p.CancellationReason, reason);
                    // With a subscription the end of the paid period comes from Billing's answer (the relay stores it).
                    if (to == PlatformStatuses.Cancelled || !subscribed)
                    {
                        s.SetProperty(p => p.CancelEffectiveAt, now);
                    }

                    break;
                case LifecycleActions.Resume:
                    s.SetProperty(p => p.CancelledAt, (long?)null).SetProperty(p => p.CancellationReason, (string?)null).SetProperty(p => p.CancelEffectiveAt, (long?)null);
                    break;
                case LifecycleActions.Delete:
                    s.SetProperty(p => p.DeletedAt, now);
                    break;
            }
        }, cancellationToken);
        if (updated == 0)
        {
            var status = await db.Platforms.Where(p => p.Id == pid).Select(p => p.Status).FirstAsync(cancellationToken);
            throw InvalidTransition(status, action);
        }

        var lifecycleEvent = uow.AddLifecycleEvent(pid, EventOf(action), from, to, reason, actor.ActorType, actor.ActorId, actor.RequestId);
        var auditDetails = new { fromStatus = from, toStatus = to, reason };
        if (actor.Caller is { } caller)
        {
            uow.AddAudit(caller, auditAction, pid, "platform", pid, auditDetails);
        }
        else
        {
            uow.AddSystemAudit(actor.ActorId, auditAction, pid, "platform", pid, auditDetails);
        }

        uow.AddOutbox(OutboxKinds.KvPlatformStatus, pid, pid, new { platformId = pid });
        uow.AddOutbox(OutboxKinds.IamNotify, pid, pid, new
        {
            platformId = pid,
            kind = notifyKind,
            audience = "owners",
            // IAM takes a flat object of strings and numbers: absent values are left out, never null.
            data = NotificationData(("platformName", current.Name), ("fromStatus", from), ("toStatus", to), ("reason", reason)),
            dedupeKey = "lifecycle:" + lifecycleEvent.Id,
        });

        if (action == LifecycleActions.Cancel && subscribed)
        {
            uow.AddOutbox(OutboxKinds.BillingCancel, pid, pid, new { platformId = pid, reason = reason ?? "cancelled", immediately = to == PlatformStatuses.Cancelled });
        }

        if (action == LifecycleActions.Delete)
        {
            await QueueDeletionAsync(current, session, reason, cancellationToken);
        }

        await uow.CommitAsync(cancellationToken);
        return await db.Platforms.AsNoTracking().FirstAsync(p => p.Id == pid, cancellationToken);
    }

    /// <summary>The 409 <c>INVALID_TRANSITION</c> with <c>{currentStatus, requested, allowed}</c>.</summary>
    public static ApiException InvalidTransition(string currentStatus, string requested, string? why = null) =>
        new(ErrorCodes.InvalidTransition,
            why ?? $"A platform that is {currentStatus} cannot {requested}.",
            new { currentStatus, requested, allowed = LifecycleActions.AllowedFrom(currentStatus) });

    private static Dictionary<string, string> NotificationData(params (string Key, string? Value)[] values) =>
        values.Where(v => v.Value is not null).ToDictionary(v => v.Key, v => v.Value!, StringComparer.Ordinal);

    private static string EventOf(string action) => action switch
    {
        LifecycleActions.Suspend => LifecycleEvents.Suspend,
        LifecycleActions.Restore => LifecycleEvents.Restore,
        LifecycleActions.Cancel => LifecycleEvents.Cancel,
        LifecycleActions.Resume => LifecycleEvents.Resume,
        LifecycleActions.PeriodEnd => LifecycleEvents.PeriodEnd,
        _ => LifecycleEvents.Delete,
    };

    /// <summary>The external effects of a delete that exist for this platform (registry.md §4.1).</summary>
    private async Task QueueDeletionAsync(PlatformRecord platform, OnboardingSessionRecord? session, string? reason, CancellationToken cancellationToken)
    {
        var db = uow.Db;
        var pid = platform.Id;
        var hasInfrastructure = await db.Resources.AnyAsync(r => r.PlatformId == pid && r.DeletedAt == null, cancellationToken)
            || await db.Environments.AnyAsync(e => e.PlatformId == pid, cancellationToken)
            || await db.Stacks.AnyAsync(s => s.PlatformId == pid && s.ProvisionJobId != null, cancellationToken)
            || (session?.ProvisionJobId is not null);
        if (hasInfrastructure)
        {
            // Workers, routes, hostnames, domains and Pages go; D1, R2, KV and queues stay until the purge.
            uow.AddOutbox(OutboxKinds.ProvisioningDeprovision, pid, pid, new { platformId = pid, environment = (string?)null, reason = reason ?? "deleted", purgeData = false });
        }

        // IAM refuses to delete an organization with live children, so children go first. Rows of one change share their
        // timestamps, so the order is carried in the payload: the relay sends a row only when no deeper delete_org of the
        // platform is still pending (decision 0331).
        var entities = await db.Entities.AsNoTracking().Where(e => e.PlatformId == pid && e.DeletedAt == null)
            .OrderByDescending(e => e.Depth).ThenBy(e => e.Id).Select(e => new { e.Id, e.IamOrgId, e.Depth, e.ParentId }).ToListAsync(cancellationToken);
        foreach (var entity in entities)
        {
            uow.AddOutbox(OutboxKinds.IamDeleteOrg, pid, entity.Id, new
            {
                platformId = pid, entityId = entity.Id, iamOrgId = entity.IamOrgId, depth = entity.Depth, parentEntityId = entity.ParentId,
            });
        }

        if (platform.RepoName is { } repo)
        {
            uow.AddOutbox(OutboxKinds.CliArchiveRepo, pid, pid, new { platformId = pid, repoName = repo });
        }

        var subscriptionOpen = platform.HasSubscription
            && (platform.Status == PlatformStatuses.PendingCancellation || platform.Status is PlatformStatuses.Pending or PlatformStatuses.Provisioning);
        if (subscriptionOpen)
        {
            uow.AddOutbox(OutboxKinds.BillingCancel, pid, pid, new { platformId = pid, reason = reason ?? "deleted", immediately = true });
        }

        if (session is not null)
        {
            session.Status = OnboardingStatuses.Cancelled;
            session.UpdatedAt = uow.Now;
            session.NextRunAt = null;
        }
    }
}

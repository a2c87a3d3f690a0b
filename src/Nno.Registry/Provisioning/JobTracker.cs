using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Json;
using Nno.Registry.Builds;
using Nno.Registry.Data;
using Nno.Registry.Environments;
using Nno.Registry.Features;
using Nno.Registry.Outbox;
using Nno.Registry.Resources;
using Nno.Registry.Stacks;

namespace Nno.Registry.Provisioning;

/// <summary>One job outcome to apply: from <c>POST /provision-events</c> or from the watcher's poll of P11.</summary>
internal sealed record JobEvent(string JobId, int RunNumber, string Status, string? ErrorCode, string? ErrorMessage);

/// <summary>
/// Applies job outcomes to the objects that reference the job (registry.md §4.4): stacks, feature activations, custom
/// domains and environments whose <c>provision_job_id</c> is the job, within one platform. The job's row in
/// <c>provision_jobs</c> says what the job does (activate or deactivate, add or remove) and which run and status were last
/// applied: an event of an older run is ignored, and so is a non-terminal event after the run's terminal one. A later run
/// (an operator's retry or a dead-letter replay in Provisioning) moves a <c>failed</c> object again. Failures record
/// <c>{code, message, runNumber}</c> in <c>last_error</c> and queue one <c>job_failed</c> notification per job, run and
/// status. The caller owns the unit of work (and commits).
/// </summary>
internal static class JobTracker
{
    /// <summary>
    /// Applies <paramref name="event"/> on platform <paramref name="platformId"/>; returns how many objects reference the job
    /// (0 = none: the route answers 404 <c>details.resource: "job"</c>).
    /// </summary>
    public static async Task<int> ApplyAsync(RegistryUnitOfWork uow, string platformId, JobEvent @event, CancellationToken cancellationToken)
    {
        var db = uow.Db;
        var jobId = @event.JobId;
        var stacks = await db.Stacks.Where(s => s.PlatformId == platformId && s.ProvisionJobId == jobId).ToListAsync(cancellationToken);
        var activations = await db.FeatureActivations.Where(a => a.PlatformId == platformId && a.ProvisionJobId == jobId).ToListAsync(cancellationToken);
        var domains = await db.CustomDomains.Where(d => d.PlatformId == platformId && d.ProvisionJobId == jobId).ToListAsync(cancellationToken);
        var environments = await db.Environments.Where(e => e.PlatformId == platformId && e.ProvisionJobId == jobId).ToListAsync(cancellationToken);
        var platformJob = await db.Platforms.AnyAsync(p => p.Id == platformId && p.DeprovisionJobId == jobId, cancellationToken);
        var sessionJob = await db.OnboardingSessions.AnyAsync(o => o.PlatformId == platformId && o.ProvisionJobId == jobId, cancellationToken);
        var job = await db.ProvisionJobs.FirstOrDefaultAsync(j => j.JobId == jobId && j.PlatformId == platformId, cancellationToken);
        var matched = stacks.Count + activations.Count + domains.Count + environments.Count + (platformJob ? 1 : 0) + (sessionJob ? 1 : 0);
        if (matched == 0 && job is null)
        {
            return 0;
        }

        var now = uow.Now;
        if (job is null)
        {
            // A job started elsewhere (onboarding's provision step): what it does follows from its objects.
            job = new ProvisionJobRecord
            {
                JobId = jobId,
                PlatformId = platformId,
                Operation = InferOperation(stacks, activations, domains, environments, platformJob),
                InFlight = true,
                CreatedAt = now,
                UpdatedAt = now,
            };
            db.ProvisionJobs.Add(job);
        }

        if (!IsNews(job, @event))
        {
            return Math.Max(matched, 1);
        }

        job.RunNumber = @event.RunNumber;
        job.Status = @event.Status;
        job.InFlight = !JobStatuses.IsTerminal(@event.Status);
        job.NotFoundSince = null;
        job.UpdatedAt = now;

        var error = JobStatuses.IsFailure(@event.Status) ? ErrorJson(@event) : null;
        var deactivate = job.Operation is JobOperations.DeactivateStack or JobOperations.DeactivateFeature or JobOperations.RemoveCustomDomain or JobOperations.Deprovision;
        var completedEnvironments = new HashSet<string>(StringComparer.Ordinal);
        foreach (var stack in stacks)
        {
            var flow = deactivate ? StackDeactivation : StackActivation;
            if (Apply(flow, stack.Status, stack.LastError, @event, error) is { } to)
            {
                stack.Status = to;
                stack.LastError = to == StackStatuses.Failed ? error : null;
                stack.UpdatedAt = now;
                if (to == StackStatuses.Deleted)
                {
                    stack.DeletedAt = now;
                    await db.FeatureActivations.Where(a => a.PlatformId == platformId && a.StackId == stack.Id && a.Status != ActivationStatuses.Inactive)
                        .ExecuteUpdateAsync(s => s.SetProperty(a => a.Status, ActivationStatuses.Inactive).SetProperty(a => a.DeactivatedAt, now).SetProperty(a => a.UpdatedAt, now), cancellationToken);
                }
                else if (to == StackStatuses.Active)
                {
                    await RetireDroppedFeaturesAsync(db, stack, now, cancellationToken);
                    completedEnvironments.Add(stack.Environment);
                }
            }
        }

        foreach (var activation in activations)
        {
            var flow = deactivate ? ActivationDeactivation : ActivationActivation;
            if (Apply(flow, activation.Status, activation.LastError, @event, error) is { } to)
            {
                activation.Status = to;
                activation.LastError = to == ActivationStatuses.Failed ? error : null;
                activation.UpdatedAt = now;
                if (to == ActivationStatuses.Active)
                {
                    activation.ActivatedAt = now;
                    activation.DeactivatedAt = null;
                    completedEnvironments.Add(activation.Environment);
                }
                else if (to == ActivationStatuses.Inactive)
                {
                    activation.DeactivatedAt = now;
                    completedEnvironments.Add(activation.Environment);
                }
            }
        }

        foreach (var domain in domains)
        {
            var flow = deactivate ? DomainRemoval : DomainAddition;
            if (Apply(flow, domain.Status, domain.LastError, @event, error) is { } to)
            {
                domain.Status = to;
                domain.LastError = to == CustomDomainStatuses.Failed ? error : null;
                domain.UpdatedAt = now;
                domain.ActivatedAt = to == CustomDomainStatuses.Active ? now : domain.ActivatedAt;
                domain.DeletedAt = to == CustomDomainStatuses.Removed ? now : domain.DeletedAt;
            }
        }

        foreach (var environment in environments)
        {
            var flow = deactivate ? EnvironmentRemoval : EnvironmentProvisioning;
            if (Apply(flow, environment.Status, environment.LastError, @event, error) is { } to)
            {
                environment.Status = to;
                environment.LastError = to == EnvironmentStatuses.Failed ? error : null;
                environment.UpdatedAt = now;
                environment.ProvisionedAt = to == EnvironmentStatuses.Active ? now : environment.ProvisionedAt;
            }
        }

        // A completed stack or feature job triggered a shell rebuild: the build watcher follows the environment (§2).
        if (job.Operation is JobOperations.ActivateStack or JobOperations.ActivateFeature or JobOperations.DeactivateFeature && completedEnvironments.Count > 0)
        {
            var envs = completedEnvironments.ToList();
            await db.BuildState.Where(b => b.PlatformId == platformId && envs.Contains(b.Environment))
                .ExecuteUpdateAsync(s => s.SetProperty(b => b.Status, BuildStatuses.Queued).SetProperty(b => b.UpdatedAt, now), cancellationToken);
        }

        if (JobStatuses.IsFailure(@event.Status))
        {
            QueueFailureNotices(uow, platformId, job, @event);
        }

        return Math.Max(matched, 1);
    }

    /// <summary>True when the event tells something not applied yet: a newer run, or a later status of the same run.</summary>
    private static bool IsNews(ProvisionJobRecord job, JobEvent @event)
    {
        if (@event.RunNumber < job.RunNumber)
        {
            return false;
        }

        if (@event.RunNumber > job.RunNumber)
        {
            return true;
        }

        if (job.Status == @event.Status)
        {
            return false;
        }

        // Within one run a terminal status is never overwritten by a late QUEUED/RUNNING; a rollback's end may follow FAILED.
        return !JobStatuses.IsTerminal(job.Status) || JobStatuses.IsTerminal(@event.Status);
    }

    /// <summary>How an object kind moves under one direction of job: the status while the job runs and the one it ends in.</summary>
    private sealed record Flow(string[] Waiting, string InFlight, string Target, string Failed);

    private static readonly Flow StackActivation = new([StackStatuses.Pending], StackStatuses.Provisioning, StackStatuses.Active, StackStatuses.Failed);
    private static readonly Flow StackDeactivation = new([], StackStatuses.Deprovisioning, StackStatuses.Deleted, StackStatuses.Failed);
    private static readonly Flow ActivationActivation = new([ActivationStatuses.Pending], ActivationStatuses.Provisioning, ActivationStatuses.Active, ActivationStatuses.Failed);
    private static readonly Flow ActivationDeactivation = new([], ActivationStatuses.Deactivating, ActivationStatuses.Inactive, ActivationStatuses.Failed);
    private static readonly Flow DomainAddition = new([], CustomDomainStatuses.Pending, CustomDomainStatuses.Active, CustomDomainStatuses.Failed);
    private static readonly Flow DomainRemoval = new([], CustomDomainStatuses.Removing, CustomDomainStatuses.Removed, CustomDomainStatuses.Failed);
    private static readonly Flow EnvironmentProvisioning = new([], EnvironmentStatuses.Provisioning, EnvironmentStatuses.Active, EnvironmentStatuses.Failed);
    private static readonly Flow EnvironmentRemoval = new([], EnvironmentStatuses.Removing, EnvironmentStatuses.Removed, EnvironmentStatuses.Failed);

    /// <summary>The status an object moves to under <paramref name="event"/>, or null for no change (§4.4's table).</summary>
    private static string? Apply(Flow flow, string status, string? lastError, JobEvent @event, string? error)
    {
        var waiting = flow.Waiting.Contains(status, StringComparer.Ordinal) || status == flow.InFlight;
        var failedEarlier = status == flow.Failed && @event.RunNumber > RunOf(lastError);
        switch (@event.Status)
        {
            case JobStatuses.Queued or JobStatuses.Running or JobStatuses.Pending:
                return (flow.Waiting.Contains(status, StringComparer.Ordinal) || failedEarlier) && status != flow.InFlight ? flow.InFlight : null;
            case JobStatuses.Completed:
                return waiting || failedEarlier ? flow.Target : null;
            default:
                // A failure: the object fails; an object already failed in this run keeps failing with the latest error.
                if (waiting || failedEarlier)
                {
                    return flow.Failed;
                }

                return status == flow.Failed && @event.RunNumber == RunOf(lastError) && error != lastError ? flow.Failed : null;
        }
    }

    /// <summary>An upgrade's completion: activations of features the resolved definition no longer lists become inactive (§3.6).</summary>
    private static async Task RetireDroppedFeaturesAsync(RegistryDbContext db, StackRecord stack, long now, CancellationToken cancellationToken)
    {
        var features = StackDefinitions.FeatureIdsOf(stack.Definition);
        if (features is null)
        {
            return;
        }

        var pid = stack.PlatformId;
        var sid = stack.Id;
        await db.FeatureActivations
            .Where(a => a.PlatformId == pid && a.StackId == sid && a.Source == ActivationSources.Stack && !features.Contains(a.FeatureId)
                && (a.Status == ActivationStatuses.Active || a.Status == ActivationStatuses.Provisioning || a.Status == ActivationStatuses.Pending))
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.Status, ActivationStatuses.Inactive).SetProperty(a => a.DeactivatedAt, now).SetProperty(a => a.UpdatedAt, now), cancellationToken);
    }

    /// <summary>The run number in a stored <c>last_error</c> (0 when none).</summary>
    public static int RunOf(string? lastError)
    {
        if (lastError is null)
        {
            return 0;
        }

        try
        {
            using var doc = JsonDocument.Parse(lastError);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("runNumber", out var run) && run.ValueKind == JsonValueKind.Number
                && run.TryGetInt32(out var value) ? value : 0;
        }
        catch (JsonException)
        {
            return 0;
        }
    }

    /// <summary><c>{code, message, runNumber}</c> of a failure event.</summary>
    public static string ErrorJson(JobEvent @event) => JsonSerializer.Serialize(
        new { code = @event.ErrorCode ?? "JOB_" + @event.Status, message = @event.ErrorMessage ?? $"The job ended {@event.Status}.", runNumber = @event.RunNumber },
        NnoJson.Options);

    private static string InferOperation(
        List<StackRecord> stacks, List<FeatureActivationRecord> activations, List<CustomDomainRecord> domains, List<PlatformEnvironmentRecord> environments, bool platformJob)
    {
        if (stacks.Count > 0)
        {
            return stacks[0].Status == StackStatuses.Deprovisioning ? JobOperations.DeactivateStack : JobOperations.ActivateStack;
        }

        if (activations.Count > 0)
        {
            return activations[0].Status == ActivationStatuses.Deactivating ? JobOperations.DeactivateFeature : JobOperations.ActivateFeature;
        }

        if (domains.Count > 0)
        {
            return domains[0].Status == CustomDomainStatuses.Removing ? JobOperations.RemoveCustomDomain : JobOperations.AddCustomDomain;
        }

        if (environments.Count > 0)
        {
            return environments[0].Status == EnvironmentStatuses.Removing ? JobOperations.Deprovision : JobOperations.ProvisionPlatform;
        }

        return platformJob ? JobOperations.Deprovision : JobOperations.ProvisionPlatform;
    }

    /// <summary><c>job_failed</c> to owners and admins; a dead-lettered job (<c>RETRIES_EXHAUSTED</c>) also <c>dead_letter</c> to operators.</summary>
    private static void QueueFailureNotices(RegistryUnitOfWork uow, string platformId, ProvisionJobRecord job, JobEvent @event)
    {
        var dedupe = $"job:{job.JobId}:{@event.RunNumber}:{@event.Status}";
        var data = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["jobId"] = job.JobId,
            ["operation"] = job.Operation,
            ["status"] = @event.Status,
            ["runNumber"] = @event.RunNumber,
        };
        if (@event.ErrorCode is { } code)
        {
            data["errorCode"] = code;
        }

        uow.AddOutbox(OutboxKinds.IamNotify, platformId, job.JobId, new { platformId, kind = "job_failed", audience = "admins", data, dedupeKey = dedupe });
        if (@event.ErrorCode == "RETRIES_EXHAUSTED")
        {
            uow.AddOutbox(OutboxKinds.IamNotify, platformId, job.JobId, new { platformId, kind = "dead_letter", audience = "operators", data, dedupeKey = "dlq:" + dedupe });
        }
    }
}

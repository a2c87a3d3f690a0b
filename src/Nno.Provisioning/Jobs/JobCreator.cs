using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Nno.Core.Errors;
using Nno.Core.Ids;
using Nno.Core.Json;
using Nno.Provisioning.Data;
using Nno.Provisioning.Outbox;
using Nno.Provisioning.Steps;

namespace Nno.Provisioning.Jobs;

/// <summary>A validated job request: type, keys, canonical payload and the caller.</summary>
internal sealed record JobRequest(
    string Type,
    string PlatformId,
    string? Environment,
    string TargetKey,
    string QueueKey,
    object Payload,
    string RequestedBy,
    string? RequestId,
    string? IdempotencyKey,
    string? EntityId = null,
    string? StackId = null,
    string? FeatureId = null,
    string? FeatureVersion = null,
    string? CustomDomainId = null);

/// <summary>
/// Creates jobs (provisioning.md §3, §4.1): coalescing onto a non-terminal job of the same type, target and request
/// hash; the per-platform hourly limit (429) and the backlog cap (503); the job and its planned steps in one
/// transaction (PENDING), then the queue send (QUEUED; PENDING stays for the sweeper if the send fails).
/// </summary>
internal sealed class JobCreator(
    ProvisioningDbContext db,
    JobStepsCatalog catalog,
    JobEnqueuer enqueuer,
    IIdGenerator ids,
    IOptions<ProvisioningOptions> options,
    TimeProvider time)
{
    public async Task<ProvisionJobRecord> CreateAsync(JobRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var payloadJson = JsonSerializer.Serialize(request.Payload, NnoJson.Options);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(request.Type + "\n" + payloadJson)));
        var active = JobStatuses.Active;

        // The same key of the same principal names the same job, even after the idempotency record expired.
        if (request.IdempotencyKey is { } key)
        {
            var keyed = await db.Jobs.AsNoTracking().FirstOrDefaultAsync(j => j.RequestedBy == request.RequestedBy && j.IdempotencyKey == key, cancellationToken);
            if (keyed is not null)
            {
                return keyed;
            }
        }

        var (type, target) = (request.Type, request.TargetKey);
        var coalesced = await db.Jobs.AsNoTracking()
            .Where(j => j.TargetKey == target && active.Contains(j.Status) && j.Type == type && j.RequestHash == hash)
            .OrderBy(j => j.CreatedAt).FirstOrDefaultAsync(cancellationToken);
        if (coalesced is not null)
        {
            return coalesced;
        }

        var limits = options.Value.Limits;
        if (await db.Jobs.CountAsync(j => active.Contains(j.Status), cancellationToken) >= limits.MaxBacklog)
        {
            throw ApiException.Unavailable("The provisioning backlog is full; try again later.", 60);
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var hourAgo = now - 3_600_000;
        var pid = request.PlatformId;
        var recent = await db.Jobs.AsNoTracking().Where(j => j.PlatformId == pid && j.CreatedAt > hourAgo)
            .OrderBy(j => j.CreatedAt).Select(j => j.CreatedAt).Take(limits.JobsPerPlatformPerHour).ToListAsync(cancellationToken);
        if (recent.Count >= limits.JobsPerPlatformPerHour)
        {
            var retryAfter = Math.Max(1, (int)Math.Ceiling((recent[0] + 3_600_000 - now) / 1000.0));
            var limited = new ApiException(ErrorCodes.RateLimited, $"More than {limits.JobsPerPlatformPerHour} jobs for this platform in an hour.");
            limited.Headers["Retry-After"] = retryAfter.ToString(CultureInfo.InvariantCulture);
            throw limited;
        }

        // A platform's jobs run in creation order (§4.5), which ties on created_at would leave to the random ids: a job
        // created in the same millisecond as the platform's latest one is stamped 1 ms after it.
        var latest = await db.Jobs.AsNoTracking().Where(j => j.PlatformId == pid).MaxAsync(j => (long?)j.CreatedAt, cancellationToken);
        var createdAt = latest is { } last && last >= now ? last + 1 : now;

        var jobSteps = catalog.For(type);
        using var payloadDoc = JsonDocument.Parse(payloadJson);
        var planned = jobSteps.Plan(new JobPlanInput(type, pid, request.Environment, payloadDoc.RootElement));
        var job = new ProvisionJobRecord
        {
            Id = ids.NewPrefixedId("job"),
            Type = type,
            Status = JobStatuses.Pending,
            PlatformId = pid,
            Environment = request.Environment,
            EntityId = request.EntityId,
            StackId = request.StackId,
            FeatureId = request.FeatureId,
            FeatureVersion = request.FeatureVersion,
            CustomDomainId = request.CustomDomainId,
            TargetKey = target,
            QueueKey = request.QueueKey,
            PayloadJson = payloadJson,
            RequestHash = hash,
            IdempotencyKey = request.IdempotencyKey,
            Phase = JobPhases.Forward,
            Irreversible = jobSteps.IrreversibleFromStart,
            NextRunAt = now,
            EnqueuePending = true,
            RequestedBy = request.RequestedBy,
            RequestId = request.RequestId,
            CreatedAt = createdAt,
            UpdatedAt = now,
        };
        db.Jobs.Add(job);
        var seq = 1;
        foreach (var step in planned)
        {
            db.Steps.Add(new ProvisionStepRecord
            {
                JobId = job.Id,
                Seq = seq++,
                Name = step.Name,
                Status = StepStatuses.Pending,
                ResourceKind = step.ResourceKind,
                ResourceName = step.ResourceName,
            });
        }

        await db.SaveChangesAsync(cancellationToken);
        await enqueuer.SendPendingAsync(job.Id, cancellationToken);
        return job;
    }

    /// <summary>
    /// The precondition of P3–P9: a PROVISION_PLATFORM for the platform (for <paramref name="environment"/> when given)
    /// that is COMPLETED or still in flight, with no DEPROVISION_PLATFORM requested after it.
    /// </summary>
    public async Task RequireProvisionedAsync(string platformId, string? environment, CancellationToken cancellationToken)
    {
        var live = new[] { JobStatuses.Completed, JobStatuses.Pending, JobStatuses.Queued, JobStatuses.Running };
        var provision = await db.Jobs.AsNoTracking()
            .Where(j => j.PlatformId == platformId && j.Type == JobTypes.ProvisionPlatform && live.Contains(j.Status) && (environment == null || j.Environment == environment))
            .OrderByDescending(j => j.CreatedAt).Select(j => new { j.CreatedAt, j.Environment }).FirstOrDefaultAsync(cancellationToken);
        var deprovisioned = provision is not null && await db.Jobs.AsNoTracking().AnyAsync(
            j => j.PlatformId == platformId && j.Type == JobTypes.DeprovisionPlatform && j.CreatedAt >= provision.CreatedAt
                && (j.Environment == null || j.Environment == provision.Environment),
            cancellationToken);
        if (provision is null || deprovisioned)
        {
            throw new ApiException(ErrorCodes.Conflict, "The platform is not provisioned" + (environment is null ? "." : $" in {environment}."), new { reason = "platform_not_provisioned" });
        }
    }
}

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Nno.Core.Errors;
using Nno.Core.Naming;
using Nno.Core.Platforms;
using Nno.Registry.Access;
using Nno.Registry.Data;
using Nno.Registry.Entities;
using Nno.Registry.Features;
using Nno.Registry.Objects;
using Nno.Registry.Outbox;
using Nno.Registry.Platforms;
using Nno.Registry.Provisioning;
using Nno.Registry.Stacks;
using Nno.ServiceDefaults.RequestContext;

namespace Nno.Registry.Environments;

/// <summary>Body of <c>POST /{pid}/environments</c>.</summary>
internal sealed record ProvisionEnvironmentRequest
{
    public string? Environment { get; init; }
}

/// <summary>
/// Environment writes of registry.md §3.4. The POST inserts or resets the row (<c>provisioning</c>, attempt + 1) in a
/// transaction, then calls Provisioning P1 synchronously outside it with <c>Idempotency-Key: env:{pid}:{env}:{n}</c> (n =
/// earlier attempts) and stores the job id; a P1 failure leaves the row <c>failed</c> with <c>last_error</c> and answers
/// 502/504, and a later POST starts again. DELETE queues a deprovision of that environment with <c>purgeData: true</c>.
/// </summary>
internal static class EnvironmentsApi
{
    public static IEndpointRouteBuilder MapEnvironmentWrites(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(PlatformsApi.Path + "/{pid:pid}/environments").WithTags("Environments");
        group.MapPost("", ProvisionAsync)
            .WithName("ProvisionEnvironment").WithSummary("Provision dev, stg or prod (202 provisioning with the job id of a PROVISION_PLATFORM job).");
        group.MapDelete("/{env}", RemoveAsync)
            .WithName("RemoveEnvironment").WithSummary("Remove dev or stg and its data (202 removing); refused while a stack or activation uses it.");
        return app;
    }

    private static async Task<Accepted<EnvironmentView>> ProvisionAsync(
        string pid, ProvisionEnvironmentRequest body, HttpContext context, PlatformAccess access, IServiceProvider services, ProvisioningClient provisioning,
        HostnameBuilder hostnames, CancellationToken cancellationToken)
    {
        var grant = await access.RequireAsync(context, pid, AccessNeed.Manage, cancellationToken);
        PlatformStatusGate.RequireWritable(grant);
        if (!PlatformEnvironments.IsValid(body.Environment))
        {
            throw ApiException.Validation("environment", "must be dev, stg or prod");
        }

        var environment = body.Environment!;
        string key;
        ProvisionPlatformBody call;
        await using (var uow = services.GetRequiredService<RegistryUnitOfWork>())
        {
            var db = uow.Db;
            await uow.BeginAsync(cancellationToken);
            var platform = await db.Platforms.AsNoTracking().FirstAsync(p => p.Id == pid, cancellationToken);
            PlatformStatusGate.RequireWritable(grant with { Platform = platform });
            if (platform.Status != PlatformStatuses.Active)
            {
                throw new ApiException(ErrorCodes.InvalidTransition, $"The platform is {platform.Status}; environments are added to active platforms.",
                    new { currentStatus = platform.Status, requested = "provision_environment", allowed = new[] { PlatformStatuses.Active } });
            }

            var rows = await db.Environments.Where(e => e.PlatformId == pid).ToListAsync(cancellationToken);
            if (rows.FirstOrDefault(e => e.Status == EnvironmentStatuses.Provisioning) is { } running)
            {
                throw new ApiException(ErrorCodes.Conflict, $"The {running.Environment} environment is being provisioned; wait for it.",
                    new { reason = "in_progress", environment = running.Environment });
            }

            var row = rows.FirstOrDefault(e => e.Environment == environment);
            if (row is not null && row.Status is not (EnvironmentStatuses.Failed or EnvironmentStatuses.Removed))
            {
                throw new ApiException(ErrorCodes.Conflict, $"The {environment} environment is {row.Status}.", new { reason = "already_provisioned", status = row.Status });
            }

            var now = uow.Now;
            if (row is null)
            {
                row = new PlatformEnvironmentRecord { PlatformId = pid, Environment = environment, Status = EnvironmentStatuses.Provisioning, CreatedAt = now };
                db.Environments.Add(row);
            }

            var attempt = row.ProvisionAttempts;
            row.ProvisionAttempts = attempt + 1;
            row.Status = EnvironmentStatuses.Provisioning;
            row.ProvisionJobId = null;
            row.LastError = null;
            row.UpdatedAt = now;
            uow.AddAudit(grant.Caller, "environment.provision_requested", pid, "environment", environment, new { attempt = attempt + 1 });

            var defaultEntity = await db.Entities.AsNoTracking().Where(e => e.PlatformId == pid && e.IsDefault).Select(e => e.Id).FirstOrDefaultAsync(cancellationToken);
            var email = await db.OnboardingSessions.AsNoTracking().Where(o => o.PlatformId == pid).Select(o => o.BillingEmail).FirstOrDefaultAsync(cancellationToken);
            call = new ProvisionPlatformBody(pid, platform.Tier, email ?? $"billing+{pid}@{hostnames.CoreDomain}", defaultEntity, environment);
            key = $"env:{pid}:{environment}:{attempt}";
            await uow.CommitAsync(cancellationToken);
        }

        string jobId;
        try
        {
            jobId = await provisioning.ProvisionPlatformAsync(call, key, ProvisioningCallContext.From(context.GetRequestIds(), grant.Caller.UserId), cancellationToken);
        }
        catch (ApiException ex) when (ex.Code is ErrorCodes.BadGateway or ErrorCodes.UpstreamTimeout)
        {
            await SettleAsync(services, pid, environment, null, ErrorJson(ex), cancellationToken);
            throw;
        }

        var settled = await SettleAsync(services, pid, environment, jobId, null, cancellationToken);
        return TypedResults.Accepted((string?)null, EnvironmentView.From(settled));
    }

    private static async Task<Accepted<EnvironmentView>> RemoveAsync(
        string pid, string env, HttpContext context, PlatformAccess access, RegistryUnitOfWork uow, CancellationToken cancellationToken)
    {
        var grant = await access.RequireAsync(context, pid, AccessNeed.Manage, cancellationToken);
        PlatformStatusGate.RequireWritable(grant);
        if (!PlatformEnvironments.IsValid(env))
        {
            throw ApiException.NotFound("environment");
        }

        if (env == PlatformEnvironments.Prod)
        {
            throw ApiException.Validation("env", "prod goes only with the platform (dev or stg)");
        }

        var db = uow.Db;
        await uow.BeginAsync(cancellationToken);
        var row = await db.Environments.FirstOrDefaultAsync(e => e.PlatformId == pid && e.Environment == env, cancellationToken) ?? throw ApiException.NotFound("environment");
        if (row.Status is not (EnvironmentStatuses.Active or EnvironmentStatuses.Failed))
        {
            throw new ApiException(ErrorCodes.InvalidTransition, $"The environment is {row.Status}.",
                new { currentStatus = row.Status, requested = EnvironmentStatuses.Removing, allowed = new[] { EnvironmentStatuses.Removing } });
        }

        var stacks = await db.Stacks.CountAsync(s => s.PlatformId == pid && s.Environment == env && s.DeletedAt == null && !s.IsDefault, cancellationToken);
        var activations = await db.FeatureActivations.CountAsync(a => a.PlatformId == pid && a.Environment == env && a.Status != ActivationStatuses.Inactive, cancellationToken);
        if (stacks > 0 || activations > 0)
        {
            throw new ApiException(ErrorCodes.Conflict, "Stacks or feature activations still use this environment.", new { reason = "environment_in_use", stacks, activations });
        }

        row.Status = EnvironmentStatuses.Removing;
        row.LastError = null;
        row.UpdatedAt = uow.Now;
        uow.AddAudit(grant.Caller, "environment.removal_requested", pid, "environment", env);
        uow.AddOutbox(OutboxKinds.ProvisioningDeprovision, pid, pid, new { platformId = pid, environment = env, reason = "environment_removed", purgeData = true });
        await uow.CommitAsync(cancellationToken);
        return TypedResults.Accepted((string?)null, EnvironmentView.From(row));
    }

    /// <summary>Records P1's outcome: the job id (and its <c>provision_jobs</c> row), or <c>failed</c> with the error.</summary>
    private static async Task<PlatformEnvironmentRecord> SettleAsync(IServiceProvider services, string pid, string environment, string? jobId, string? error, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        await using var uow = scope.ServiceProvider.GetRequiredService<RegistryUnitOfWork>();
        var db = uow.Db;
        await uow.BeginAsync(cancellationToken);
        var row = await db.Environments.FirstAsync(e => e.PlatformId == pid && e.Environment == environment, CancellationToken.None);
        var now = uow.Now;
        if (row.Status == EnvironmentStatuses.Provisioning && row.ProvisionJobId is null)
        {
            row.ProvisionJobId = jobId;
            row.Status = jobId is null ? EnvironmentStatuses.Failed : EnvironmentStatuses.Provisioning;
            row.LastError = error;
            row.UpdatedAt = now;
        }

        if (jobId is not null && !await db.ProvisionJobs.AnyAsync(j => j.JobId == jobId, CancellationToken.None))
        {
            db.ProvisionJobs.Add(new ProvisionJobRecord
            {
                JobId = jobId, PlatformId = pid, Operation = JobOperations.ProvisionPlatform, TargetId = environment, InFlight = true, CreatedAt = now, UpdatedAt = now,
            });
        }

        // Not cancelled by the caller going away: the job exists and must be recorded.
        await uow.CommitAsync(CancellationToken.None);
        return row;
    }

    private static string ErrorJson(ApiException ex) => System.Text.Json.JsonSerializer.Serialize(
        new { code = ex.Code, message = ex.Message, runNumber = (int?)null }, Core.Json.NnoJson.Options);
}

using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Json;
using Nno.Registry.Data;
using Nno.Registry.Environments;
using Nno.Registry.Features;
using Nno.Registry.Outbox;
using Nno.Registry.Resources;
using Nno.Registry.Stacks;

namespace Nno.Registry.Provisioning;

/// <summary>
/// The shared shape of the <c>provisioning.*</c> senders (registry.md §4.2, §5): send the call with
/// <c>Idempotency-Key: {outboxId}</c>; on 202 validate the job id and, in the transaction that completes the row, record it
/// on the object(s) (pending → in flight) and in <c>provision_jobs</c>; on a permanent refusal mark the object(s)
/// <c>failed</c> with <c>{code, message, runNumber: null}</c> (e.g. 409 <c>platform_not_provisioned</c>); transient answers
/// retry. A 404 is never "done" here: every Provisioning job call creates a job, so a 404 is a missing route.
/// </summary>
internal abstract class ProvisioningSender(TimeProvider time) : IOutboxSender
{
    public abstract string Kind { get; }

    /// <summary>The job operation recorded in <c>provision_jobs</c>.</summary>
    protected abstract string Operation { get; }

    public async Task<OutboxSendResult> SendAsync(OutboxRecord row, CancellationToken cancellationToken)
    {
        var payload = OutboxPayload.Of(row);
        var call = await CallAsync(row, payload, cancellationToken);
        if (call is null)
        {
            // The object is gone or no longer waits for this call (e.g. purged): nothing to send.
            return OutboxSendResult.Done();
        }

        using var response = call;
        var answer = await OutboxHttp.ClassifyAsync(response, doneResource: null, time, cancellationToken);
        if (answer.Outcome == OutboxHttpOutcome.Success)
        {
            var jobId = await ProvisioningClient.JobIdOfAsync(response, cancellationToken);
            if (jobId is null)
            {
                const string problem = "Provisioning's answer has no valid job id";
                return OutboxSendResult.Failed(problem, Fail(row, payload, "REGISTRY_REJECTED", problem));
            }

            var now = Now();
            return OutboxSendResult.Done(async (db, token) =>
            {
                if (!await db.ProvisionJobs.AnyAsync(j => j.JobId == jobId, token))
                {
                    db.ProvisionJobs.Add(new ProvisionJobRecord
                    {
                        JobId = jobId,
                        PlatformId = row.PlatformId,
                        Operation = Operation,
                        TargetId = row.TargetId,
                        InFlight = true,
                        CreatedAt = now,
                        UpdatedAt = now,
                    });
                }

                await RecordJobAsync(db, row, payload, jobId, now, token);
            });
        }

        if (answer.Outcome == OutboxHttpOutcome.Transient)
        {
            return OutboxHttp.ToResult(answer);
        }

        var code = answer.Reason ?? answer.Code ?? "PROVISIONING_REJECTED";
        return OutboxSendResult.Failed(answer.Error, Fail(row, payload, code, answer.Error));
    }

    /// <summary>Sends the call, or returns null when there is nothing to send.</summary>
    protected abstract Task<HttpResponseMessage?> CallAsync(OutboxRecord row, OutboxPayload payload, CancellationToken cancellationToken);

    /// <summary>Stores the job id on the object(s) and moves them in flight.</summary>
    protected abstract Task RecordJobAsync(RegistryDbContext db, OutboxRecord row, OutboxPayload payload, string jobId, long now, CancellationToken cancellationToken);

    /// <summary>Marks the object(s) failed with <paramref name="errorJson"/>.</summary>
    protected abstract Task MarkFailedAsync(RegistryDbContext db, OutboxRecord row, OutboxPayload payload, string errorJson, long now, CancellationToken cancellationToken);

    protected long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>The ids in the payload's <paramref name="name"/> array (a version change moves several activations in one job).</summary>
    protected static List<string> Ids(OutboxPayload payload, string name, string? fallback)
    {
        var ids = new List<string>();
        if (payload.Element(name) is { ValueKind: JsonValueKind.Array } array)
        {
            ids.AddRange(array.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!));
        }

        if (ids.Count == 0 && fallback is not null)
        {
            ids.Add(fallback);
        }

        return ids;
    }

    private Func<RegistryDbContext, CancellationToken, Task> Fail(OutboxRecord row, OutboxPayload payload, string code, string message)
    {
        var now = Now();
        var error = JsonSerializer.Serialize(new { code, message = message.Length > 1000 ? message[..1000] : message, runNumber = (int?)null }, NnoJson.Options);
        return (db, token) => MarkFailedAsync(db, row, payload, error, now, token);
    }
}

/// <summary><c>provisioning.activate_stack</c> → P6 (also a template upgrade of an active stack).</summary>
internal sealed class ActivateStackSender(ProvisioningClient provisioning, RegistryDbContext db, TimeProvider time) : ProvisioningSender(time)
{
    public override string Kind => OutboxKinds.ProvisioningActivateStack;

    protected override string Operation => JobOperations.ActivateStack;

    protected override async Task<HttpResponseMessage?> CallAsync(OutboxRecord row, OutboxPayload payload, CancellationToken cancellationToken)
    {
        var stack = await db.Stacks.AsNoTracking().FirstOrDefaultAsync(s => s.PlatformId == row.PlatformId && s.Id == row.TargetId, cancellationToken);
        if (stack is null || stack.DeletedAt is not null)
        {
            return null;
        }

        // Path A names the template (Provisioning resolves it when the job runs); Path B sends the custom definition.
        var definition = payload.Element("definition") is { ValueKind: JsonValueKind.Object } given ? given : (JsonElement?)null;
        var body = new ActivateStackBody(row.PlatformId, stack.Id, stack.EntityId, stack.Environment,
            definition is null ? payload.String("templateName") : null, definition is null ? payload.String("templateVersion") : null, definition);
        return await provisioning.ActivateStackAsync(body, row.Id, cancellationToken);
    }

    protected override Task RecordJobAsync(RegistryDbContext context, OutboxRecord row, OutboxPayload payload, string jobId, long now, CancellationToken cancellationToken) =>
        context.Stacks.Where(s => s.PlatformId == row.PlatformId && s.Id == row.TargetId && (s.Status == StackStatuses.Pending || s.Status == StackStatuses.Provisioning))
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.ProvisionJobId, jobId).SetProperty(x => x.Status, StackStatuses.Provisioning).SetProperty(x => x.UpdatedAt, now), cancellationToken);

    protected override Task MarkFailedAsync(RegistryDbContext context, OutboxRecord row, OutboxPayload payload, string errorJson, long now, CancellationToken cancellationToken) =>
        context.Stacks.Where(s => s.PlatformId == row.PlatformId && s.Id == row.TargetId && (s.Status == StackStatuses.Pending || s.Status == StackStatuses.Provisioning))
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, StackStatuses.Failed).SetProperty(x => x.LastError, errorJson).SetProperty(x => x.UpdatedAt, now), cancellationToken);
}

/// <summary><c>provisioning.deactivate_stack</c> → P7.</summary>
internal sealed class DeactivateStackSender(ProvisioningClient provisioning, TimeProvider time) : ProvisioningSender(time)
{
    public override string Kind => OutboxKinds.ProvisioningDeactivateStack;

    protected override string Operation => JobOperations.DeactivateStack;

    protected override async Task<HttpResponseMessage?> CallAsync(OutboxRecord row, OutboxPayload payload, CancellationToken cancellationToken) =>
        await provisioning.DeactivateStackAsync(
            new DeactivateStackBody(row.PlatformId, row.TargetId!, payload.Element("deleteData") is { ValueKind: JsonValueKind.True }), row.Id, cancellationToken);

    protected override Task RecordJobAsync(RegistryDbContext context, OutboxRecord row, OutboxPayload payload, string jobId, long now, CancellationToken cancellationToken) =>
        context.Stacks.Where(s => s.PlatformId == row.PlatformId && s.Id == row.TargetId && s.Status == StackStatuses.Deprovisioning)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.ProvisionJobId, jobId).SetProperty(x => x.UpdatedAt, now), cancellationToken);

    protected override Task MarkFailedAsync(RegistryDbContext context, OutboxRecord row, OutboxPayload payload, string errorJson, long now, CancellationToken cancellationToken) =>
        context.Stacks.Where(s => s.PlatformId == row.PlatformId && s.Id == row.TargetId && s.Status == StackStatuses.Deprovisioning)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, StackStatuses.Failed).SetProperty(x => x.LastError, errorJson).SetProperty(x => x.UpdatedAt, now), cancellationToken);
}

/// <summary><c>provisioning.activate_feature</c> → P4, for one activation or every live activation of a (stack, feature, environment).</summary>
internal sealed class ActivateFeatureSender(ProvisioningClient provisioning, TimeProvider time) : ProvisioningSender(time)
{
    public override string Kind => OutboxKinds.ProvisioningActivateFeature;

    protected override string Operation => JobOperations.ActivateFeature;

    protected override async Task<HttpResponseMessage?> CallAsync(OutboxRecord row, OutboxPayload payload, CancellationToken cancellationToken)
    {
        var config = payload.Element("config") is { ValueKind: JsonValueKind.Object } given ? given : JsonSerializer.SerializeToElement(new { });
        var body = new ActivateFeatureBody(row.PlatformId, payload.String("entityId")!, payload.String("stackId")!, payload.String("featureId")!,
            payload.String("featureVersion")!, payload.String("environment")!, config);
        return await provisioning.ActivateFeatureAsync(body, row.Id, cancellationToken);
    }

    protected override Task RecordJobAsync(RegistryDbContext context, OutboxRecord row, OutboxPayload payload, string jobId, long now, CancellationToken cancellationToken)
    {
        var ids = Ids(payload, "activationIds", row.TargetId);
        return context.FeatureActivations.Where(a => a.PlatformId == row.PlatformId && ids.Contains(a.Id)
                && (a.Status == ActivationStatuses.Pending || a.Status == ActivationStatuses.Provisioning))
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.ProvisionJobId, jobId).SetProperty(x => x.Status, ActivationStatuses.Provisioning).SetProperty(x => x.UpdatedAt, now), cancellationToken);
    }

    protected override Task MarkFailedAsync(RegistryDbContext context, OutboxRecord row, OutboxPayload payload, string errorJson, long now, CancellationToken cancellationToken)
    {
        var ids = Ids(payload, "activationIds", row.TargetId);
        return context.FeatureActivations.Where(a => a.PlatformId == row.PlatformId && ids.Contains(a.Id)
                && (a.Status == ActivationStatuses.Pending || a.Status == ActivationStatuses.Provisioning))
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, ActivationStatuses.Failed).SetProperty(x => x.LastError, errorJson).SetProperty(x => x.UpdatedAt, now), cancellationToken);
    }
}

/// <summary><c>provisioning.deactivate_feature</c> → P5.</summary>
internal sealed class DeactivateFeatureSender(ProvisioningClient provisioning, TimeProvider time) : ProvisioningSender(time)
{
    public override string Kind => OutboxKinds.ProvisioningDeactivateFeature;

    protected override string Operation => JobOperations.DeactivateFeature;

    protected override async Task<HttpResponseMessage?> CallAsync(OutboxRecord row, OutboxPayload payload, CancellationToken cancellationToken)
    {
        var body = new DeactivateFeatureBody(row.PlatformId, payload.String("entityId")!, payload.String("stackId")!, payload.String("featureId")!,
            payload.String("environment")!, payload.Element("deleteData") is { ValueKind: JsonValueKind.True });
        return await provisioning.DeactivateFeatureAsync(body, row.Id, cancellationToken);
    }

    protected override Task RecordJobAsync(RegistryDbContext context, OutboxRecord row, OutboxPayload payload, string jobId, long now, CancellationToken cancellationToken) =>
        context.FeatureActivations.Where(a => a.PlatformId == row.PlatformId && a.Id == row.TargetId && a.Status == ActivationStatuses.Deactivating)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.ProvisionJobId, jobId).SetProperty(x => x.UpdatedAt, now), cancellationToken);

    protected override Task MarkFailedAsync(RegistryDbContext context, OutboxRecord row, OutboxPayload payload, string errorJson, long now, CancellationToken cancellationToken) =>
        context.FeatureActivations.Where(a => a.PlatformId == row.PlatformId && a.Id == row.TargetId && a.Status == ActivationStatuses.Deactivating)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, ActivationStatuses.Failed).SetProperty(x => x.LastError, errorJson).SetProperty(x => x.UpdatedAt, now), cancellationToken);
}

/// <summary><c>provisioning.add_custom_domain</c> → P8.</summary>
internal sealed class AddCustomDomainSender(ProvisioningClient provisioning, RegistryDbContext db, TimeProvider time) : ProvisioningSender(time)
{
    public override string Kind => OutboxKinds.ProvisioningAddCustomDomain;

    protected override string Operation => JobOperations.AddCustomDomain;

    protected override async Task<HttpResponseMessage?> CallAsync(OutboxRecord row, OutboxPayload payload, CancellationToken cancellationToken)
    {
        var domain = await db.CustomDomains.AsNoTracking().FirstOrDefaultAsync(d => d.PlatformId == row.PlatformId && d.Id == row.TargetId, cancellationToken);
        return domain is null || domain.Status != CustomDomainStatuses.Pending
            ? null
            : await provisioning.AddCustomDomainAsync(new AddCustomDomainBody(row.PlatformId, domain.Id, domain.Domain, domain.TargetHostname), row.Id, cancellationToken);
    }

    protected override Task RecordJobAsync(RegistryDbContext context, OutboxRecord row, OutboxPayload payload, string jobId, long now, CancellationToken cancellationToken) =>
        context.CustomDomains.Where(d => d.PlatformId == row.PlatformId && d.Id == row.TargetId && d.Status == CustomDomainStatuses.Pending)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.ProvisionJobId, jobId).SetProperty(x => x.UpdatedAt, now), cancellationToken);

    protected override Task MarkFailedAsync(RegistryDbContext context, OutboxRecord row, OutboxPayload payload, string errorJson, long now, CancellationToken cancellationToken) =>
        context.CustomDomains.Where(d => d.PlatformId == row.PlatformId && d.Id == row.TargetId && d.Status == CustomDomainStatuses.Pending)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, CustomDomainStatuses.Failed).SetProperty(x => x.LastError, errorJson).SetProperty(x => x.UpdatedAt, now), cancellationToken);
}

/// <summary><c>provisioning.remove_custom_domain</c> → P9.</summary>
internal sealed class RemoveCustomDomainSender(ProvisioningClient provisioning, TimeProvider time) : ProvisioningSender(time)
{
    public override string Kind => OutboxKinds.ProvisioningRemoveCustomDomain;

    protected override string Operation => JobOperations.RemoveCustomDomain;

    protected override async Task<HttpResponseMessage?> CallAsync(OutboxRecord row, OutboxPayload payload, CancellationToken cancellationToken) =>
        await provisioning.RemoveCustomDomainAsync(new RemoveCustomDomainBody(row.PlatformId, row.TargetId!), row.Id, cancellationToken);

    protected override Task RecordJobAsync(RegistryDbContext context, OutboxRecord row, OutboxPayload payload, string jobId, long now, CancellationToken cancellationToken) =>
        context.CustomDomains.Where(d => d.PlatformId == row.PlatformId && d.Id == row.TargetId && d.Status == CustomDomainStatuses.Removing)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.ProvisionJobId, jobId).SetProperty(x => x.UpdatedAt, now), cancellationToken);

    protected override Task MarkFailedAsync(RegistryDbContext context, OutboxRecord row, OutboxPayload payload, string errorJson, long now, CancellationToken cancellationToken) =>
        context.CustomDomains.Where(d => d.PlatformId == row.PlatformId && d.Id == row.TargetId && d.Status == CustomDomainStatuses.Removing)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, CustomDomainStatuses.Failed).SetProperty(x => x.LastError, errorJson).SetProperty(x => x.UpdatedAt, now), cancellationToken);
}

/// <summary>
/// <c>provisioning.deprovision</c> → P2: the whole platform (delete, purge; job id in <c>platforms.deprovision_job_id</c>) or
/// one environment (<c>DELETE /environments/{env}</c>; job id on that environment's row).
/// </summary>
internal sealed class DeprovisionSender(ProvisioningClient provisioning, TimeProvider time) : ProvisioningSender(time)
{
    public override string Kind => OutboxKinds.ProvisioningDeprovision;

    protected override string Operation => JobOperations.Deprovision;

    protected override async Task<HttpResponseMessage?> CallAsync(OutboxRecord row, OutboxPayload payload, CancellationToken cancellationToken)
    {
        var body = new DeprovisionBody(row.PlatformId, payload.String("environment"), payload.String("reason") ?? "deleted",
            payload.Element("purgeData") is { ValueKind: JsonValueKind.True });
        return await provisioning.DeprovisionAsync(body, row.Id, cancellationToken);
    }

    protected override Task RecordJobAsync(RegistryDbContext context, OutboxRecord row, OutboxPayload payload, string jobId, long now, CancellationToken cancellationToken)
    {
        if (payload.String("environment") is { } environment)
        {
            return context.Environments.Where(e => e.PlatformId == row.PlatformId && e.Environment == environment && e.Status == EnvironmentStatuses.Removing)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.ProvisionJobId, jobId).SetProperty(x => x.UpdatedAt, now), cancellationToken);
        }

        return context.Platforms.Where(p => p.Id == row.PlatformId).ExecuteUpdateAsync(s => s.SetProperty(x => x.DeprovisionJobId, jobId), cancellationToken);
    }

    protected override Task MarkFailedAsync(RegistryDbContext context, OutboxRecord row, OutboxPayload payload, string errorJson, long now, CancellationToken cancellationToken)
    {
        if (payload.String("environment") is { } environment)
        {
            return context.Environments.Where(e => e.PlatformId == row.PlatformId && e.Environment == environment && e.Status == EnvironmentStatuses.Removing)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, EnvironmentStatuses.Failed).SetProperty(x => x.LastError, errorJson).SetProperty(x => x.UpdatedAt, now), cancellationToken);
        }

        // The platform has no failed status; the row's last_error and the error log carry the refusal.
        return Task.CompletedTask;
    }
}

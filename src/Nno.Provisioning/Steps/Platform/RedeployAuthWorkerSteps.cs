using System.Text.Json.Nodes;
using Nno.Provisioning.Data;
using Nno.Provisioning.Jobs;
using Nno.Provisioning.Outbox;
using Nno.Provisioning.Steps.Common;
using Nno.Provisioning.Steps.Platform;

namespace Nno.Provisioning.Steps;

/// <summary>
/// REDEPLOY_AUTH_WORKER (§4.2): new auth migrations, the current bundle (the version it replaces kept in
/// <c>output_json</c>, which the undo re-uploads), missing secrets last (no undo; with <c>rotateSecrets</c> a new
/// <c>BETTER_AUTH_SECRET</c>). The per-platform binding values come from the auth Worker's ledger row.
/// </summary>
internal sealed class RedeployAuthWorkerSteps : IJobSteps
{
    public string JobType => JobTypes.RedeployAuthWorker;

    public IReadOnlyList<PlannedStep> Plan(JobPlanInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var worker = StepNames.AuthWorker(input.PlatformId, input.Environment!);
        return [new("migrate_auth_d1"), new("upload_auth_worker", ResourceKinds.Worker, worker), new("ensure_auth_secrets", ResourceKinds.WorkerSecret, worker)];
    }

    public Task<StepOutcome> RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var kit = PlatformStepKit.For(context);
        return context.Step.Name switch
        {
            "migrate_auth_d1" => MigrateAsync(kit, cancellationToken),
            "upload_auth_worker" => UploadAsync(kit, cancellationToken),
            "ensure_auth_secrets" => EnsureSecretsAsync(kit, cancellationToken),
            _ => throw new InvalidOperationException($"REDEPLOY_AUTH_WORKER has no step {context.Step.Name}."),
        };
    }

    public Task<StepOutcome> UndoAsync(StepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Step.Name == "upload_auth_worker"
            ? ReuploadPreviousAsync(PlatformStepKit.For(context), cancellationToken)
            // Migrations are forward-only; secrets have no undo (hence last).
            : Task.FromResult(StepOutcome.Skipped);
    }

    private static async Task<StepOutcome> MigrateAsync(PlatformStepKit kit, CancellationToken ct)
    {
        var database = await kit.RequireLedgerAsync(ResourceKinds.D1, kit.AuthDatabaseName, ct);
        var result = await kit.Migrations.ApplyAsync(database.CfId, kit.Catalogue.AuthMigrations, trackingPrefix: null, ct);
        kit.Context.Output["applied"] = new JsonArray([.. result.Applied.Select(a => (JsonNode?)a)]);
        return StepOutcome.Done;
    }

    private static async Task<StepOutcome> UploadAsync(PlatformStepKit kit, CancellationToken ct)
    {
        var context = kit.Context;
        var worker = await kit.RequireLedgerAsync(ResourceKinds.Worker, kit.AuthWorkerName, ct);
        var database = await kit.RequireLedgerAsync(ResourceKinds.D1, kit.AuthDatabaseName, ct);
        if (context.Output["previousVersion"] is null)
        {
            // Kept before the upload, so the undo knows what to restore even when the upload's answer is lost.
            context.Output["previousVersion"] = PlatformStepKit.Meta(worker, "bundleVersion") ?? kit.Catalogue.AuthWorker.Version;
            context.Output[UndoMarker.Key] = true;
            await context.SaveAsync(ct);
        }

        var values = kit.AuthValues(database.CfId, PlatformStepKit.Meta(worker, "defaultEntityId"), PlatformStepKit.Meta(worker, "planTier") ?? "starter");
        var bundle = kit.AuthBundle;
        await kit.UploadAuthWorkerAsync(bundle, values, ct);
        context.Output["version"] = bundle.Version;
        await context.RecordResourceAsync(
            new LedgerEntry(ResourceKinds.Worker, worker.Name, worker.CfId, worker.Environment, worker.StackId, MetaJson: PlatformStepKit.AuthWorkerMeta(bundle.Version, values)),
            createdByJob: false,
            null,
            ct);
        return StepOutcome.Done;
    }

    private static async Task<StepOutcome> ReuploadPreviousAsync(PlatformStepKit kit, CancellationToken ct)
    {
        var context = kit.Context;
        if ((string?)context.Output["previousVersion"] is not { } previous)
        {
            // Nothing was uploaded.
            return StepOutcome.Skipped;
        }

        var bundle = kit.Catalogue.FindAuthWorker(previous)
            ?? throw StepFailureException.Permanent(JobErrorCodes.FeatureBundleNotFound, $"The previous auth Worker bundle {previous} is no longer shipped; the current one stays.");
        var worker = await kit.RequireLedgerAsync(ResourceKinds.Worker, kit.AuthWorkerName, ct);
        var database = await kit.RequireLedgerAsync(ResourceKinds.D1, kit.AuthDatabaseName, ct);
        var values = kit.AuthValues(database.CfId, PlatformStepKit.Meta(worker, "defaultEntityId"), PlatformStepKit.Meta(worker, "planTier") ?? "starter");
        await kit.UploadAuthWorkerAsync(bundle, values, ct);
        worker.MetaJson = PlatformStepKit.AuthWorkerMeta(bundle.Version, values);
        worker.UpdatedAt = context.Now;
        context.Output["restoredVersion"] = bundle.Version;
        await context.SaveAsync(ct);
        return StepOutcome.Done;
    }

    private static async Task<StepOutcome> EnsureSecretsAsync(PlatformStepKit kit, CancellationToken ct)
    {
        var context = kit.Context;
        var worker = await kit.RequireLedgerAsync(ResourceKinds.Worker, kit.AuthWorkerName, ct);
        var present = (await kit.Cloudflare.ListWorkerSecretsAsync(kit.AuthWorkerName, ct)).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var rotate = StepNames.Bool(context.Payload, "rotateSecrets");
        var set = new List<string>();
        foreach (var name in PlatformStepKit.AuthSecrets)
        {
            if (present.Contains(name) && !(rotate && name == "BETTER_AUTH_SECRET"))
            {
                continue;
            }

            await kit.Cloudflare.PutWorkerSecretAsync(kit.AuthWorkerName, name, PlatformStepKit.NewSecret(), ct);
            set.Add(name);
        }

        context.Output["set"] = new JsonArray([.. set.Select(n => (JsonNode?)n)]);
        context.Step.CfId = kit.AuthWorkerName;
        if (set.Count > 0)
        {
            await context.ReportAsync(set.Select(n => RegistryReports.SecretSet(worker, n, context.Now)), ct);
        }

        return StepOutcome.Done;
    }
}

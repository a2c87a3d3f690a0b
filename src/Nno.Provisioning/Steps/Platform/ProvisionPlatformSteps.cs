using System.Text.Json;
using System.Text.Json.Nodes;
using Nno.Provisioning.Cloudflare;
using Nno.Provisioning.Data;
using Nno.Provisioning.Jobs;
using Nno.Provisioning.Migrations;
using Nno.Provisioning.Outbox;
using Nno.Provisioning.Steps.Common;

namespace Nno.Provisioning.Steps;

/// <summary>
/// PROVISION_PLATFORM (provisioning.md §4.2): seven steps, reversible. Each step checks before it creates (§4.3), records
/// what it made in the step and the ledger and queues its Registry reports in the same transaction before it completes;
/// each undo deletes only what this job created.
/// </summary>
internal sealed class ProvisionPlatformSteps : IJobSteps
{
    public string JobType => JobTypes.ProvisionPlatform;

    public IReadOnlyList<PlannedStep> Plan(JobPlanInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (pid, env) = (input.PlatformId, input.Environment!);
        return
        [
            new("create_auth_d1", ResourceKinds.D1, StepNames.AuthDatabase(pid, env)),
            new("migrate_auth_d1"),
            new("upload_auth_worker", ResourceKinds.Worker, StepNames.AuthWorker(pid, env)),
            new("set_auth_secrets", ResourceKinds.WorkerSecret, StepNames.AuthWorker(pid, env)),
            new("register_auth_hostname", ResourceKinds.CustomHostname, null),
            new("create_shell_pages_project", ResourceKinds.PagesProject, StepNames.PagesProject(pid, env)),
            new("register_console_hostname", ResourceKinds.CustomHostname, null),
        ];
    }

    public Task<StepOutcome> RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var kit = Platform.PlatformStepKit.For(context);
        return context.Step.Name switch
        {
            "create_auth_d1" => CreateAuthDatabaseAsync(kit, cancellationToken),
            "migrate_auth_d1" => MigrateAuthDatabaseAsync(kit, cancellationToken),
            "upload_auth_worker" => UploadAuthWorkerAsync(kit, cancellationToken),
            "set_auth_secrets" => SetAuthSecretsAsync(kit, cancellationToken),
            "register_auth_hostname" => RegisterAuthHostnameAsync(kit, cancellationToken),
            "create_shell_pages_project" => CreatePagesProjectAsync(kit, cancellationToken),
            "register_console_hostname" => RegisterConsoleHostnameAsync(kit, cancellationToken),
            _ => throw new InvalidOperationException($"PROVISION_PLATFORM has no step {context.Step.Name}."),
        };
    }

    public Task<StepOutcome> UndoAsync(StepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var kit = Platform.PlatformStepKit.For(context);
        return context.Step.Name switch
        {
            "create_auth_d1" => UndoAuthDatabaseAsync(kit, cancellationToken),
            // Forward-only: the database goes with step 1's undo.
            "migrate_auth_d1" => Task.FromResult(StepOutcome.Skipped),
            "upload_auth_worker" => UndoAuthWorkerAsync(kit, cancellationToken),
            "set_auth_secrets" => UndoAuthSecretsAsync(kit, cancellationToken),
            "register_auth_hostname" => UndoAuthHostnameAsync(kit, cancellationToken),
            "create_shell_pages_project" => UndoPagesProjectAsync(kit, cancellationToken),
            "register_console_hostname" => UndoConsoleHostnameAsync(kit, cancellationToken),
            _ => throw new InvalidOperationException($"PROVISION_PLATFORM has no step {context.Step.Name}."),
        };
    }

    // ---- 1 create_auth_d1 ----

    private static async Task<StepOutcome> CreateAuthDatabaseAsync(Platform.PlatformStepKit kit, CancellationToken ct)
    {
        var (cf, name) = (kit.Cloudflare, kit.AuthDatabaseName);
        var (database, ours) = await CreateOrAdopt.RunAsync(
            kit.Context,
            null,
            () => cf.FindD1DatabaseAsync(name, ct),
            () => cf.CreateD1DatabaseAsync(name, ct),
            () => cf.FindD1DatabaseAsync(name, ct),
            ct,
            // D1 answers a taken name with a 400 of its own; the lookup decides.
            e => e.IsConflict || e.StatusCode == System.Net.HttpStatusCode.BadRequest);
        await kit.Context.RecordResourceAsync(
            new LedgerEntry(ResourceKinds.D1, name, database.Uuid, kit.EnvironmentName, Platform.PlatformStepKit.StackId, MetaJson: """{"logicalName":"auth-db"}"""),
            ours,
            r => kit.ResourceReports(r, LedgerReports.Active),
            ct);
        return StepOutcome.Done;
    }

    private static async Task<StepOutcome> UndoAuthDatabaseAsync(Platform.PlatformStepKit kit, CancellationToken ct)
    {
        var step = kit.Context.Step;
        var id = step.CfId;
        if (id is null && step.CreateAttempts > 0)
        {
            id = (await kit.Cloudflare.FindD1DatabaseAsync(kit.AuthDatabaseName, ct))?.Uuid;
        }

        if (id is null)
        {
            return StepOutcome.Skipped;
        }

        await kit.Cloudflare.DeleteD1DatabaseAsync(id, ct);
        await CreateOrAdopt.MarkOursDeletedAsync(kit.Context, ResourceKinds.D1, kit.AuthDatabaseName, r => kit.ResourceReports(r, LedgerReports.Deleted), ct);
        return StepOutcome.Done;
    }

    // ---- 2 migrate_auth_d1 ----

    private static async Task<StepOutcome> MigrateAuthDatabaseAsync(Platform.PlatformStepKit kit, CancellationToken ct)
    {
        var database = await kit.RequireLedgerAsync(ResourceKinds.D1, kit.AuthDatabaseName, ct);
        var payload = kit.Context.Payload;
        var config = new PlatformConfigValues(
            kit.PlatformId,
            StepNames.String(payload, "planTier") ?? "starter",
            StepNames.String(payload, "billingEmail") ?? string.Empty,
            StepNames.String(payload, "defaultEntityId"),
            kit.Environment);
        var result = await kit.Migrations.MigrateAuthDatabaseAsync(database.CfId, config, ct);
        kit.Context.Output["applied"] = new JsonArray([.. result.Applied.Select(a => (JsonNode?)a)]);
        kit.Context.Output["alreadyApplied"] = new JsonArray([.. result.AlreadyApplied.Select(a => (JsonNode?)a)]);
        return StepOutcome.Done;
    }

    // ---- 3 upload_auth_worker ----

    private static async Task<StepOutcome> UploadAuthWorkerAsync(Platform.PlatformStepKit kit, CancellationToken ct)
    {
        var (cf, name) = (kit.Cloudflare, kit.AuthWorkerName);
        var database = await kit.RequireLedgerAsync(ResourceKinds.D1, kit.AuthDatabaseName, ct);
        var payload = kit.Context.Payload;
        var values = kit.AuthValues(database.CfId, StepNames.String(payload, "defaultEntityId"), StepNames.String(payload, "planTier") ?? "starter");
        var bundle = kit.AuthBundle;
        var (_, ours) = await CreateOrAdopt.RunAsync(
            kit.Context,
            null,
            () => cf.GetWorkerSettingsAsync(name, ct),
            async () =>
            {
                await kit.UploadAuthWorkerAsync(bundle, values, ct);
                return new WorkerSettings(null, null, null);
            },
            () => cf.GetWorkerSettingsAsync(name, ct),
            ct);
        await kit.Context.RecordResourceAsync(
            new LedgerEntry(ResourceKinds.Worker, name, name, kit.EnvironmentName, Platform.PlatformStepKit.StackId, MetaJson: Platform.PlatformStepKit.AuthWorkerMeta(bundle.Version, values)),
            ours,
            r => kit.ResourceReports(r, LedgerReports.Active),
            ct);
        return StepOutcome.Done;
    }

    private static async Task<StepOutcome> UndoAuthWorkerAsync(Platform.PlatformStepKit kit, CancellationToken ct)
    {
        // A failed upload may still have landed (its answer lost): deleting by name is safe either way for a script this
        // job was creating, and a missing one is already gone.
        await kit.Cloudflare.DeleteWorkerAsync(kit.AuthWorkerName, ct);
        await CreateOrAdopt.MarkOursDeletedAsync(kit.Context, ResourceKinds.Worker, kit.AuthWorkerName, r => kit.ResourceReports(r, LedgerReports.Deleted), ct);
        return StepOutcome.Done;
    }

    // ---- 4 set_auth_secrets ----

    private static async Task<StepOutcome> SetAuthSecretsAsync(Platform.PlatformStepKit kit, CancellationToken ct)
    {
        var context = kit.Context;
        var worker = await kit.RequireLedgerAsync(ResourceKinds.Worker, kit.AuthWorkerName, ct);
        var present = (await kit.Cloudflare.ListWorkerSecretsAsync(kit.AuthWorkerName, ct)).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var set = SetByThisJob(context);
        foreach (var name in Platform.PlatformStepKit.AuthSecrets.Where(n => !present.Contains(n)))
        {
            if (!set.Contains(name))
            {
                set.Add(name);
                context.Output["set"] = new JsonArray([.. set.Select(n => (JsonNode?)n)]);
            }

            // Persisted before the call: an undo after a lost answer still knows to remove it.
            await context.BeforeCreateAsync(ct);
            await kit.Cloudflare.PutWorkerSecretAsync(kit.AuthWorkerName, name, Platform.PlatformStepKit.NewSecret(), ct);
        }

        context.Step.CfId = kit.AuthWorkerName;
        context.Step.CreatedByJob = set.Count > 0;
        await context.ReportAsync(kit.SecretReports(worker, Platform.PlatformStepKit.AuthSecrets), ct);
        return StepOutcome.Done;
    }

    private static async Task<StepOutcome> UndoAuthSecretsAsync(Platform.PlatformStepKit kit, CancellationToken ct)
    {
        var set = SetByThisJob(kit.Context);
        if (set.Count == 0)
        {
            return StepOutcome.Skipped;
        }

        foreach (var name in set)
        {
            await kit.Cloudflare.DeleteWorkerSecretAsync(kit.AuthWorkerName, name, ct);
        }

        var worker = await kit.Context.FindLedgerAsync(ResourceKinds.Worker, kit.AuthWorkerName, ct);
        if (worker is not null)
        {
            await kit.Context.ReportAsync(set.Select(n => RegistryReports.SecretDeleted(worker, n)), ct);
        }

        return StepOutcome.Done;
    }

    internal static List<string> SetByThisJob(StepContext context) =>
        context.Output["set"] is JsonArray names ? [.. names.Select(n => (string?)n).OfType<string>()] : [];

    // ---- 5 register_auth_hostname ----

    private static async Task<StepOutcome> RegisterAuthHostnameAsync(Platform.PlatformStepKit kit, CancellationToken ct)
    {
        var hostname = kit.Names.AuthHostname(kit.PlatformId, kit.Environment);
        var row = await HostnameSteps.EnsureCustomHostnameAsync(kit.Context, kit.Cloudflare, hostname, kit.AuthWorkerName, kit.Scope, ct);
        await HostnameSteps.EnsureWorkerRouteAsync(kit.Context, kit.Cloudflare, hostname, kit.AuthWorkerName, kit.Scope, ct);
        kit.Context.Step.CfId = row.CfId;
        return StepOutcome.Done;
    }

    private static async Task<StepOutcome> UndoAuthHostnameAsync(Platform.PlatformStepKit kit, CancellationToken ct)
    {
        var hostname = kit.Names.AuthHostname(kit.PlatformId, kit.Environment);
        await HostnameSteps.UndoWorkerRouteAsync(kit.Context, kit.Cloudflare, hostname, kit.AuthWorkerName, ct);
        await HostnameSteps.UndoCustomHostnameAsync(kit.Context, kit.Cloudflare, hostname, ct);
        return StepOutcome.Done;
    }

    // ---- 6 create_shell_pages_project ----

    private static async Task<StepOutcome> CreatePagesProjectAsync(Platform.PlatformStepKit kit, CancellationToken ct)
    {
        var (cf, name) = (kit.Cloudflare, kit.PagesProjectName);
        var envVars = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["VITE_PLATFORM_ID"] = kit.PlatformId,
            ["VITE_AUTH_URL"] = kit.Names.AuthBaseUrl(kit.PlatformId, kit.Environment),
            ["VITE_ENVIRONMENT"] = kit.EnvironmentName,
        };
        var (project, ours) = await CreateOrAdopt.RunAsync(
            kit.Context,
            null,
            () => cf.GetPagesProjectAsync(name, ct),
            () => cf.CreatePagesProjectAsync(name, "main", envVars, ct),
            () => cf.GetPagesProjectAsync(name, ct),
            ct);
        var id = CloudflareIds.IsValid(project.Id) ? project.Id! : name;
        await kit.Context.RecordResourceAsync(
            new LedgerEntry(ResourceKinds.PagesProject, name, id, kit.EnvironmentName, Platform.PlatformStepKit.StackId,
                MetaJson: JsonSerializer.Serialize(new { logicalName = "portal", subdomain = project.Subdomain })),
            ours,
            r => kit.ResourceReports(r, LedgerReports.Active),
            ct);
        return StepOutcome.Done;
    }

    private static async Task<StepOutcome> UndoPagesProjectAsync(Platform.PlatformStepKit kit, CancellationToken ct)
    {
        await kit.Cloudflare.DeletePagesProjectAsync(kit.PagesProjectName, ct);
        await CreateOrAdopt.MarkOursDeletedAsync(kit.Context, ResourceKinds.PagesProject, kit.PagesProjectName, r => kit.ResourceReports(r, LedgerReports.Deleted), ct);
        return StepOutcome.Done;
    }

    // ---- 7 register_console_hostname ----

    private static async Task<StepOutcome> RegisterConsoleHostnameAsync(Platform.PlatformStepKit kit, CancellationToken ct)
    {
        var hostname = kit.Names.ConsoleHostname(kit.PlatformId, kit.Environment);
        var row = await HostnameSteps.EnsureCustomHostnameAsync(kit.Context, kit.Cloudflare, hostname, kit.PagesProjectName, kit.Scope, ct);
        await HostnameSteps.EnsurePagesDomainAsync(kit.Context, kit.Cloudflare, kit.PagesProjectName, hostname, kit.Scope, ct);
        kit.Context.Step.CfId = row.CfId;
        return StepOutcome.Done;
    }

    private static async Task<StepOutcome> UndoConsoleHostnameAsync(Platform.PlatformStepKit kit, CancellationToken ct)
    {
        var hostname = kit.Names.ConsoleHostname(kit.PlatformId, kit.Environment);
        await HostnameSteps.UndoPagesDomainAsync(kit.Context, kit.Cloudflare, kit.PagesProjectName, hostname, ct);
        await HostnameSteps.UndoCustomHostnameAsync(kit.Context, kit.Cloudflare, hostname, ct);
        return StepOutcome.Done;
    }
}

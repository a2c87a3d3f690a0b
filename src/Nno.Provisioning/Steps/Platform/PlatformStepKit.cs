using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Nno.Core.Environments;
using Nno.Core.Naming;
using Nno.Provisioning.Bundles;
using Nno.Provisioning.Cloudflare;
using Nno.Provisioning.Cloudflare.Workers;
using Nno.Provisioning.Data;
using Nno.Provisioning.Jobs;
using Nno.Provisioning.Migrations;
using Nno.Provisioning.Outbox;
using Nno.Provisioning.Steps.Common;

namespace Nno.Provisioning.Steps.Platform;

/// <summary>What the platform steps use, resolved from the running step's scope.</summary>
internal sealed class PlatformStepKit
{
    /// <summary>The secrets every auth Worker needs (provisioning.md §4.7).</summary>
    public static IReadOnlyList<string> AuthSecrets { get; } = ["BETTER_AUTH_SECRET"];

    public const string StackId = "default";

    private static readonly string[] AuthBindingNames = ["DB", "PLATFORM_ID", "ENVIRONMENT", "AUTH_BASE_URL", "DEFAULT_ENTITY_ID", "PLAN_TIER"];

    private PlatformStepKit(StepContext context)
    {
        Context = context;
        Cloudflare = context.Services.GetRequiredService<CloudflareClient>();
        Names = new CloudflareNames(context.Services.GetRequiredService<HostnameBuilder>());
        Catalogue = context.Services.GetRequiredService<BundleCatalogue>();
        Migrations = context.Services.GetRequiredService<D1MigrationRunner>();
        EnvironmentName = context.Job.Environment ?? throw new InvalidOperationException($"Job {context.Job.Id} has no environment.");
        Environment = EnvironmentNames.ParsePlatform(EnvironmentName);
    }

    public StepContext Context { get; }

    public CloudflareClient Cloudflare { get; }

    public CloudflareNames Names { get; }

    public BundleCatalogue Catalogue { get; }

    /// <summary>
    /// The auth Worker bundle P1 and P3 upload: <c>Provisioning:AuthWorkerVersion</c> as configured now (read per job
    /// scope, so a changed pin applies to the next job), else the newest shipped.
    /// Not shipped → <see cref="FeatureBundleNotFoundException"/>, a permanent failure (StepErrorClassifier).
    /// </summary>
    public AuthWorkerBundle AuthBundle =>
        Catalogue.AuthWorkerFor(Context.Services.GetRequiredService<IOptionsSnapshot<ProvisioningOptions>>().Value.AuthWorkerVersion);

    public D1MigrationRunner Migrations { get; }

    public string EnvironmentName { get; }

    public PlatformEnvironment Environment { get; }

    public string PlatformId => Context.Job.PlatformId;

    public string AuthWorkerName => StepNames.AuthWorker(PlatformId, EnvironmentName);

    public string AuthDatabaseName => StepNames.AuthDatabase(PlatformId, EnvironmentName);

    public string PagesProjectName => StepNames.PagesProject(PlatformId, EnvironmentName);

    public HostnameScope Scope => new(EnvironmentName, StackId);

    public static PlatformStepKit For(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new PlatformStepKit(context);
    }

    /// <summary>A new <c>BETTER_AUTH_SECRET</c>: 32 random bytes, base64url. Sent straight to Cloudflare, never kept.</summary>
    public static string NewSecret() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    /// <summary>The active ledger row the step needs; missing = the environment is not provisioned (permanent).</summary>
    public async Task<CfResourceRecord> RequireLedgerAsync(string kind, string name, CancellationToken cancellationToken) =>
        await Context.FindLedgerAsync(kind, name, cancellationToken)
        ?? throw StepFailureException.Permanent(JobErrorCodes.PlatformNotProvisioned, $"The ledger holds no active {kind} \"{name}\": the environment is not provisioned.");

    /// <summary>A string field of a ledger row's <c>meta_json</c>.</summary>
    public static string? Meta(CfResourceRecord row, string field)
    {
        ArgumentNullException.ThrowIfNull(row);
        return JsonNode.Parse(row.MetaJson) is JsonObject meta && meta[field] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
    }

    /// <summary>The auth Worker's per-platform values: the D1 id from the ledger, the rest from the job or the Worker's ledger row.</summary>
    public AuthWorkerValues AuthValues(string databaseId, string? defaultEntityId, string planTier) =>
        new(PlatformId, Environment, databaseId, Names.AuthBaseUrl(PlatformId, Environment), defaultEntityId, planTier);

    /// <summary>Uploads <paramref name="bundle"/> as the auth Worker (multipart PUT; an upload replaces the script and keeps its secrets).</summary>
    public Task UploadAuthWorkerAsync(AuthWorkerBundle bundle, AuthWorkerValues values, CancellationToken cancellationToken) =>
        Cloudflare.UploadWorkerAsync(AuthWorkerName, WorkerUploadBuilder.Auth(bundle, values), cancellationToken);

    /// <summary>The auth Worker's ledger <c>meta_json</c>: what a redeploy needs to rebuild the same bindings, and the bundle version.</summary>
    public static string AuthWorkerMeta(string bundleVersion, AuthWorkerValues values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return JsonSerializer.Serialize(new
        {
            logicalName = "auth",
            bundleVersion,
            databaseId = values.DatabaseId,
            planTier = values.PlanTier,
            defaultEntityId = values.DefaultEntityId,
            bindings = AuthBindingNames,
        });
    }

    /// <summary>Secret metadata reports (names only, never values) for <paramref name="names"/> of the Worker ledger row.</summary>
    public IEnumerable<RegistryOutboxRecord> SecretReports(CfResourceRecord worker, IEnumerable<string> names) =>
        names.Select(n => RegistryReports.SecretSet(worker, n, Context.Now));

    /// <summary>Resource reports of a ledger row with <paramref name="status"/>.</summary>
    public IEnumerable<RegistryOutboxRecord> ResourceReports(CfResourceRecord row, string status) => LedgerReports.Resource(row, Context.Job.Id, status);
}

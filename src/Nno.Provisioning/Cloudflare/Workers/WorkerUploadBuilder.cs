using Nno.Core.Environments;
using Nno.Provisioning.Bundles;

namespace Nno.Provisioning.Cloudflare.Workers;

/// <summary>Per-platform values of the auth Worker, all sent as bindings (provisioning.md §4.7).</summary>
public sealed record AuthWorkerValues(
    string PlatformId,
    PlatformEnvironment Environment,
    string DatabaseId,
    string AuthBaseUrl,
    string? DefaultEntityId,
    string PlanTier);

/// <summary>The stack's shared resources a feature Worker may bind; null = not enabled for the stack.</summary>
public sealed record StackBindings(string? DatabaseId, string? BucketName, string? KvNamespaceId, string? QueueName);

/// <summary>Per-platform values of a feature Worker, all sent as bindings.</summary>
public sealed record FeatureWorkerValues(
    string PlatformId,
    string StackId,
    PlatformEnvironment Environment,
    string AuthUrl,
    StackBindings Stack);

/// <summary>
/// Builds Worker uploads from shipped bundles (provisioning.md §4.7): the script text is the bundle's, byte for byte;
/// every per-platform value is a binding. <c>keep_bindings ["secret_text"]</c> keeps secrets across re-uploads.
/// </summary>
public static class WorkerUploadBuilder
{
    /// <summary>Name of the main module of every upload.</summary>
    public const string MainModule = "index.js";

    /// <summary>Binding types an upload keeps from the previous version.</summary>
    public static IReadOnlyList<string> KeepBindings { get; } = [WorkerBinding.SecretText];

    /// <summary>Binding names of the stack's shared resources.</summary>
    public static IReadOnlyList<string> SharedBindingNames { get; } = ["DB", "STORAGE", "KV", "QUEUE"];

    /// <summary>The auth Worker upload: <c>DB</c> (d1) and plain_text PLATFORM_ID, ENVIRONMENT, AUTH_BASE_URL, DEFAULT_ENTITY_ID, PLAN_TIER.</summary>
    public static WorkerUpload Auth(AuthWorkerBundle bundle, AuthWorkerValues values)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        ArgumentNullException.ThrowIfNull(values);
        var bindings = new List<WorkerBinding>
        {
            WorkerBinding.ForD1("DB", RequireId(values.DatabaseId, "DB")),
            WorkerBinding.ForText("PLATFORM_ID", values.PlatformId),
            WorkerBinding.ForText("ENVIRONMENT", values.Environment.ToName()),
            WorkerBinding.ForText("AUTH_BASE_URL", values.AuthBaseUrl),
            WorkerBinding.ForText("DEFAULT_ENTITY_ID", values.DefaultEntityId ?? ""),
            WorkerBinding.ForText("PLAN_TIER", values.PlanTier),
        };
        var metadata = new WorkerMetadata
        {
            MainModule = MainModule,
            CompatibilityDate = bundle.CompatibilityDate,
            Bindings = bindings,
            Tags = Tags(values.PlatformId, values.Environment),
            KeepBindings = KeepBindings,
        };
        return new WorkerUpload(metadata, [new WorkerModule(MainModule, bundle.Script)]);
    }

    /// <summary>
    /// A feature Worker upload: the shared bindings the stack has (<c>DB</c>, <c>STORAGE</c>, <c>KV</c>, <c>QUEUE</c>)
    /// plus FEATURE_ID, FEATURE_VERSION, PLATFORM_ID, STACK_ID, ENVIRONMENT, TABLE_PREFIX, KEY_PREFIX, AUTH_URL.
    /// A bundle whose manifest needs a resource the stack lacks is refused (the job ensures resources first).
    /// </summary>
    public static WorkerUpload Feature(FeatureBundle bundle, FeatureWorkerValues values)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        ArgumentNullException.ThrowIfNull(values);
        if (bundle.WorkerScript is not { } script)
        {
            throw new ArgumentException($"Feature \"{bundle.FeatureId}\" {bundle.Version} is not a service: it ships no Worker.", nameof(bundle));
        }

        var needs = bundle.Manifest.Resources;
        var stack = values.Stack;
        RequireResource(needs.D1, stack.DatabaseId, "d1", bundle);
        RequireResource(needs.R2, stack.BucketName, "r2", bundle);
        RequireResource(needs.Kv, stack.KvNamespaceId, "kv", bundle);
        RequireResource(needs.Queue, stack.QueueName, "queue", bundle);

        var bindings = new List<WorkerBinding>();
        if (stack.DatabaseId is { } db)
        {
            bindings.Add(WorkerBinding.ForD1("DB", RequireId(db, "DB")));
        }

        if (stack.BucketName is { } bucket)
        {
            bindings.Add(WorkerBinding.ForR2("STORAGE", bucket));
        }

        if (stack.KvNamespaceId is { } kv)
        {
            bindings.Add(WorkerBinding.ForKv("KV", RequireId(kv, "KV")));
        }

        if (stack.QueueName is { } queue)
        {
            bindings.Add(WorkerBinding.ForQueue("QUEUE", queue));
        }

        bindings.Add(WorkerBinding.ForText("FEATURE_ID", bundle.FeatureId));
        bindings.Add(WorkerBinding.ForText("FEATURE_VERSION", bundle.Version));
        bindings.Add(WorkerBinding.ForText("PLATFORM_ID", values.PlatformId));
        bindings.Add(WorkerBinding.ForText("STACK_ID", values.StackId));
        bindings.Add(WorkerBinding.ForText("ENVIRONMENT", values.Environment.ToName()));
        bindings.Add(WorkerBinding.ForText("TABLE_PREFIX", bundle.TablePrefix));
        bindings.Add(WorkerBinding.ForText("KEY_PREFIX", bundle.KeyPrefix));
        bindings.Add(WorkerBinding.ForText("AUTH_URL", values.AuthUrl));

        var metadata = new WorkerMetadata
        {
            MainModule = MainModule,
            CompatibilityDate = bundle.CompatibilityDate,
            Bindings = bindings,
            Tags = Tags(values.PlatformId, values.Environment),
            KeepBindings = KeepBindings,
        };
        return new WorkerUpload(metadata, [new WorkerModule(MainModule, script)]);
    }

    /// <summary>Every binding name an upload of <paramref name="bundle"/> may declare (P15 refuses secrets that shadow one).</summary>
    public static IReadOnlySet<string> DeclaredBindingNames(FeatureBundle bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        return new HashSet<string>(
            [.. SharedBindingNames, "FEATURE_ID", "FEATURE_VERSION", "PLATFORM_ID", "STACK_ID", "ENVIRONMENT", "TABLE_PREFIX", "KEY_PREFIX", "AUTH_URL"],
            StringComparer.Ordinal);
    }

    /// <summary><c>["nno", "platform-{pid}", "env-{env}"]</c>.</summary>
    public static IReadOnlyList<string> Tags(string platformId, PlatformEnvironment environment) =>
        ["nno", "platform-" + platformId, "env-" + environment.ToName()];

    private static string RequireId(string id, string binding) =>
        CloudflareIds.IsValid(id) ? id : throw new ArgumentException($"The {binding} binding needs a valid Cloudflare id.", nameof(id));

    private static void RequireResource(bool needed, string? value, string kind, FeatureBundle bundle)
    {
        if (needed && value is null)
        {
            throw new ArgumentException($"Feature \"{bundle.FeatureId}\" needs the stack's {kind}, which the upload does not bind.", nameof(bundle));
        }
    }
}

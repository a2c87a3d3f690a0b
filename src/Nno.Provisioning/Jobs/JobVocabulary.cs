namespace Nno.Provisioning.Jobs;

/// <summary>The nine job types of provisioning.md §4.2.</summary>
public static class JobTypes
{
    public const string ProvisionPlatform = "PROVISION_PLATFORM";
    public const string DeprovisionPlatform = "DEPROVISION_PLATFORM";
    public const string RedeployAuthWorker = "REDEPLOY_AUTH_WORKER";
    public const string ActivateFeature = "ACTIVATE_FEATURE";
    public const string DeactivateFeature = "DEACTIVATE_FEATURE";
    public const string ActivateStack = "ACTIVATE_STACK";
    public const string DeactivateStack = "DEACTIVATE_STACK";
    public const string AddCustomDomain = "ADD_CUSTOM_DOMAIN";
    public const string RemoveCustomDomain = "REMOVE_CUSTOM_DOMAIN";

    public static IReadOnlyList<string> All { get; } =
    [
        ProvisionPlatform, DeprovisionPlatform, RedeployAuthWorker, ActivateFeature, DeactivateFeature, ActivateStack, DeactivateStack,
        AddCustomDomain, RemoveCustomDomain,
    ];
}

/// <summary>Job states of provisioning.md §4.1.</summary>
public static class JobStatuses
{
    public const string Pending = "PENDING";
    public const string Queued = "QUEUED";
    public const string Running = "RUNNING";
    public const string Completed = "COMPLETED";
    public const string Failed = "FAILED";
    public const string RollingBack = "ROLLING_BACK";
    public const string RolledBack = "ROLLED_BACK";
    public const string RollbackFailed = "ROLLBACK_FAILED";

    public static IReadOnlyList<string> All { get; } = [Pending, Queued, Running, Completed, Failed, RollingBack, RolledBack, RollbackFailed];

    /// <summary>
    /// States in which a job no longer moves by itself (FAILED is only ever stored for irreversible jobs: a reversible one
    /// moves on to ROLLING_BACK in the same transaction). These neither coalesce nor hold their queue key.
    /// </summary>
    public static IReadOnlyList<string> Terminal { get; } = [Completed, Failed, RolledBack, RollbackFailed];

    /// <summary>The states that still move: they coalesce, count towards the backlog cap and hold their queue key.</summary>
    public static IReadOnlyList<string> Active { get; } = [Pending, Queued, Running, RollingBack];

    public static bool IsTerminal(string status) => Terminal.Contains(status);
}

/// <summary>Job phases.</summary>
public static class JobPhases
{
    public const string Forward = "forward";
    public const string Rollback = "rollback";

    public static IReadOnlyList<string> All { get; } = [Forward, Rollback];
}

/// <summary>Step states of provisioning.md §2.</summary>
public static class StepStatuses
{
    public const string Pending = "PENDING";
    public const string Running = "RUNNING";
    public const string Completed = "COMPLETED";
    public const string Skipped = "SKIPPED";
    public const string Failed = "FAILED";
    public const string Undoing = "UNDOING";
    public const string Undone = "UNDONE";
    public const string UndoFailed = "UNDO_FAILED";

    public static IReadOnlyList<string> All { get; } = [Pending, Running, Completed, Skipped, Failed, Undoing, Undone, UndoFailed];
}

/// <summary>Cloudflare resource kinds of a step and of the ledger.</summary>
public static class ResourceKinds
{
    public const string D1 = "d1";
    public const string Worker = "worker";
    public const string WorkerSecret = "worker_secret";
    public const string R2 = "r2";
    public const string Kv = "kv";
    public const string Queue = "queue";
    public const string PagesProject = "pages_project";
    public const string PagesDomain = "pages_domain";
    public const string CustomHostname = "custom_hostname";
    public const string WorkerRoute = "worker_route";

    public static IReadOnlyList<string> All { get; } = [D1, Worker, WorkerSecret, R2, Kv, Queue, PagesProject, PagesDomain, CustomHostname, WorkerRoute];
}

/// <summary>Job <c>error.code</c> values (not HTTP codes).</summary>
public static class JobErrorCodes
{
    public const string CfApiError = "CF_API_ERROR";
    public const string CfAuthFailed = "CF_AUTH_FAILED";
    public const string RetriesExhausted = "RETRIES_EXHAUSTED";
    public const string MigrationFailed = "MIGRATION_FAILED";
    public const string MigrationDrift = "MIGRATION_DRIFT";
    public const string FeatureBundleNotFound = "FEATURE_BUNDLE_NOT_FOUND";
    public const string StackDefinitionNotFound = "STACK_DEFINITION_NOT_FOUND";
    public const string StackVersionDeprecated = "STACK_VERSION_DEPRECATED";
    public const string TierLimitExceeded = "TIER_LIMIT_EXCEEDED";
    public const string CliRejected = "CLI_REJECTED";
    public const string RegistryRejected = "REGISTRY_REJECTED";
    public const string PlatformNotProvisioned = "PLATFORM_NOT_PROVISIONED";
    public const string BucketNotEmpty = "BUCKET_NOT_EMPTY";
}

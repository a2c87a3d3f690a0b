namespace Nno.Storage;

/// <summary>The KV namespaces NNO uses (00-system §9).</summary>
public static class KvNamespaces
{
    /// <summary>Platform status and tier by <c>platform:{id}</c>; the Registry writes, the Gateway reads.</summary>
    public const string PlatformStatus = "PLATFORM_STATUS";

    /// <summary>The CLI service's GitHub token cache.</summary>
    public const string CliTokens = "CLI_TOKENS";
}

/// <summary>The queues NNO uses (00-system §9, provisioning.md §4.4).</summary>
public static class QueueNames
{
    /// <summary>Provisioning jobs: <c>{jobId, runNumber, phase}</c>.</summary>
    public const string Provision = "provision-queue";

    /// <summary>The dead-letter queue of <see cref="Provision"/>.</summary>
    public const string ProvisionDeadLetter = "provision-dlq";
}

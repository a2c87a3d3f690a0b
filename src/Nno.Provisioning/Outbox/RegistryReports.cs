using System.Text.Json;
using Nno.Core.Json;
using Nno.Provisioning.Data;

namespace Nno.Provisioning.Outbox;

/// <summary>Wakes the outbox dispatcher after a commit that wrote outbox rows (the poll covers a missed signal).</summary>
internal sealed class OutboxSignal : IDisposable
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Notify()
    {
        // At most one pending wake-up: a burst of commits wakes the dispatcher once.
        if (_signal.CurrentCount == 0)
        {
            try
            {
                _signal.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another thread released first: the dispatcher is woken either way.
            }
        }
    }

    public Task WaitAsync(CancellationToken cancellationToken) => _signal.WaitAsync(cancellationToken);

    public void Dispose() => _signal.Dispose();
}

/// <summary>
/// The Registry calls of provisioning.md §4.8 as outbox rows. Paths may hold <c>{registryId:res_…}</c>, replaced at send
/// time by that ledger row's <c>registry_id</c> (known once the row's own report was answered, which FIFO order per
/// platform guarantees). A body string value that is exactly such a placeholder (<c>resourceId</c> of a DNS record,
/// <c>dnsRecordId</c> of a custom domain) is resolved the same way, or sent as null when that row was never reported.
/// </summary>
internal static class RegistryReports
{
    public const string PlatformsPath = "/api/v1/platforms/";

    private static readonly JsonSerializerOptions Json = NnoJson.Options;

    /// <summary>The placeholder for a ledger row's Registry id.</summary>
    public static string RegistryIdOf(string ledgerId) => "{registryId:" + ledgerId + "}";

    /// <summary><c>POST …/resources</c>: upsert by natural key; the answer's id becomes the ledger row's <c>registry_id</c>.</summary>
    public static RegistryOutboxRecord Resource(CfResourceRecord ledger, ResourceReport body) => new()
    {
        PlatformId = ledger.PlatformId,
        Method = "POST",
        PathTemplate = PlatformsPath + ledger.PlatformId + "/resources",
        BodyJson = JsonSerializer.Serialize(body, Json),
        CaptureLedgerId = ledger.Id,
    };

    /// <summary><c>POST …/dns-records</c>: the hostname's record; its id becomes the hostname ledger row's <c>registry_id</c>.</summary>
    public static RegistryOutboxRecord DnsRecord(CfResourceRecord hostnameLedger, DnsRecordReport body) => new()
    {
        PlatformId = hostnameLedger.PlatformId,
        Method = "POST",
        PathTemplate = PlatformsPath + hostnameLedger.PlatformId + "/dns-records",
        BodyJson = JsonSerializer.Serialize(body, Json),
        CaptureLedgerId = hostnameLedger.Id,
    };

    /// <summary><c>DELETE …/dns-records/{id}</c> of a hostname ledger row.</summary>
    public static RegistryOutboxRecord DeleteDnsRecord(CfResourceRecord hostnameLedger) => new()
    {
        PlatformId = hostnameLedger.PlatformId,
        Method = "DELETE",
        PathTemplate = PlatformsPath + hostnameLedger.PlatformId + "/dns-records/" + RegistryIdOf(hostnameLedger.Id),
    };

    /// <summary><c>PATCH …/dns-records/{id}</c> with a new SSL status.</summary>
    public static RegistryOutboxRecord DnsSslStatus(CfResourceRecord hostnameLedger, string sslStatus, string? sslError) => new()
    {
        PlatformId = hostnameLedger.PlatformId,
        Method = "PATCH",
        PathTemplate = PlatformsPath + hostnameLedger.PlatformId + "/dns-records/" + RegistryIdOf(hostnameLedger.Id),
        BodyJson = JsonSerializer.Serialize(new { sslStatus, sslError }, Json),
    };

    /// <summary>
    /// <c>PUT …/resources/{registryId}/secrets/{name}</c>: secret metadata, never a value. <paramref name="lastSetAt"/> is
    /// Unix ms (the database's form); the wire carries it as an ISO-8601 UTC string (00-system.md: timestamps in APIs).
    /// </summary>
    public static RegistryOutboxRecord SecretSet(CfResourceRecord workerLedger, string name, long lastSetAt) => new()
    {
        PlatformId = workerLedger.PlatformId,
        Method = "PUT",
        PathTemplate = PlatformsPath + workerLedger.PlatformId + "/resources/" + RegistryIdOf(workerLedger.Id) + "/secrets/" + name,
        BodyJson = JsonSerializer.Serialize(new { status = "set", lastSetAt = DateTimeOffset.FromUnixTimeMilliseconds(lastSetAt).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture) }, Json),
    };

    /// <summary><c>DELETE …/resources/{registryId}/secrets/{name}</c>.</summary>
    public static RegistryOutboxRecord SecretDeleted(CfResourceRecord workerLedger, string name) => new()
    {
        PlatformId = workerLedger.PlatformId,
        Method = "DELETE",
        PathTemplate = PlatformsPath + workerLedger.PlatformId + "/resources/" + RegistryIdOf(workerLedger.Id) + "/secrets/" + name,
    };

    /// <summary>The body value that stands for a ledger row's Registry id (null stays null).</summary>
    public static string? RegistryIdValue(CfResourceRecord? ledger) => ledger is null ? null : RegistryIdOf(ledger.Id);

    /// <summary><c>PATCH …/custom-domains/{cdid}</c>.</summary>
    public static RegistryOutboxRecord CustomDomain(string platformId, string customDomainId, object body) => new()
    {
        PlatformId = platformId,
        Method = "PATCH",
        PathTemplate = PlatformsPath + platformId + "/custom-domains/" + customDomainId,
        BodyJson = JsonSerializer.Serialize(body, Json),
    };

    /// <summary><c>POST …/provision-events</c>: a job transition (§4.1).</summary>
    public static RegistryOutboxRecord ProvisionEvent(ProvisionJobRecord job) => new()
    {
        PlatformId = job.PlatformId,
        Method = "POST",
        PathTemplate = PlatformsPath + job.PlatformId + "/provision-events",
        BodyJson = JsonSerializer.Serialize(
            new ProvisionEventBody(job.Id, job.RunNumber, job.Status, job.ErrorCode is null ? null : new ProvisionEventError(job.ErrorCode, job.ErrorMessage ?? string.Empty)),
            Json),
    };

    /// <summary>Whether a path is a provision-events report (its 404 naming <c>job</c> is dropped).</summary>
    public static bool IsProvisionEvent(string path) => path.EndsWith("/provision-events", StringComparison.Ordinal);
}

/// <summary>Body of the Registry's resource upsert (registry.md §3.8).</summary>
internal sealed record ResourceReport(
    string StackId, string Type, string LogicalName, string CfName, string Environment, string Status, string? CfResourceId, string? EntityId,
    string? FeatureId, string ProvisionJobId, object? LastError = null);

/// <summary>Body of the Registry's DNS record upsert.</summary>
internal sealed record DnsRecordReport(
    string Hostname, string Environment, string RecordType, string Target, string StackId, string? ResourceId, string? CfCustomHostnameId, string SslStatus);

/// <summary>Body of <c>provision-events</c>.</summary>
internal sealed record ProvisionEventBody(string JobId, int RunNumber, string Status, ProvisionEventError? Error);

/// <summary>The error of a provision event.</summary>
internal sealed record ProvisionEventError(string Code, string Message);

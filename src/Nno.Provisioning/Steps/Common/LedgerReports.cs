using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Nno.Provisioning.Data;
using Nno.Provisioning.Jobs;
using Nno.Provisioning.Outbox;

namespace Nno.Provisioning.Steps.Common;

/// <summary>
/// The Registry reports of ledger rows (provisioning.md §4.8): a resource upsert (<c>POST …/resources</c>, natural key)
/// for D1, Workers, Pages projects, R2, KV and queues; a DNS record for custom hostnames. Routes and Pages domains are
/// not catalogued by the Registry.
/// </summary>
internal static class LedgerReports
{
    /// <summary>Resource status values of the Registry.</summary>
    public const string Active = "active";

    public const string Deleting = "deleting";

    public const string Deleted = "deleted";

    /// <summary>The Registry <c>type</c> of a ledger kind, or null when the Registry does not catalogue the kind as a resource.</summary>
    public static string? RegistryType(string kind) => kind switch
    {
        ResourceKinds.D1 => "d1",
        ResourceKinds.Worker => "worker",
        ResourceKinds.PagesProject => "pages",
        ResourceKinds.R2 => "r2",
        ResourceKinds.Kv => "kv",
        ResourceKinds.Queue => "queue",
        _ => null,
    };

    /// <summary>
    /// The Registry <c>logicalName</c>: the one recorded in <c>meta_json</c> when the creating step wrote it, otherwise
    /// derived from the kind and name (auth-db, db, auth, the feature id, portal, storage, kv, queue).
    /// </summary>
    public static string LogicalName(CfResourceRecord row)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (JsonNode.Parse(row.MetaJson) is JsonObject meta && meta["logicalName"] is JsonValue value && value.TryGetValue<string>(out var recorded))
        {
            return recorded;
        }

        return row.Kind switch
        {
            ResourceKinds.D1 => row.Name.Contains("-default-auth-db", StringComparison.Ordinal) ? "auth-db" : "db",
            ResourceKinds.Worker => row.FeatureId ?? "auth",
            ResourceKinds.PagesProject => "portal",
            ResourceKinds.R2 => "storage",
            ResourceKinds.Kv => "kv",
            ResourceKinds.Queue => "queue",
            _ => row.Kind,
        };
    }

    /// <summary>The resource upsert of <paramref name="row"/> with <paramref name="status"/>; none for kinds the Registry does not catalogue.</summary>
    public static IEnumerable<RegistryOutboxRecord> Resource(CfResourceRecord row, string jobId, string status)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (RegistryType(row.Kind) is not { } type)
        {
            yield break;
        }

        yield return RegistryReports.Resource(row, new ResourceReport(
            row.StackId ?? "default", type, LogicalName(row), row.Name, row.Environment ?? "prod", status,
            Nno.Provisioning.Cloudflare.CloudflareIds.IsValid(row.CfId) ? row.CfId : null, null, row.FeatureId, jobId));
    }

    /// <summary>
    /// The DNS record upsert of a custom hostname ledger row pointing at <paramref name="target"/> (script or project);
    /// <paramref name="targetResource"/> is that Worker's or Pages project's ledger row, sent as its Registry id.
    /// </summary>
    public static RegistryOutboxRecord DnsRecord(CfResourceRecord hostname, string target, CfResourceRecord? targetResource, string sslStatus) =>
        RegistryReports.DnsRecord(hostname, new DnsRecordReport(
            hostname.Name, hostname.Environment ?? "prod", "custom_hostname", target, hostname.StackId ?? "default",
            RegistryReports.RegistryIdValue(targetResource), hostname.CfId, sslStatus));

    /// <summary>
    /// The active ledger row of the Worker or Pages project named <paramref name="target"/> (what a hostname points at), or
    /// null (a customer domain's target is a hostname, not a resource).
    /// </summary>
    public static Task<CfResourceRecord?> TargetResourceAsync(ProvisioningDbContext db, string platformId, string target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        return db.Resources.AsNoTracking().FirstOrDefaultAsync(
            r => (r.Kind == ResourceKinds.Worker || r.Kind == ResourceKinds.PagesProject) && r.Name == target && r.Status == CfResourceStatuses.Active
                && r.PlatformId == platformId,
            cancellationToken);
    }
}

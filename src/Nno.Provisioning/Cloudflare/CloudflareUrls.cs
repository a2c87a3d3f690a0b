using System.Globalization;
using System.Text;

namespace Nno.Provisioning.Cloudflare;

/// <summary>
/// The one place that builds Cloudflare REST paths (provisioning.md §4.2–4.5), relative to the API base. Every name, id
/// and query value is escaped here, so nothing taken from a request or an answer can change the path it lands in.
/// </summary>
public sealed class CloudflareUrls(string accountId, string zoneId)
{
    private readonly string _account = "accounts/" + Segment(accountId);
    private readonly string _zone = "zones/" + Segment(zoneId);

    /// <summary>Escapes one path segment (also <c>/</c>, <c>?</c>, <c>#</c>, <c>%</c>); <c>.</c> and <c>..</c> are refused.</summary>
    public static string Segment(string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(value);
        // URI normalisation collapses "." and ".." (even as %2E) into another path, so no escaping can make them safe.
        return value is "." or ".."
            ? throw new ArgumentException($"\"{value}\" cannot be a path segment.", nameof(value))
            : Uri.EscapeDataString(value);
    }

    /// <summary>Appends a query string; null values are left out.</summary>
    public static string WithQuery(string path, params (string Key, string? Value)[] query)
    {
        ArgumentNullException.ThrowIfNull(path);
        var builder = new StringBuilder(path);
        var first = true;
        foreach (var (key, value) in query)
        {
            if (value is null)
            {
                continue;
            }

            builder.Append(first ? '?' : '&').Append(Uri.EscapeDataString(key)).Append('=').Append(Uri.EscapeDataString(value));
            first = false;
        }

        return builder.ToString();
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    // Tokens and zones
    public static string UserTokenVerify() => "user/tokens/verify";

    public string AccountTokenVerify() => $"{_account}/tokens/verify";

    public string Zone() => _zone;

    // D1
    public string D1Databases(string? name = null, int? page = null, int? perPage = null) =>
        WithQuery($"{_account}/d1/database", ("name", name), ("page", page is { } p ? Number(p) : null), ("per_page", perPage is { } pp ? Number(pp) : null));

    public string D1Database(string uuid) => $"{_account}/d1/database/{Segment(uuid)}";

    public string D1Query(string uuid) => $"{D1Database(uuid)}/query";

    // Workers
    public string WorkerScript(string name, bool force = false) =>
        WithQuery($"{_account}/workers/scripts/{Segment(name)}", ("force", force ? "true" : null));

    public string WorkerSettings(string name) => $"{_account}/workers/scripts/{Segment(name)}/settings";

    public string WorkerSecrets(string name) => $"{_account}/workers/scripts/{Segment(name)}/secrets";

    public string WorkerSecret(string name, string secretName) => $"{WorkerSecrets(name)}/{Segment(secretName)}";

    public string WorkerRoutes() => $"{_zone}/workers/routes";

    public string WorkerRoute(string id) => $"{_zone}/workers/routes/{Segment(id)}";

    // Custom hostnames
    public string CustomHostnames(string? hostname = null) => WithQuery($"{_zone}/custom_hostnames", ("hostname", hostname));

    public string CustomHostname(string id) => $"{_zone}/custom_hostnames/{Segment(id)}";

    // Pages
    public string PagesProjects() => $"{_account}/pages/projects";

    public string PagesProject(string name) => $"{_account}/pages/projects/{Segment(name)}";

    public string PagesDomains(string project) => $"{PagesProject(project)}/domains";

    public string PagesDomain(string project, string domain) => $"{PagesDomains(project)}/{Segment(domain)}";

    // R2
    public string R2Buckets() => $"{_account}/r2/buckets";

    public string R2Bucket(string name) => $"{_account}/r2/buckets/{Segment(name)}";

    // KV
    public string KvNamespaces(int? page = null, int? perPage = null) =>
        WithQuery($"{_account}/storage/kv/namespaces", ("page", page is { } p ? Number(p) : null), ("per_page", perPage is { } pp ? Number(pp) : null));

    public string KvNamespace(string id) => $"{_account}/storage/kv/namespaces/{Segment(id)}";

    public string KvKeys(string namespaceId, string? prefix, string? cursor, int? limit) =>
        WithQuery($"{KvNamespace(namespaceId)}/keys", ("prefix", prefix), ("cursor", cursor), ("limit", limit is { } l ? Number(l) : null));

    public string KvBulkDelete(string namespaceId) => $"{KvNamespace(namespaceId)}/bulk/delete";

    // Queues
    public string Queues(int? page = null, int? perPage = null) =>
        WithQuery($"{_account}/queues", ("page", page is { } p ? Number(p) : null), ("per_page", perPage is { } pp ? Number(pp) : null));

    public string Queue(string id) => $"{_account}/queues/{Segment(id)}";
}

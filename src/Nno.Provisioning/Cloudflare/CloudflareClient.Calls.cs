using System.Net.Http.Headers;
using System.Text.Json;

namespace Nno.Provisioning.Cloudflare;

public sealed partial class CloudflareClient
{
    /// <summary>Most keys one KV bulk delete takes.</summary>
    public const int KvBulkDeleteMax = 1000;

    // ---- tokens and zones ----

    /// <summary><c>GET /user/tokens/verify</c>: a user-owned token's id and status.</summary>
    public async Task<CloudflareTokenStatus> VerifyUserTokenAsync(CancellationToken ct = default)
    {
        var envelope = await GetAsync(CloudflareUrls.UserTokenVerify(), ct).ConfigureAwait(false);
        var status = Result<CloudflareTokenStatus>(envelope);
        RequireId(envelope, status.Id, "token id");
        return status;
    }

    /// <summary><c>GET A/tokens/verify</c>: an account-owned token's id and status.</summary>
    public async Task<CloudflareTokenStatus> VerifyAccountTokenAsync(CancellationToken ct = default)
    {
        var envelope = await GetAsync(Urls.AccountTokenVerify(), ct).ConfigureAwait(false);
        var status = Result<CloudflareTokenStatus>(envelope);
        RequireId(envelope, status.Id, "token id");
        return status;
    }

    /// <summary><c>GET Z</c>: the configured zone.</summary>
    public async Task<CloudflareZone> GetZoneAsync(CancellationToken ct = default)
    {
        var envelope = await GetAsync(Urls.Zone(), ct).ConfigureAwait(false);
        var zone = Result<CloudflareZone>(envelope);
        RequireId(envelope, zone.Id, "zone id");
        return zone;
    }

    // ---- D1 ----

    /// <summary><c>GET A/d1/database?name=</c>: the database named exactly <paramref name="name"/>, or null.</summary>
    public async Task<D1Database?> FindD1DatabaseAsync(string name, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        // The name filter may match more than the exact name, so only an exact match counts.
        for (var page = 1; page <= MaxListPages; page++)
        {
            var envelope = await GetAsync(Urls.D1Databases(name, page, ListPageSize), ct).ConfigureAwait(false);
            var items = Result<List<D1Database>>(envelope);
            if (items.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.Ordinal)) is { } match)
            {
                RequireId(envelope, match.Uuid, "D1 uuid");
                return match;
            }

            if (items.Count == 0 || envelope.ResultInfo?.TotalPages is not { } total || page >= total)
            {
                return null;
            }
        }

        return null;
    }

    /// <summary><c>POST A/d1/database {name}</c>.</summary>
    public async Task<D1Database> CreateD1DatabaseAsync(string name, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var envelope = await PostJsonAsync(Urls.D1Databases(), new { name }, ct).ConfigureAwait(false);
        var database = Result<D1Database>(envelope);
        RequireId(envelope, database.Uuid, "D1 uuid");
        RequireName(envelope, database.Name, name, "D1 name");
        return database;
    }

    /// <summary><c>GET A/d1/database/{uuid}</c>, or null when it does not exist.</summary>
    public Task<D1Database?> GetD1DatabaseAsync(string uuid, CancellationToken ct = default) =>
        OrNullWhenNotFound(async () => Result<D1Database>(await GetAsync(Urls.D1Database(uuid), ct).ConfigureAwait(false)));

    /// <summary><c>DELETE A/d1/database/{uuid}</c>; false when it was already gone.</summary>
    public Task<bool> DeleteD1DatabaseAsync(string uuid, CancellationToken ct = default) =>
        DeleteIfExistsAsync(Urls.D1Database(uuid), ct);

    /// <summary>
    /// <c>POST A/d1/database/{uuid}/query {sql, params}</c>: one call; <c>;</c>-separated statements run in one
    /// transaction. Returns one result per statement.
    /// </summary>
    public async Task<IReadOnlyList<D1QueryResult>> QueryD1Async(string uuid, string sql, IReadOnlyList<object?>? parameters = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(sql);
        object body = parameters is { Count: > 0 } ? new { sql, @params = parameters } : new { sql };
        var envelope = await PostJsonAsync(Urls.D1Query(uuid), body, ct).ConfigureAwait(false);
        return ReadQueryResults(envelope);
    }

    /// <summary><c>POST A/d1/database/{uuid}/query {batch:[{sql, params}]}</c>: every statement in one transaction.</summary>
    public async Task<IReadOnlyList<D1QueryResult>> QueryD1BatchAsync(string uuid, IReadOnlyList<D1Statement> statements, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(statements);
        if (statements.Count == 0)
        {
            throw new ArgumentException("A batch needs at least one statement.", nameof(statements));
        }

        var batch = statements.Select(s => s.Params is { Count: > 0 } ? (object)new { sql = s.Sql, @params = s.Params } : new { sql = s.Sql }).ToArray();
        var envelope = await PostJsonAsync(Urls.D1Query(uuid), new { batch }, ct).ConfigureAwait(false);
        return ReadQueryResults(envelope);
    }

    private List<D1QueryResult> ReadQueryResults(Envelope envelope)
    {
        var results = Result<List<D1QueryResult>>(envelope);
        for (var i = 0; i < results.Count; i++)
        {
            if (results[i].Results is null)
            {
                results[i] = results[i] with { Results = [] };
            }
        }

        return results;
    }

    // ---- Workers ----

    /// <summary><c>GET A/workers/scripts/{n}/settings</c>; null when the script does not exist (404, code 10007).</summary>
    public Task<WorkerSettings?> GetWorkerSettingsAsync(string scriptName, CancellationToken ct = default) =>
        OrNullWhenNotFound(async () => Result<WorkerSettings>(await GetAsync(Urls.WorkerSettings(scriptName), ct).ConfigureAwait(false)));

    /// <summary>
    /// <c>PUT A/workers/scripts/{n}</c> multipart: the <c>metadata</c> part (JSON) and one part per module, named by
    /// the module's name (the main module is one of them).
    /// </summary>
    public async Task<WorkerScript> UploadWorkerAsync(string scriptName, WorkerUpload upload, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(upload);
        if (!upload.Modules.Any(m => string.Equals(m.Name, upload.Metadata.MainModule, StringComparison.Ordinal)))
        {
            throw new ArgumentException($"The main module \"{upload.Metadata.MainModule}\" is not among the modules.", nameof(upload));
        }

        var content = new MultipartFormDataContent();
        var metadata = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(upload.Metadata, Json));
        metadata.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        content.Add(metadata, "metadata");
        foreach (var module in upload.Modules)
        {
            var part = new ReadOnlyMemoryContent(module.Content);
            part.Headers.ContentType = new MediaTypeHeaderValue(module.ContentType);
            content.Add(part, module.Name, module.Name);
        }

        var envelope = await SendAsync(HttpMethod.Put, Urls.WorkerScript(scriptName), content, ct).ConfigureAwait(false);
        return envelope.Result is { ValueKind: JsonValueKind.Object } ? Result<WorkerScript>(envelope) : new WorkerScript(scriptName, null, null);
    }

    /// <summary><c>DELETE A/workers/scripts/{n}?force=true</c>; false when it was already gone.</summary>
    public Task<bool> DeleteWorkerAsync(string scriptName, CancellationToken ct = default) =>
        DeleteIfExistsAsync(Urls.WorkerScript(scriptName, force: true), ct);

    /// <summary><c>GET A/workers/scripts/{n}/secrets</c>: names and types only.</summary>
    public async Task<IReadOnlyList<WorkerSecret>> ListWorkerSecretsAsync(string scriptName, CancellationToken ct = default) =>
        Result<List<WorkerSecret>>(await GetAsync(Urls.WorkerSecrets(scriptName), ct).ConfigureAwait(false));

    /// <summary><c>PUT A/workers/scripts/{n}/secrets {name, text, type:"secret_text"}</c>. The value is sent, never logged.</summary>
    public async Task PutWorkerSecretAsync(string scriptName, string secretName, string value, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(secretName);
        ArgumentNullException.ThrowIfNull(value);
        await PutJsonAsync(Urls.WorkerSecrets(scriptName), new { name = secretName, text = value, type = WorkerBinding.SecretText }, ct).ConfigureAwait(false);
    }

    /// <summary><c>DELETE A/workers/scripts/{n}/secrets/{name}</c>; false when it was already gone.</summary>
    public Task<bool> DeleteWorkerSecretAsync(string scriptName, string secretName, CancellationToken ct = default) =>
        DeleteIfExistsAsync(Urls.WorkerSecret(scriptName, secretName), ct);

    // ---- zone Worker routes ----

    /// <summary><c>POST Z/workers/routes {pattern, script}</c>; a duplicate pattern throws a conflict (then list).</summary>
    public async Task<WorkerRoute> CreateWorkerRouteAsync(string pattern, string scriptName, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        ArgumentException.ThrowIfNullOrEmpty(scriptName);
        var envelope = await PostJsonAsync(Urls.WorkerRoutes(), new { pattern, script = scriptName }, ct).ConfigureAwait(false);
        var route = Result<WorkerRoute>(envelope);
        RequireId(envelope, route.Id, "route id");
        return route with { Pattern = route.Pattern ?? pattern, Script = route.Script ?? scriptName };
    }

    /// <summary><c>GET Z/workers/routes</c>: every route of the zone.</summary>
    public async Task<IReadOnlyList<WorkerRoute>> ListWorkerRoutesAsync(CancellationToken ct = default)
    {
        var envelope = await GetAsync(Urls.WorkerRoutes(), ct).ConfigureAwait(false);
        var routes = Result<List<WorkerRoute>>(envelope);
        foreach (var route in routes)
        {
            RequireId(envelope, route.Id, "route id");
        }

        return routes;
    }

    /// <summary>The route with exactly <paramref name="pattern"/>, or null (listing after a duplicate).</summary>
    public async Task<WorkerRoute?> FindWorkerRouteAsync(string pattern, CancellationToken ct = default) =>
        (await ListWorkerRoutesAsync(ct).ConfigureAwait(false)).FirstOrDefault(r => string.Equals(r.Pattern, pattern, StringComparison.Ordinal));

    /// <summary><c>DELETE Z/workers/routes/{id}</c>; false when it was already gone.</summary>
    public Task<bool> DeleteWorkerRouteAsync(string routeId, CancellationToken ct = default) =>
        DeleteIfExistsAsync(Urls.WorkerRoute(routeId), ct);

    // ---- custom hostnames ----

    /// <summary><c>GET Z/custom_hostnames?hostname=</c>: the custom hostname exactly <paramref name="hostname"/>, or null.</summary>
    public async Task<CustomHostname?> FindCustomHostnameAsync(string hostname, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(hostname);
        var envelope = await GetAsync(Urls.CustomHostnames(hostname), ct).ConfigureAwait(false);
        var match = Result<List<CustomHostname>>(envelope).FirstOrDefault(h => string.Equals(h.Hostname, hostname, StringComparison.Ordinal));
        if (match is not null)
        {
            RequireId(envelope, match.Id, "custom hostname id");
        }

        return match;
    }

    /// <summary>
    /// <c>POST Z/custom_hostnames {hostname, ssl:{method, type:"dv"}, custom_metadata}</c>: <c>http</c> for NNO's own
    /// names, <c>txt</c> for customer domains.
    /// </summary>
    public async Task<CustomHostname> CreateCustomHostnameAsync(string hostname, CustomHostnameSslMethod method,
        IReadOnlyDictionary<string, string>? customMetadata = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(hostname);
        var body = new
        {
            hostname,
            ssl = new { method = method == CustomHostnameSslMethod.Txt ? "txt" : "http", type = "dv" },
            custom_metadata = customMetadata ?? new Dictionary<string, string>(),
        };
        var envelope = await PostJsonAsync(Urls.CustomHostnames(), body, ct).ConfigureAwait(false);
        var created = Result<CustomHostname>(envelope);
        RequireId(envelope, created.Id, "custom hostname id");
        RequireName(envelope, created.Hostname, hostname, "custom hostname");
        return created;
    }

    /// <summary><c>GET Z/custom_hostnames/{id}</c>, or null when it does not exist.</summary>
    public Task<CustomHostname?> GetCustomHostnameAsync(string id, CancellationToken ct = default) =>
        OrNullWhenNotFound(async () => Result<CustomHostname>(await GetAsync(Urls.CustomHostname(id), ct).ConfigureAwait(false)));

    /// <summary><c>DELETE Z/custom_hostnames/{id}</c>; false when it was already gone.</summary>
    public Task<bool> DeleteCustomHostnameAsync(string id, CancellationToken ct = default) =>
        DeleteIfExistsAsync(Urls.CustomHostname(id), ct);

    // ---- Pages ----

    /// <summary><c>GET A/pages/projects/{p}</c>; null when absent (code 8000007).</summary>
    public Task<PagesProject?> GetPagesProjectAsync(string name, CancellationToken ct = default) =>
        OrNullWhenNotFound(async () => Result<PagesProject>(await GetAsync(Urls.PagesProject(name), ct).ConfigureAwait(false)));

    /// <summary>
    /// <c>POST A/pages/projects {name, production_branch, deployment_configs:{production:{env_vars}}}</c>: a Direct
    /// Upload project whose production build sees <paramref name="productionEnvVars"/> as plain-text variables.
    /// </summary>
    public async Task<PagesProject> CreatePagesProjectAsync(string name, string productionBranch,
        IReadOnlyDictionary<string, string> productionEnvVars, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(productionEnvVars);
        var envVars = productionEnvVars.ToDictionary(kv => kv.Key, kv => new { type = "plain_text", value = kv.Value }, StringComparer.Ordinal);
        var body = new
        {
            name,
            production_branch = productionBranch,
            deployment_configs = new { production = new { env_vars = envVars } },
        };
        var envelope = await PostJsonAsync(Urls.PagesProjects(), body, ct).ConfigureAwait(false);
        var project = Result<PagesProject>(envelope);
        RequireName(envelope, project.Name, name, "Pages project name");
        return project;
    }

    /// <summary><c>DELETE A/pages/projects/{p}</c>; false when it was already gone.</summary>
    public Task<bool> DeletePagesProjectAsync(string name, CancellationToken ct = default) =>
        DeleteIfExistsAsync(Urls.PagesProject(name), ct);

    /// <summary><c>GET A/pages/projects/{p}/domains/{h}</c>; null when absent.</summary>
    public Task<PagesDomain?> GetPagesDomainAsync(string project, string domain, CancellationToken ct = default) =>
        OrNullWhenNotFound(async () => Result<PagesDomain>(await GetAsync(Urls.PagesDomain(project, domain), ct).ConfigureAwait(false)));

    /// <summary><c>POST A/pages/projects/{p}/domains {name}</c>.</summary>
    public async Task<PagesDomain> CreatePagesDomainAsync(string project, string domain, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(domain);
        var envelope = await PostJsonAsync(Urls.PagesDomains(project), new { name = domain }, ct).ConfigureAwait(false);
        var created = Result<PagesDomain>(envelope);
        RequireName(envelope, created.Name, domain, "Pages domain");
        return created;
    }

    /// <summary><c>DELETE A/pages/projects/{p}/domains/{h}</c>; false when it was already gone.</summary>
    public Task<bool> DeletePagesDomainAsync(string project, string domain, CancellationToken ct = default) =>
        DeleteIfExistsAsync(Urls.PagesDomain(project, domain), ct);

    // ---- R2 ----

    /// <summary><c>GET A/r2/buckets/{n}</c>; null when absent (code 10006).</summary>
    public Task<R2Bucket?> GetR2BucketAsync(string name, CancellationToken ct = default) =>
        OrNullWhenNotFound(async () => Result<R2Bucket>(await GetAsync(Urls.R2Bucket(name), ct).ConfigureAwait(false)));

    /// <summary><c>POST A/r2/buckets {name}</c>; an existing bucket throws a conflict (code 10004).</summary>
    public async Task<R2Bucket> CreateR2BucketAsync(string name, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var envelope = await PostJsonAsync(Urls.R2Buckets(), new { name }, ct).ConfigureAwait(false);
        var bucket = envelope.Result is { ValueKind: JsonValueKind.Object } ? Result<R2Bucket>(envelope) : new R2Bucket(name, null, null);
        RequireName(envelope, bucket.Name, name, "R2 bucket name");
        return bucket;
    }

    /// <summary>
    /// <c>DELETE A/r2/buckets/{n}</c>; false when it was already gone. A bucket that still holds objects throws
    /// (<see cref="CloudflareApiException.IsBucketNotEmpty"/>): empty it through <see cref="R2.R2BulkDeleter"/> first.
    /// </summary>
    public Task<bool> DeleteR2BucketAsync(string name, CancellationToken ct = default) =>
        DeleteIfExistsAsync(Urls.R2Bucket(name), ct);

    // ---- KV ----

    /// <summary><c>POST A/storage/kv/namespaces {title}</c>; a taken title throws a conflict (code 10014): then <see cref="FindKvNamespaceAsync"/>.</summary>
    public async Task<KvNamespace> CreateKvNamespaceAsync(string title, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(title);
        var envelope = await PostJsonAsync(Urls.KvNamespaces(), new { title }, ct).ConfigureAwait(false);
        var created = Result<KvNamespace>(envelope);
        RequireId(envelope, created.Id, "KV namespace id");
        RequireName(envelope, created.Title, title, "KV namespace title");
        return created;
    }

    /// <summary><c>GET A/storage/kv/namespaces?page=&amp;per_page=</c>: one page.</summary>
    public async Task<CloudflarePage<KvNamespace>> ListKvNamespacesAsync(int page = 1, int perPage = ListPageSize, CancellationToken ct = default)
    {
        var envelope = await GetAsync(Urls.KvNamespaces(page, perPage), ct).ConfigureAwait(false);
        var items = Result<List<KvNamespace>>(envelope);
        foreach (var item in items)
        {
            RequireId(envelope, item.Id, "KV namespace id");
        }

        return new CloudflarePage<KvNamespace>(items, envelope.ResultInfo);
    }

    /// <summary>The namespace titled exactly <paramref name="title"/>, walking the list pages; null when none.</summary>
    public async Task<KvNamespace?> FindKvNamespaceAsync(string title, CancellationToken ct = default)
    {
        for (var page = 1; page <= MaxListPages; page++)
        {
            var result = await ListKvNamespacesAsync(page, ListPageSize, ct).ConfigureAwait(false);
            if (result.Items.FirstOrDefault(n => string.Equals(n.Title, title, StringComparison.Ordinal)) is { } match)
            {
                return match;
            }

            if (result.Items.Count == 0 || result.ResultInfo?.TotalPages is not { } total || page >= total)
            {
                return null;
            }
        }

        return null;
    }

    /// <summary><c>DELETE A/storage/kv/namespaces/{id}</c>; false when it was already gone.</summary>
    public Task<bool> DeleteKvNamespaceAsync(string namespaceId, CancellationToken ct = default) =>
        DeleteIfExistsAsync(Urls.KvNamespace(namespaceId), ct);

    /// <summary><c>GET A/storage/kv/namespaces/{id}/keys?prefix=&amp;cursor=&amp;limit=</c>: one page of keys.</summary>
    public async Task<KvKeyPage> ListKvKeysAsync(string namespaceId, string? prefix, string? cursor = null, int limit = KvBulkDeleteMax, CancellationToken ct = default)
    {
        var envelope = await GetAsync(Urls.KvKeys(namespaceId, prefix, string.IsNullOrEmpty(cursor) ? null : cursor, limit), ct).ConfigureAwait(false);
        var keys = Result<List<KvKey>>(envelope);
        var next = envelope.ResultInfo?.Cursor;
        return new KvKeyPage(keys, string.IsNullOrEmpty(next) ? null : next);
    }

    /// <summary><c>POST A/storage/kv/namespaces/{id}/bulk/delete [keys]</c>: at most 1,000 keys per call.</summary>
    public async Task DeleteKvKeysAsync(string namespaceId, IReadOnlyList<string> keys, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count is 0 or > KvBulkDeleteMax)
        {
            throw new ArgumentException($"A bulk delete takes 1 to {KvBulkDeleteMax} keys.", nameof(keys));
        }

        await PostJsonAsync(Urls.KvBulkDelete(namespaceId), keys, ct).ConfigureAwait(false);
    }

    // ---- Queues ----

    /// <summary><c>POST A/queues {queue_name}</c>; a taken name throws a conflict: then <see cref="FindQueueAsync"/>.</summary>
    public async Task<CloudflareQueue> CreateQueueAsync(string name, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var envelope = await PostJsonAsync(Urls.Queues(), new { queue_name = name }, ct).ConfigureAwait(false);
        var queue = Result<CloudflareQueue>(envelope);
        RequireId(envelope, queue.QueueId, "queue id");
        RequireName(envelope, queue.QueueName, name, "queue name");
        return queue;
    }

    /// <summary><c>GET A/queues</c>: every queue of the account (page-numbered).</summary>
    public async Task<IReadOnlyList<CloudflareQueue>> ListQueuesAsync(CancellationToken ct = default)
    {
        var queues = await ListAllPagesAsync<CloudflareQueue>(page => Urls.Queues(page, ListPageSize), ct).ConfigureAwait(false);
        foreach (var queue in queues)
        {
            if (!CloudflareIds.IsValid(queue.QueueId))
            {
                throw Failure(CloudflareFailureKind.InvalidResponse, HttpMethod.Get, Urls.Queues(), System.Net.HttpStatusCode.OK, [], null, null, "queue id is not a valid Cloudflare id");
            }
        }

        return queues;
    }

    /// <summary>The queue named exactly <paramref name="name"/>, or null.</summary>
    public async Task<CloudflareQueue?> FindQueueAsync(string name, CancellationToken ct = default) =>
        (await ListQueuesAsync(ct).ConfigureAwait(false)).FirstOrDefault(q => string.Equals(q.QueueName, name, StringComparison.Ordinal));

    /// <summary><c>DELETE A/queues/{id}</c>; false when it was already gone.</summary>
    public Task<bool> DeleteQueueAsync(string queueId, CancellationToken ct = default) =>
        DeleteIfExistsAsync(Urls.Queue(queueId), ct);
}

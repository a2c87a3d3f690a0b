using System.Text.Json;
using System.Text.Json.Serialization;

namespace Nno.Provisioning.Cloudflare;

// Cloudflare's answer shapes, read with snake_case names (CloudflareJson). Only the fields NNO uses are declared;
// Cloudflare adds fields freely, so unknown ones are ignored here (unlike NNO's own strict wire JSON).

/// <summary><c>result_info</c> of a list: page-numbered (<c>page</c>, <c>total_pages</c>) or cursor-based (<c>cursor</c>).</summary>
public sealed record CloudflareResultInfo(int? Page, int? PerPage, int? Count, int? TotalCount, int? TotalPages, string? Cursor);

/// <summary>One page of a list.</summary>
public sealed record CloudflarePage<T>(IReadOnlyList<T> Items, CloudflareResultInfo? ResultInfo);

/// <summary>Answer of the token verify calls.</summary>
public sealed record CloudflareTokenStatus(string Id, string Status);

/// <summary>A zone.</summary>
public sealed record CloudflareZone(string Id, string? Name, string? Status);

/// <summary>A D1 database.</summary>
public sealed record D1Database(string Uuid, string Name, string? CreatedAt, string? Version);

/// <summary>One SQL statement with positional <c>?</c> parameters (strings, integers, reals, null).</summary>
public sealed record D1Statement(string Sql, IReadOnlyList<object?>? Params = null);

/// <summary><c>meta</c> of one statement's result.</summary>
public sealed record D1QueryMeta(bool? ChangedDb, long? Changes, double? Duration, long? LastRowId, long? RowsRead, long? RowsWritten, long? SizeAfter);

/// <summary>One statement's result: its rows as column → value.</summary>
public sealed record D1QueryResult(IReadOnlyList<IReadOnlyDictionary<string, JsonElement>> Results, bool Success, D1QueryMeta? Meta);

/// <summary>
/// One Worker binding as the upload metadata and the settings answer spell it: <c>type</c> and <c>name</c> plus the
/// field of that type (<c>id</c> for d1, <c>namespace_id</c> for kv_namespace, <c>bucket_name</c> for r2_bucket,
/// <c>queue_name</c> for queue, <c>text</c> for plain_text).
/// </summary>
public sealed record WorkerBinding
{
    public const string D1 = "d1";
    public const string KvNamespace = "kv_namespace";
    public const string R2Bucket = "r2_bucket";
    public const string Queue = "queue";
    public const string PlainText = "plain_text";
    public const string SecretText = "secret_text";

    public required string Type { get; init; }

    public required string Name { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Id { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? NamespaceId { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? BucketName { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? QueueName { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Text { get; init; }

    /// <summary>A D1 binding.</summary>
    public static WorkerBinding ForD1(string name, string databaseId) => new() { Type = D1, Name = name, Id = databaseId };

    /// <summary>A KV namespace binding.</summary>
    public static WorkerBinding ForKv(string name, string namespaceId) => new() { Type = KvNamespace, Name = name, NamespaceId = namespaceId };

    /// <summary>An R2 bucket binding.</summary>
    public static WorkerBinding ForR2(string name, string bucketName) => new() { Type = R2Bucket, Name = name, BucketName = bucketName };

    /// <summary>A queue producer binding.</summary>
    public static WorkerBinding ForQueue(string name, string queueName) => new() { Type = Queue, Name = name, QueueName = queueName };

    /// <summary>A plain-text variable.</summary>
    public static WorkerBinding ForText(string name, string text) => new() { Type = PlainText, Name = name, Text = text };
}

/// <summary>The <c>metadata</c> part of a module Worker upload (provisioning.md §4.7).</summary>
public sealed record WorkerMetadata
{
    public required string MainModule { get; init; }

    public required string CompatibilityDate { get; init; }

    public required IReadOnlyList<WorkerBinding> Bindings { get; init; }

    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>Binding types Cloudflare keeps from the previous version (<c>secret_text</c>, so uploads never drop secrets).</summary>
    public IReadOnlyList<string> KeepBindings { get; init; } = [];
}

/// <summary>One ES module of an upload; the part's name and file name are <see cref="Name"/>.</summary>
public sealed record WorkerModule(string Name, ReadOnlyMemory<byte> Content, string ContentType = WorkerModule.JavaScriptModule)
{
    public const string JavaScriptModule = "application/javascript+module";
}

/// <summary>A complete Worker upload: metadata plus the main module and any further modules.</summary>
public sealed record WorkerUpload(WorkerMetadata Metadata, IReadOnlyList<WorkerModule> Modules);

/// <summary>Answer of a script upload.</summary>
public sealed record WorkerScript(string? Id, string? Etag, string? ModifiedOn);

/// <summary>A script's settings (<c>GET …/settings</c>): its bindings, compatibility date and tags.</summary>
public sealed record WorkerSettings(IReadOnlyList<WorkerBinding>? Bindings, string? CompatibilityDate, IReadOnlyList<string>? Tags);

/// <summary>A secret's name and type as Cloudflare lists them (never a value).</summary>
public sealed record WorkerSecret(string Name, string? Type);

/// <summary>A zone Worker route.</summary>
public sealed record WorkerRoute(string Id, string Pattern, string? Script);

/// <summary>SSL validation method of a custom hostname.</summary>
public enum CustomHostnameSslMethod
{
    /// <summary>HTTP validation: NNO's own names under the platform zone.</summary>
    Http,

    /// <summary>TXT validation: customer domains, which must publish records.</summary>
    Txt,
}

/// <summary>One validation record of a custom hostname's certificate.</summary>
public sealed record CustomHostnameValidationRecord(string? TxtName, string? TxtValue, string? HttpUrl, string? HttpBody, string? Status);

/// <summary>A custom hostname's certificate state.</summary>
public sealed record CustomHostnameSsl(string? Id, string? Type, string? Method, string? Status, IReadOnlyList<CustomHostnameValidationRecord>? ValidationRecords);

/// <summary>The ownership TXT record a customer domain must publish.</summary>
public sealed record CustomHostnameOwnership(string? Type, string? Name, string? Value);

/// <summary>A custom hostname (Cloudflare for SaaS).</summary>
public sealed record CustomHostname(
    string Id,
    string Hostname,
    string? Status,
    CustomHostnameSsl? Ssl,
    CustomHostnameOwnership? OwnershipVerification,
    IReadOnlyDictionary<string, string>? CustomMetadata,
    string? CreatedAt);

/// <summary>A Pages project (only what NNO reads).</summary>
public sealed record PagesProject(string? Id, string Name, string? Subdomain, IReadOnlyList<string>? Domains, string? ProductionBranch, string? CreatedOn);

/// <summary>A Pages project's custom domain.</summary>
public sealed record PagesDomain(string? Id, string Name, string? Status);

/// <summary>An R2 bucket.</summary>
public sealed record R2Bucket(string Name, string? CreationDate, string? Location);

/// <summary>A KV namespace.</summary>
public sealed record KvNamespace(string Id, string Title);

/// <summary>A KV key as listed (no value).</summary>
public sealed record KvKey(string Name, long? Expiration);

/// <summary>One page of KV keys; <see cref="Cursor"/> is null or empty on the last page.</summary>
public sealed record KvKeyPage(IReadOnlyList<KvKey> Keys, string? Cursor);

/// <summary>A queue.</summary>
public sealed record CloudflareQueue(string QueueId, string QueueName, string? CreatedOn, string? ModifiedOn);

using System.Text.Json;

namespace Nno.Storage;

/// <summary>
/// Named KV namespaces with Cloudflare KV semantics (00-system §9). Embedded mode keeps each namespace in SQLite;
/// a distributed implementation (Redis) serves the same contract, so callers never know which one they use.
/// </summary>
public interface IKeyValueStore
{
    /// <summary>The namespace <paramref name="name"/> (for example <see cref="KvNamespaces.PlatformStatus"/>); <c>[A-Za-z0-9_-]{1,64}</c>.</summary>
    IKeyValueNamespace GetNamespace(string name);
}

/// <summary>
/// One KV namespace. Keys are strings (at most 512 UTF-8 bytes), values bytes, each with optional JSON metadata and an
/// optional expiration. An expired key is invisible to every read and list from the moment it expires.
/// </summary>
public interface IKeyValueNamespace
{
    string Name { get; }

    /// <summary>The value, metadata and expiration of <paramref name="key"/>, or null when it is missing or expired.</summary>
    Task<KvEntry?> GetAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Creates or replaces <paramref name="key"/>: value, metadata and expiration all replaced (none kept from before).</summary>
    Task PutAsync(string key, ReadOnlyMemory<byte> value, KvPutOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Removes <paramref name="key"/>; removing a missing key succeeds.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Key names (with expiration and metadata) in byte order of their UTF-8 encoding, starting with
    /// <see cref="KvListOptions.Prefix"/>, one page at a time: pass the returned <see cref="KvListResult.Cursor"/> to get
    /// the next page until <see cref="KvListResult.ListComplete"/>.
    /// </summary>
    Task<KvListResult> ListAsync(KvListOptions? options = null, CancellationToken cancellationToken = default);
}

/// <summary>How a value is stored: absolute <see cref="Expiration"/> or relative <see cref="ExpirationTtl"/> (not both), and metadata.</summary>
public sealed record KvPutOptions
{
    /// <summary>When the key stops existing.</summary>
    public DateTimeOffset? Expiration { get; init; }

    /// <summary>How long from now the key exists.</summary>
    public TimeSpan? ExpirationTtl { get; init; }

    /// <summary>Arbitrary JSON (at most 1,024 bytes serialized) returned by get and list.</summary>
    public JsonElement? Metadata { get; init; }

    /// <summary>Options carrying <paramref name="metadata"/> serialized with <see cref="StorageJson.Options"/> (or <paramref name="json"/>).</summary>
    public static KvPutOptions WithMetadata<T>(T metadata, JsonSerializerOptions? json = null) =>
        new() { Metadata = JsonSerializer.SerializeToElement(metadata, json ?? StorageJson.Options) };
}

/// <summary>A stored value with its metadata and expiration.</summary>
public sealed record KvEntry(ReadOnlyMemory<byte> Value, JsonElement? Metadata, DateTimeOffset? Expiration)
{
    /// <summary>The value as UTF-8 text.</summary>
    public string ValueAsString() => System.Text.Encoding.UTF8.GetString(Value.Span);

    /// <summary>The value deserialized from JSON.</summary>
    public T? ValueAsJson<T>(JsonSerializerOptions? json = null) => JsonSerializer.Deserialize<T>(Value.Span, json ?? StorageJson.Options);

    /// <summary>The metadata deserialized, or default when there is none.</summary>
    public T? MetadataAs<T>(JsonSerializerOptions? json = null) =>
        Metadata is { } m ? m.Deserialize<T>(json ?? StorageJson.Options) : default;
}

/// <summary>A list request: keys starting with <see cref="Prefix"/>, at most <see cref="Limit"/>, after <see cref="Cursor"/>.</summary>
public sealed record KvListOptions
{
    public string? Prefix { get; init; }

    /// <summary>Keys per page (default and maximum 1,000).</summary>
    public int? Limit { get; init; }

    /// <summary>The cursor of the previous page (opaque), with the same prefix.</summary>
    public string? Cursor { get; init; }
}

/// <summary>One listed key.</summary>
public sealed record KvKeyInfo(string Name, DateTimeOffset? Expiration, JsonElement? Metadata)
{
    public T? MetadataAs<T>(JsonSerializerOptions? json = null) =>
        Metadata is { } m ? m.Deserialize<T>(json ?? StorageJson.Options) : default;
}

/// <summary>A page of keys; <see cref="Cursor"/> is null when <see cref="ListComplete"/>.</summary>
public sealed record KvListResult(IReadOnlyList<KvKeyInfo> Keys, bool ListComplete, string? Cursor);

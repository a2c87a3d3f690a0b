using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace Nno.Storage;

/// <summary>String and JSON conveniences over <see cref="IKeyValueNamespace"/>'s byte values.</summary>
public static class KeyValueNamespaceExtensions
{
    /// <summary>The value of <paramref name="key"/> as UTF-8 text, or null when missing or expired.</summary>
    public static async Task<string?> GetStringAsync(this IKeyValueNamespace kv, string key, CancellationToken cancellationToken = default) =>
        (await kv.GetAsync(key, cancellationToken))?.ValueAsString();

    /// <summary>The value of <paramref name="key"/> deserialized from JSON, or default when missing or expired.</summary>
    public static async Task<T?> GetJsonAsync<T>(this IKeyValueNamespace kv, string key, JsonSerializerOptions? json = null, CancellationToken cancellationToken = default)
    {
        var entry = await kv.GetAsync(key, cancellationToken);
        return entry is null ? default : entry.ValueAsJson<T>(json);
    }

    /// <summary>Stores <paramref name="value"/> as UTF-8 text.</summary>
    public static Task PutStringAsync(this IKeyValueNamespace kv, string key, string value, KvPutOptions? options = null, CancellationToken cancellationToken = default) =>
        kv.PutAsync(key, Encoding.UTF8.GetBytes(value), options, cancellationToken);

    /// <summary>Stores <paramref name="value"/> as JSON (<see cref="StorageJson.Options"/> unless <paramref name="json"/> is given).</summary>
    public static Task PutJsonAsync<T>(this IKeyValueNamespace kv, string key, T value, KvPutOptions? options = null, JsonSerializerOptions? json = null, CancellationToken cancellationToken = default) =>
        kv.PutAsync(key, JsonSerializer.SerializeToUtf8Bytes(value, json ?? StorageJson.Options), options, cancellationToken);

    /// <summary>Every key under <paramref name="prefix"/>, page by page (for reconciliation-style scans).</summary>
    public static async IAsyncEnumerable<KvKeyInfo> ListAllAsync(this IKeyValueNamespace kv, string? prefix = null, int? pageSize = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? cursor = null;
        while (true)
        {
            var page = await kv.ListAsync(new KvListOptions { Prefix = prefix, Limit = pageSize, Cursor = cursor }, cancellationToken);
            foreach (var key in page.Keys)
            {
                yield return key;
            }

            if (page.ListComplete)
            {
                yield break;
            }

            cursor = page.Cursor;
        }
    }
}

using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace Nno.Sandbox.Stripe.Common;

/// <summary>
/// Stripe's <c>expand[]</c>: each dotted path names a field holding an object id (<c>customer</c>,
/// <c>items.data.price</c>, <c>data.product</c> in a list); the id is replaced by the stored object. Arrays on the way
/// apply the rest of the path to each element; an id met before the last segment is expanded too (as Stripe does for
/// nested expansions). A path that does not lead to an expandable field is a 400.
/// </summary>
public static class StripeExpand
{
    private const int MaxDepth = 4;

    /// <summary>Expands <paramref name="paths"/> in <paramref name="root"/> (in place) from <paramref name="store"/>.</summary>
    public static Task ApplyAsync(JsonObject root, IReadOnlyList<string> paths, StripeStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        return ApplyAsync(root, paths, id => store.GetObjectAsync(id, null, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// Expands inside a write (objects created by it are visible): a create or update fails before it commits when its
    /// <c>expand</c> is invalid, as Stripe checks it before doing anything.
    /// </summary>
    public static Task ApplyAsync(
        JsonObject root, IReadOnlyList<string> paths, SqliteConnection connection, SqliteTransaction transaction, CancellationToken cancellationToken) =>
        ApplyAsync(root, paths, id => StripeStore.GetObjectAsync(connection, transaction, id, null, cancellationToken), cancellationToken);

    /// <summary>Expands <paramref name="paths"/> in <paramref name="root"/> (in place), loading objects with <paramref name="load"/>.</summary>
    public static async Task ApplyAsync(JsonObject root, IReadOnlyList<string> paths, Func<string, Task<JsonObject?>> load, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(load);
        for (var i = 0; i < paths.Count; i++)
        {
            var path = paths[i];
            var segments = path.Split('.');
            var listPrefix = root["object"]?.GetValue<string>() == "list" ? 1 : 0;
            if (segments.Any(s => s.Length == 0) || segments.Length - listPrefix > MaxDepth)
            {
                throw StripeException.Invalid($"expand[{i}]", $"This property cannot be expanded ({path}).");
            }

            if (!await WalkAsync(root, segments, 0, load, cancellationToken))
            {
                throw StripeException.Invalid($"expand[{i}]", $"This property cannot be expanded ({path}).");
            }
        }
    }

    private static async Task<bool> WalkAsync(JsonNode node, string[] segments, int index, Func<string, Task<JsonObject?>> load, CancellationToken cancellationToken)
    {
        if (node is JsonArray array)
        {
            foreach (var element in array.ToArray())
            {
                if (element is not null && !await WalkAsync(element, segments, index, load, cancellationToken))
                {
                    return false;
                }
            }

            return true;
        }

        if (node is not JsonObject obj || !obj.TryGetPropertyValue(segments[index], out var child))
        {
            return false;
        }

        var key = segments[index];
        if (child is JsonValue value && value.TryGetValue<string>(out var id))
        {
            var loaded = await load(id);
            if (loaded is null)
            {
                return false;
            }

            obj[key] = loaded;
            child = loaded;
        }
        else if (child is null)
        {
            // An unset expandable field stays null.
            return index == segments.Length - 1;
        }

        if (index == segments.Length - 1)
        {
            return child is JsonObject;
        }

        return await WalkAsync(child, segments, index + 1, load, cancellationToken);
    }
}

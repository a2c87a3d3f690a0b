using System.Text.Json.Nodes;

namespace Nno.Sandbox.Stripe.Common;

/// <summary>Small helpers for building and changing Stripe objects.</summary>
public static class StripeObjects
{
    /// <summary><paramref name="values"/> as a JSON object (<c>metadata</c>).</summary>
    public static JsonObject Metadata(IReadOnlyDictionary<string, string>? values)
    {
        var result = new JsonObject();
        foreach (var (key, value) in values ?? new Dictionary<string, string>())
        {
            result[key] = value;
        }

        return result;
    }

    /// <summary>
    /// Merges a <c>metadata</c> update into <paramref name="current"/> as Stripe does: keys set, empty values remove
    /// keys, an empty hash (<c>metadata=</c>) clears everything.
    /// </summary>
    public static JsonObject MergeMetadata(JsonObject current, IReadOnlyDictionary<string, string> update)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(update);
        if (update.Count == 0)
        {
            return new JsonObject();
        }

        var result = current.DeepClone().AsObject();
        foreach (var (key, value) in update)
        {
            if (value.Length == 0)
            {
                result.Remove(key);
            }
            else
            {
                result[key] = value;
            }
        }

        return result;
    }

    /// <summary>Checks metadata limits (50 keys, keys ≤ 40 characters without brackets, values ≤ 500).</summary>
    public static void CheckMetadata(IReadOnlyDictionary<string, string>? metadata, string param = "metadata")
    {
        if (metadata is null)
        {
            return;
        }

        if (metadata.Count > 50)
        {
            throw StripeException.Invalid(param, "Invalid metadata: metadata can have at most 50 keys.");
        }

        foreach (var (key, value) in metadata)
        {
            if (key.Length is 0 or > 40)
            {
                throw StripeException.Invalid($"{param}[{key}]", "Invalid metadata: keys must be 1 to 40 characters long.");
            }

            if (value.Length > 500)
            {
                throw StripeException.Invalid($"{param}[{key}]", "Invalid metadata: values must be at most 500 characters long.");
            }
        }
    }

    /// <summary>
    /// Sets <paramref name="key"/> to <paramref name="value"/> and records its old value in <paramref name="previous"/>
    /// when it changed (the event's <c>previous_attributes</c>).
    /// </summary>
    public static void Change(JsonObject target, JsonObject previous, string key, JsonNode? value)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(previous);
        var old = target[key];
        if (JsonNode.DeepEquals(old, value))
        {
            return;
        }

        previous[key] = old?.DeepClone();
        target[key] = value;
    }
}

using System.Text.Json;

namespace Nno.Core.Features;

/// <summary>
/// The secret-like key rule of cli-service.md §4: feature <c>config</c> is committed in plain text, so an object key
/// anywhere in it that names a secret is refused. The key is lower-cased, <c>_</c>, <c>-</c> and <c>.</c> are removed,
/// and it is secret-like when the result ends with one of the listed words (<c>apiToken</c>, <c>webhook_secret</c>,
/// <c>stripeSecretKey</c>); ordinary settings pass (<c>maxTokens</c>, <c>passwordMinLength</c>, <c>tokenUrl</c>,
/// <c>cacheKey</c>). The Registry, Provisioning, the Stack Registry and the CLI service apply the same rule.
/// </summary>
public static class SecretLikeKeys
{
    /// <summary>The problem text for a secret-like key.</summary>
    public const string Problem = "looks like a secret; secrets go through the Registry's feature secrets, never into config";

    // Whole words at the end of the folded key; longer words first only for readability (EndsWith checks them all).
    private static readonly string[] Endings =
    [
        "secret", "secrets", "password", "passwd", "passphrase", "token", "credential", "credentials", "apikey", "secretkey",
        "privatekey", "accesskey",
    ];

    /// <summary>True when <paramref name="key"/> names a secret by the rule.</summary>
    public static bool IsSecretLike(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        Span<char> folded = key.Length <= 256 ? stackalloc char[key.Length] : new char[key.Length];
        var length = 0;
        foreach (var c in key)
        {
            if (c is not ('_' or '-' or '.'))
            {
                folded[length++] = char.ToLowerInvariant(c);
            }
        }

        ReadOnlySpan<char> result = folded[..length];
        foreach (var ending in Endings)
        {
            if (result.EndsWith(ending, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The paths of every secret-like key anywhere in <paramref name="config"/> (objects inside objects and arrays),
    /// each as <paramref name="basePath"/> followed by <c>.key</c> or <c>[index]</c>, in document order.
    /// </summary>
    public static IReadOnlyList<string> Find(JsonElement config, string basePath)
    {
        ArgumentNullException.ThrowIfNull(basePath);
        var found = new List<string>();
        Walk(config, basePath, found);
        return found;
    }

    private static void Walk(JsonElement element, string path, List<string> found)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    var child = path + "." + property.Name;
                    if (IsSecretLike(property.Name))
                    {
                        found.Add(child);
                    }

                    Walk(property.Value, child, found);
                }

                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Walk(item, $"{path}[{index++}]", found);
                }

                break;
        }
    }
}

using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;

namespace Nno.Sandbox.Stripe.Common;

/// <summary>
/// The parameters of one Stripe request: <c>application/x-www-form-urlencoded</c> pairs with bracket nesting
/// (<c>metadata[platformId]=p</c>, <c>items[0][price]=x</c>, <c>expand[]=a</c>, <c>created[gte]=1</c>) in any order,
/// parsed into a tree. Readers fail with Stripe's 400 errors naming the parameter.
/// </summary>
public sealed class StripeParams
{
    private readonly Dictionary<string, Node> _root;
    private readonly string _prefix;

    private StripeParams(Dictionary<string, Node> root, string prefix, string fingerprint)
    {
        _root = root;
        _prefix = prefix;
        Fingerprint = fingerprint;
    }

    /// <summary>No parameters.</summary>
    public static StripeParams Empty { get; } = new(new Dictionary<string, Node>(StringComparer.Ordinal), "", Hash([]));

    /// <summary>
    /// A hash of the pairs in a canonical order: two requests with the same parameters in another order have the same
    /// fingerprint (the idempotency check compares it).
    /// </summary>
    public string Fingerprint { get; }

    /// <summary>The top-level parameter names.</summary>
    public IEnumerable<string> Names => _root.Keys;

    /// <summary>Parses an urlencoded text (a body, or a query string with or without its <c>?</c>).</summary>
    public static StripeParams Parse(string? text)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        if (text is ['?', ..])
        {
            text = text[1..];
        }

        if (!string.IsNullOrEmpty(text))
        {
            var reader = new FormReader(text);
            while (reader.ReadNextPair() is { } pair)
            {
                pairs.Add(new KeyValuePair<string, string>(pair.Key, pair.Value));
            }
        }

        var root = new Dictionary<string, Node>(StringComparer.Ordinal);
        foreach (var (key, value) in pairs)
        {
            Insert(root, key, value);
        }

        return new StripeParams(root, "", Hash(pairs));
    }

    /// <summary>Whether <paramref name="name"/> was sent.</summary>
    public bool Has(string name) => _root.ContainsKey(name);

    /// <summary>Refuses any top-level parameter not in <paramref name="allowed"/> (400 <c>parameter_unknown</c>).</summary>
    public void OnlyAllow(params string[] allowed)
    {
        ArgumentNullException.ThrowIfNull(allowed);
        foreach (var name in _root.Keys)
        {
            if (!allowed.Contains(name, StringComparer.Ordinal))
            {
                throw StripeException.Invalid(Full(name), $"Received unknown parameter: {Full(name)}", StripeErrorCodes.ParameterUnknown);
            }
        }
    }

    /// <summary>A string parameter; null when absent. An empty string is returned as "" (callers decide: often "unset").</summary>
    public string? GetString(string name)
    {
        if (!_root.TryGetValue(name, out var node))
        {
            return null;
        }

        return node.Value ?? throw StripeException.Invalid(Full(name), $"Invalid string: {{...}} for {Full(name)}");
    }

    /// <summary>A string parameter that must be present and non-empty (400 <c>parameter_missing</c>).</summary>
    public string RequiredString(string name)
    {
        var value = GetString(name);
        return string.IsNullOrEmpty(value) ? throw StripeException.Missing(Full(name)) : value;
    }

    /// <summary>An integer parameter; null when absent (400 <c>parameter_invalid_integer</c> when not an integer).</summary>
    public long? GetInteger(string name)
    {
        var text = GetString(name);
        if (text is null)
        {
            return null;
        }

        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw StripeException.Invalid(Full(name), $"Invalid integer: {text}", StripeErrorCodes.ParameterInvalidInteger);
    }

    /// <summary>A boolean parameter (<c>true</c>/<c>false</c>); null when absent.</summary>
    public bool? GetBoolean(string name)
    {
        var text = GetString(name);
        return text switch
        {
            null => null,
            "true" => true,
            "false" => false,
            _ => throw StripeException.Invalid(Full(name), $"Invalid boolean: {text}"),
        };
    }

    /// <summary>
    /// An array parameter (<c>name[0]=a&amp;name[1]=b</c> or <c>name[]=a</c>), in index order; empty when absent. A single
    /// plain value counts as a one-element array, as Stripe accepts <c>expand=x</c>.
    /// </summary>
    public IReadOnlyList<string> GetList(string name)
    {
        if (!_root.TryGetValue(name, out var node))
        {
            return [];
        }

        if (node.Value is { } single)
        {
            return single.Length == 0 ? [] : [single];
        }

        var items = new List<(int Index, string Value)>();
        foreach (var (key, child) in node.Children!)
        {
            if (!int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var index) || child.Value is null)
            {
                throw StripeException.Invalid(Full(name), $"Invalid array for {Full(name)}");
            }

            items.Add((index, child.Value));
        }

        return items.OrderBy(i => i.Index).Select(i => i.Value).ToArray();
    }

    /// <summary>A hash of strings (<c>metadata[k]=v</c>); null when absent. An empty string value means "unset that key".</summary>
    public IReadOnlyDictionary<string, string>? GetHash(string name)
    {
        if (!_root.TryGetValue(name, out var node))
        {
            return null;
        }

        if (node.Value is { } text)
        {
            // metadata="" unsets every key; any other plain value is not a hash.
            return text.Length == 0 ? new Dictionary<string, string>() : throw StripeException.Invalid(Full(name), $"Invalid hash for {Full(name)}");
        }

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, child) in node.Children!)
        {
            result[key] = child.Value ?? throw StripeException.Invalid($"{Full(name)}[{key}]", $"Invalid string: {{...}} for {Full(name)}[{key}]");
        }

        return result;
    }

    /// <summary>A nested object parameter (<c>recurring[interval]</c>, <c>created[gte]</c>); null when absent or a plain value.</summary>
    public StripeParams? GetObject(string name)
    {
        if (!_root.TryGetValue(name, out var node) || node.Children is null)
        {
            return null;
        }

        return new StripeParams(node.Children, Full(name), Fingerprint);
    }

    /// <summary>The full name of a child parameter, as error messages and <c>param</c> show it (<c>recurring[interval]</c>).</summary>
    public string Full(string name) => _prefix.Length == 0 ? name : $"{_prefix}[{name}]";

    private static void Insert(Dictionary<string, Node> root, string key, string value)
    {
        var open = key.IndexOf('[', StringComparison.Ordinal);
        var head = open < 0 ? key : key[..open];
        var segments = new List<string> { head };
        var rest = open < 0 ? "" : key[open..];
        while (rest.Length > 0)
        {
            var close = rest.IndexOf(']', StringComparison.Ordinal);
            if (rest[0] != '[' || close < 0)
            {
                throw StripeException.Invalid(key, $"Invalid parameter name: {key}");
            }

            segments.Add(rest[1..close]);
            rest = rest[(close + 1)..];
        }

        if (head.Length == 0)
        {
            throw StripeException.Invalid(key, $"Invalid parameter name: {key}");
        }

        Dictionary<string, Node> level = root;
        for (var i = 0; i < segments.Count; i++)
        {
            var segment = segments[i];
            if (segment.Length == 0)
            {
                // name[]=a appends: the next free index.
                segment = level.Count.ToString(CultureInfo.InvariantCulture);
            }

            var last = i == segments.Count - 1;
            if (last)
            {
                if (level.TryGetValue(segment, out var existing) && existing.Children is not null)
                {
                    throw StripeException.Invalid(key, $"Invalid parameter: {key} is both a value and a hash");
                }

                level[segment] = new Node(value, null);
                return;
            }

            if (!level.TryGetValue(segment, out var node))
            {
                node = new Node(null, new Dictionary<string, Node>(StringComparer.Ordinal));
                level[segment] = node;
            }
            else if (node.Children is null)
            {
                throw StripeException.Invalid(key, $"Invalid parameter: {key} is both a value and a hash");
            }

            level = node.Children!;
        }
    }

    private static string Hash(List<KeyValuePair<string, string>> pairs)
    {
        var canonical = new StringBuilder();
        foreach (var (key, value) in pairs.OrderBy(p => p.Key, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal))
        {
            canonical.Append(Uri.EscapeDataString(key)).Append('=').Append(Uri.EscapeDataString(value)).Append('&');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical.ToString())));
    }

    private sealed record Node(string? Value, Dictionary<string, Node>? Children);
}

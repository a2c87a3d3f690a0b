using System.Text.Json;
using Nno.Core.Features;
using Nno.Core.Json;
using Nno.Stacks.Definitions;

namespace Nno.Registry.Stacks;

/// <summary>A FeatureRef of a Path B request (stack-registry.md §4.1).</summary>
internal sealed record FeatureRefInput
{
    public string? Id { get; init; }

    public string? Version { get; init; }

    public bool? Required { get; init; }

    public bool? Service { get; init; }

    public IReadOnlyList<string>? DependsOn { get; init; }

    public JsonElement? Config { get; init; }
}

/// <summary>The shared resources of a Path B request: exactly <c>{ d1, r2, kv }</c>.</summary>
internal sealed record StackResourcesInput
{
    public bool? D1 { get; init; }

    public bool? R2 { get; init; }

    public bool? Kv { get; init; }
}

/// <summary>One feature of a stored definition: id, version, and whether it may be deactivated on its own.</summary>
internal sealed record DefinitionFeature(string Id, string Version, bool Required, JsonElement Config);

/// <summary>
/// Stack definitions as the Registry handles them (registry.md §3.6): Path B input checked by the FeatureRef rules of
/// stack-registry.md §4.1 and sent as <c>{ schemaVersion: 1, name: "custom", version: "0.0.0", features, resources }</c>;
/// stored definitions (Path B input, then the manifest Provisioning reports) read back for their features.
/// </summary>
internal static class StackDefinitions
{
    public const int MaxFeatures = StackDefinitionRules.MaxFeatures;
    public const int MaxConfigBytes = 16 * 1024;
    public const int MaxConfigDepth = 10;

    private const string DefinitionPath = "definition";

    /// <summary>The name and version of a Path B definition (provisioning.md §3, P6).</summary>
    public const string CustomName = "custom";

    public const string CustomVersion = "0.0.0";

    /// <summary>
    /// Checks Path B's <paramref name="features"/> and <paramref name="resources"/>, adding problems keyed by path
    /// (<c>features[2].id</c>): the definition Provisioning will receive must pass the StackDefinition rules of
    /// stack-registry.md §4.1 (the shared <see cref="StackDefinitionRules"/>, as the Stack Registry and P6 apply them),
    /// and each <c>config</c> the Registry's own config rule (registry.md §3.2).
    /// </summary>
    public static void Check(Dictionary<string, string[]> problems, IReadOnlyList<FeatureRefInput>? features, StackResourcesInput? resources)
    {
        if (features is null || features.Count is 0 or > MaxFeatures)
        {
            problems["features"] = [$"must be 1–{MaxFeatures} features"];
            return;
        }

        var complete = true;
        for (var i = 0; i < features.Count; i++)
        {
            if (features[i] is null)
            {
                problems[$"features[{i}]"] = ["must be an object"];
                complete = false;
            }
        }

        if (resources is null || resources.D1 is null || resources.R2 is null || resources.Kv is null)
        {
            problems["resources"] = ["must be exactly { d1, r2, kv } with a boolean each"];
            complete = false;
        }

        if (!complete)
        {
            return;
        }

        var found = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        StackDefinitionRules.Check(Custom(features, resources!), CustomName, CustomVersion, DefinitionPath, found);
        foreach (var (path, list) in found)
        {
            // The request carries features and resources at the top level, not inside a definition.
            var field = path.StartsWith(DefinitionPath + ".", StringComparison.Ordinal) ? path[(DefinitionPath.Length + 1)..] : "features";
            problems.TryAdd(field, [.. list]);
        }

        for (var i = 0; i < features.Count; i++)
        {
            if (features[i].Config is { } config && ConfigProblem(config) is { } configProblem)
            {
                problems.TryAdd($"features[{i}].config", [configProblem]);
            }
        }
    }

    /// <summary>The StackDefinition Provisioning receives for a Path B stack.</summary>
    public static JsonElement Custom(IReadOnlyList<FeatureRefInput> features, StackResourcesInput resources) => JsonSerializer.SerializeToElement(new
    {
        schemaVersion = 1,
        name = CustomName,
        version = CustomVersion,
        features = features.Select(f => new Dictionary<string, object?>
        {
            ["id"] = f.Id,
            ["version"] = f.Version,
            ["required"] = f.Required ?? true,
            ["service"] = f.Service ?? false,
            ["dependsOn"] = f.DependsOn ?? [],
            ["config"] = f.Config ?? JsonSerializer.SerializeToElement(new { }),
        }),
        resources = new { d1 = resources.D1, r2 = resources.R2, kv = resources.Kv },
    }, NnoJson.Options);

    /// <summary>What is wrong with a <c>config</c> value (registry.md §3.2): an object ≤16 KiB, depth ≤10, keys ≤64 and none secret-like.</summary>
    public static string? ConfigProblem(JsonElement config)
    {
        if (config.ValueKind != JsonValueKind.Object)
        {
            return "must be a JSON object";
        }

        if (JsonSerializer.SerializeToUtf8Bytes(config).Length > MaxConfigBytes)
        {
            return "must be at most 16 KiB";
        }

        return Walk(config, 1);

        static string? Walk(JsonElement element, int depth)
        {
            if (depth > MaxConfigDepth)
            {
                return $"must be at most {MaxConfigDepth} levels deep";
            }

            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject())
                    {
                        if (property.Name.Length is 0 or > 64)
                        {
                            return "keys must be 1–64 characters";
                        }

                        if (SecretLikeKeys.IsSecretLike(property.Name))
                        {
                            return $"key '{property.Name}' " + SecretLikeKeys.Problem;
                        }

                        if (Walk(property.Value, depth + 1) is { } problem)
                        {
                            return problem;
                        }
                    }

                    return null;
                case JsonValueKind.Array:
                    foreach (var item in element.EnumerateArray())
                    {
                        if (Walk(item, depth + 1) is { } problem)
                        {
                            return problem;
                        }
                    }

                    return null;
                default:
                    return null;
            }
        }
    }

    /// <summary>The features of a stored definition (null when there is none or it cannot be read).</summary>
    public static List<DefinitionFeature>? Features(string? definition)
    {
        if (definition is null)
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(definition);
            return Features(doc.RootElement);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The features of a definition (null when it has no readable <c>features</c> array).</summary>
    public static List<DefinitionFeature>? Features(JsonElement definition)
    {
        if (definition.ValueKind != JsonValueKind.Object || !definition.TryGetProperty("features", out var features) || features.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var list = new List<DefinitionFeature>();
        foreach (var feature in features.EnumerateArray())
        {
            if (feature.ValueKind != JsonValueKind.Object
                || !feature.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String
                || !feature.TryGetProperty("version", out var version) || version.ValueKind != JsonValueKind.String)
            {
                return null;
            }

            var required = !feature.TryGetProperty("required", out var r) || r.ValueKind != JsonValueKind.False;
            var config = feature.TryGetProperty("config", out var c) && c.ValueKind == JsonValueKind.Object ? c.Clone() : JsonSerializer.SerializeToElement(new { });
            list.Add(new DefinitionFeature(id.GetString()!, version.GetString()!, required, config));
        }

        return list;
    }

    /// <summary>The feature ids of a stored definition (null when none can be read).</summary>
    public static List<string>? FeatureIdsOf(string? definition) => Features(definition)?.Select(f => f.Id).ToList();
}

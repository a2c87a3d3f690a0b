using System.Text.Json;
using Nno.Core.Features;
using Nno.Core.Json;
using Nno.Registry.Fields;

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
    public const int MaxFeatures = 50;
    public const int MaxDependsOn = 20;
    public const int MaxConfigBytes = 16 * 1024;
    public const int MaxConfigDepth = 10;

    /// <summary>Checks Path B's <paramref name="features"/> and <paramref name="resources"/>, adding problems keyed by path.</summary>
    public static void Check(Dictionary<string, string[]> problems, IReadOnlyList<FeatureRefInput>? features, StackResourcesInput? resources)
    {
        if (features is null || features.Count is 0 or > MaxFeatures)
        {
            problems["features"] = [$"must be 1–{MaxFeatures} features"];
            return;
        }

        var ids = features.Select(f => f?.Id).ToList();
        for (var i = 0; i < features.Count; i++)
        {
            var feature = features[i];
            var at = $"features[{i}]";
            if (feature is null)
            {
                problems[at] = ["must be an object"];
                continue;
            }

            if (!FeatureIds.IsValid(feature.Id))
            {
                problems[at + ".id"] = [FeatureIds.Rule];
            }
            else if (ids.Count(x => x == feature.Id) > 1)
            {
                problems[at + ".id"] = ["is listed more than once"];
            }

            if (SemverRule.Problem(feature.Version) is { } versionProblem)
            {
                problems[at + ".version"] = [versionProblem + " (exact: no ranges)"];
            }

            if (feature.DependsOn is { } dependsOn)
            {
                if (dependsOn.Count > MaxDependsOn || dependsOn.Any(d => d == feature.Id || !ids.Contains(d)) || dependsOn.Distinct(StringComparer.Ordinal).Count() != dependsOn.Count)
                {
                    problems[at + ".dependsOn"] = [$"must be at most {MaxDependsOn} distinct ids of other features in this definition"];
                }
            }

            if (feature.Config is { } config && ConfigProblem(config) is { } configProblem)
            {
                problems[at + ".config"] = [configProblem];
            }
        }

        if (!problems.Keys.Any(k => k.StartsWith("features", StringComparison.Ordinal)) && HasCycle(features))
        {
            problems["features"] = ["dependsOn must not form a cycle"];
        }

        if (resources is null || resources.D1 is null || resources.R2 is null || resources.Kv is null)
        {
            problems["resources"] = ["must be exactly { d1, r2, kv } with a boolean each"];
        }
    }

    /// <summary>The StackDefinition Provisioning receives for a Path B stack.</summary>
    public static JsonElement Custom(IReadOnlyList<FeatureRefInput> features, StackResourcesInput resources) => JsonSerializer.SerializeToElement(new
    {
        schemaVersion = 1,
        name = "custom",
        version = "0.0.0",
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

    private static bool HasCycle(IReadOnlyList<FeatureRefInput> features)
    {
        var edges = features.ToDictionary(f => f.Id!, f => f.DependsOn ?? [], StringComparer.Ordinal);
        var state = new Dictionary<string, int>(StringComparer.Ordinal);
        return edges.Keys.Any(Visit);

        bool Visit(string id)
        {
            if (state.TryGetValue(id, out var s))
            {
                return s == 1;
            }

            state[id] = 1;
            if (edges.TryGetValue(id, out var next) && next.Any(Visit))
            {
                return true;
            }

            state[id] = 2;
            return false;
        }
    }
}

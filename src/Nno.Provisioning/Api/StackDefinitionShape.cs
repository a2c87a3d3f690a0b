using System.Text.Json;
using Nno.Core.Features;

namespace Nno.Provisioning.Api;

/// <summary>
/// The shape of an inline P6 <c>definition</c> checked at the door (stack-registry.md §4.1): an object with a name, an
/// exact version and a non-empty <c>features</c> array of FeatureRefs with valid ids and versions, each at most once.
/// The step <c>resolve_stack_definition</c> snapshots it as sent.
/// </summary>
internal static class StackDefinitionShape
{
    public static void Check(FieldRules rules, JsonElement definition)
    {
        if (definition.ValueKind != JsonValueKind.Object)
        {
            rules.Add("definition", "must be an object");
            return;
        }

        if (!definition.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(name.GetString()))
        {
            rules.Add("definition.name", "is required");
        }

        if (!definition.TryGetProperty("version", out var version) || version.ValueKind != JsonValueKind.String || !FieldRules.IsVersion(version.GetString()!))
        {
            rules.Add("definition.version", "must be an exact semantic version");
        }

        if (!definition.TryGetProperty("features", out var features) || features.ValueKind != JsonValueKind.Array || features.GetArrayLength() == 0)
        {
            rules.Add("definition.features", "must be a non-empty array");
            return;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var feature in features.EnumerateArray())
        {
            var path = $"definition.features[{index++}]";
            if (feature.ValueKind != JsonValueKind.Object)
            {
                rules.Add(path, "must be an object");
                continue;
            }

            var id = feature.TryGetProperty("id", out var idValue) && idValue.ValueKind == JsonValueKind.String ? idValue.GetString() : null;
            if (!FeatureIds.IsValid(id))
            {
                rules.Add(path + ".id", FeatureIds.Rule);
            }
            else if (!seen.Add(id!))
            {
                rules.Add(path + ".id", "appears twice");
            }

            if (!feature.TryGetProperty("version", out var v) || v.ValueKind != JsonValueKind.String || !FieldRules.IsVersion(v.GetString()!))
            {
                rules.Add(path + ".version", "must be an exact semantic version");
            }

            if (feature.TryGetProperty("config", out var config) && config.ValueKind != JsonValueKind.Null)
            {
                var problems = config.ValueKind == JsonValueKind.Object ? SecretLikeKeys.Find(config, path + ".config") : [];
                if (config.ValueKind != JsonValueKind.Object)
                {
                    rules.Add(path + ".config", "must be an object");
                }
                else if (problems.Count > 0)
                {
                    rules.Add(problems[0], SecretLikeKeys.Problem);
                }
            }
        }
    }
}

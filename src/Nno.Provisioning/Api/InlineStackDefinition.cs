using System.Text.Json;
using Nno.Provisioning.Bundles;
using Nno.Stacks.Definitions;

namespace Nno.Provisioning.Api;

/// <summary>
/// An inline P6 <c>definition</c> checked at the door: every rule of stack-registry.md §4.1 (the shared
/// <see cref="StackDefinitionRules"/>, so the problems and their paths are the Stack Registry's), then every FeatureRef
/// must name a bundle this service ships (provisioning.md §4.7), since a definition is snapshotted as sent and a missing
/// bundle could only fail the job later. A custom definition has no template, so its name and version are held to
/// their field rules but not to a template's.
/// </summary>
internal static class InlineStackDefinition
{
    public const string Path = "definition";

    public static void Check(FieldRules rules, JsonElement definition, BundleCatalogue catalogue)
    {
        var problems = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        if (StackDefinitionRules.Check(definition, templateName: null, version: null, Path, problems) is null)
        {
            rules.AddAll(problems);
            return;
        }

        var index = 0;
        foreach (var feature in definition.GetProperty("features").EnumerateArray())
        {
            var at = $"{Path}.features[{index++}]";
            var id = feature.GetProperty("id").GetString()!;
            var version = feature.GetProperty("version").GetString()!;
            if (catalogue.FindFeature(id, version) is not null)
            {
                continue;
            }

            if (catalogue.Features.Any(f => f.FeatureId == id))
            {
                rules.Add(at + ".version", $"no bundle of feature '{id}' ships at version {version}");
            }
            else
            {
                rules.Add(at + ".id", $"no bundle ships for feature '{id}'");
            }
        }
    }
}

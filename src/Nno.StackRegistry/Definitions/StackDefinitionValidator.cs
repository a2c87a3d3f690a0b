using System.Text.Json;
using Nno.Stacks.Definitions;

namespace Nno.StackRegistry.Definitions;

/// <summary>
/// Publish-time validation of a StackDefinition (stack-registry.md §4.1): the shared <see cref="StackDefinitionRules"/>
/// with the template's name and version to match.
/// </summary>
internal static class StackDefinitionValidator
{
    /// <summary>Throws a 400 with every problem, else returns the canonical form.</summary>
    public static CanonicalDefinition Validate(JsonElement definition, string templateName, string version, string path = "definition") =>
        StackDefinitionRules.Validate(definition, templateName, version, path);

    /// <summary>Collects problems into <paramref name="problems"/>; null when there are any.</summary>
    public static CanonicalDefinition? Check(JsonElement definition, string templateName, string version, string path, IDictionary<string, List<string>> problems) =>
        StackDefinitionRules.Check(definition, templateName, version, path, problems);
}

using System.Collections.Concurrent;
using System.Text.Json;

namespace Nno.StackRegistry.Versions;

/// <summary>The immutable part of a published version: what never changes after publish (stack-registry.md §2).</summary>
internal sealed record PublishedContent(string Id, JsonElement Definition, string DefinitionSha256, int FeatureCount, string? Changelog, string PublishedBy, long PublishedAt);

/// <summary>
/// Published content by (templateId, version), kept without expiry (stack-registry.md §8): the database refuses any
/// change to it, so a cached copy can never go stale. Status and deprecation columns are always read fresh.
/// </summary>
internal sealed class DefinitionCache
{
    private readonly ConcurrentDictionary<(string TemplateId, string Version), PublishedContent> _entries = new();

    public bool TryGet(string templateId, string version, out PublishedContent content) => _entries.TryGetValue((templateId, version), out content!);

    public PublishedContent Add(string templateId, string version, PublishedContent content) => _entries.GetOrAdd((templateId, version), content);

    /// <summary>Parses the stored canonical JSON once into a detached element.</summary>
    public static JsonElement Parse(string definition)
    {
        using var document = JsonDocument.Parse(definition);
        return document.RootElement.Clone();
    }
}

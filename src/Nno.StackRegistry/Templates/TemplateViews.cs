using System.Text.Json;
using Nno.StackRegistry.Data;

namespace Nno.StackRegistry.Templates;

/// <summary>The <c>Template</c> representation (stack-registry.md §3.3).</summary>
internal sealed record TemplateView(
    string Id,
    string Name,
    string DisplayName,
    string Description,
    string? Icon,
    string? Domain,
    string Status,
    string? LatestVersion,
    string CreatedBy,
    string UpdatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public static TemplateView From(StackTemplateRecord t)
    {
        ArgumentNullException.ThrowIfNull(t);
        return new(t.Id, t.Name, t.DisplayName, t.Description, t.Icon, t.Domain, t.Status, t.LatestVersion, t.CreatedBy, t.UpdatedBy,
            DateTimeOffset.FromUnixTimeMilliseconds(t.CreatedAt), DateTimeOffset.FromUnixTimeMilliseconds(t.UpdatedAt));
    }
}

/// <summary>The <c>TemplateVersion</c> representation (stack-registry.md §3.3).</summary>
internal sealed record TemplateVersionView(
    string Id,
    string TemplateId,
    string TemplateName,
    string Version,
    string Status,
    JsonElement Definition,
    string DefinitionSha256,
    int FeatureCount,
    string? Changelog,
    string PublishedBy,
    DateTimeOffset PublishedAt,
    string? DeprecatedBy,
    DateTimeOffset? DeprecatedAt,
    string? DeprecationReason);

/// <summary>A <c>TemplateVersion</c> in a list: everything but the definition.</summary>
internal sealed record TemplateVersionSummary(
    string Id,
    string TemplateId,
    string TemplateName,
    string Version,
    string Status,
    string DefinitionSha256,
    int FeatureCount,
    string? Changelog,
    string PublishedBy,
    DateTimeOffset PublishedAt,
    string? DeprecatedBy,
    DateTimeOffset? DeprecatedAt,
    string? DeprecationReason);

/// <summary>The <c>TemplateDetail</c> representation: the template and its latest version (null when none is active).</summary>
internal sealed record TemplateDetailView(TemplateView Template, TemplateVersionView? LatestVersion);

/// <summary><c>POST /api/v1/stacks</c> body.</summary>
internal sealed record CreateTemplateRequest(string Name, string DisplayName, string Description, string? Icon = null, string? Domain = null);

/// <summary>
/// <c>PATCH /api/v1/stacks/{name}</c> body, for the OpenAPI document: the handler reads the JSON itself, since an absent
/// field (unchanged) and <c>null</c> (clears <c>icon</c>/<c>domain</c>) mean different things.
/// </summary>
internal sealed record UpdateTemplateRequest(string? DisplayName = null, string? Description = null, string? Icon = null, string? Domain = null, string? Status = null);

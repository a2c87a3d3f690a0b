using Nno.Core.Errors;
using Nno.Registry.Fields;

namespace Nno.Registry.Templates;

/// <summary>A template and version that passed the check: the version as requested and the one it resolved to now.</summary>
/// <param name="TemplateId">The template name.</param>
/// <param name="RequestedVersion">What the caller asked for (a semver or <c>latest</c>); this is what a stack stores.</param>
/// <param name="ResolvedVersion">The version the request resolved to at check time (Provisioning resolves again when the job runs).</param>
/// <param name="FeatureCount">Features in that version's definition.</param>
/// <param name="Definition">That version's definition, when the Stack Registry sent it (an upgrade counts its new features).</param>
internal sealed record CheckedTemplate(string TemplateId, string RequestedVersion, string ResolvedVersion, int FeatureCount, System.Text.Json.JsonElement? Definition = null);

/// <summary>
/// The Path A template check of registry.md §3.6, run before anything is stored by the stack create route and onboarding
/// (§3.9): the template exists and is <c>active</c>, and the version (default <c>latest</c>) exists and is <c>active</c>.
/// Malformed names or versions → 400 naming the field; unknown template or version, or <c>latest</c> with no active version
/// → 404 <c>NOT_FOUND</c> <c>details: { templateId, templateVersion }</c>; deprecated → 400 <c>fields.templateId</c> /
/// <c>fields.templateVersion</c>; Stack Registry unreachable or failing → 502, too slow → 504 (from <see cref="StackRegistryClient"/>).
/// </summary>
internal sealed class StackTemplateCheck(StackRegistryClient stackRegistry)
{
    public const string Latest = "latest";

    /// <summary>
    /// Checks <paramref name="templateId"/> at <paramref name="templateVersion"/> (null = <c>latest</c>). The field names
    /// in errors are <paramref name="templateField"/> and <paramref name="versionField"/> (onboarding calls them
    /// <c>stackTemplateId</c>/<c>stackTemplateVersion</c>).
    /// </summary>
    public async Task<CheckedTemplate> CheckAsync(
        string? templateId, string? templateVersion, StackRegistryCallContext call, CancellationToken cancellationToken,
        string templateField = "templateId", string versionField = "templateVersion")
    {
        var requested = templateVersion ?? Latest;
        var problems = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (TemplateIdProblem(templateId) is { } idProblem)
        {
            problems[templateField] = [idProblem];
        }

        if (requested != Latest && SemverRule.Problem(requested) is { } versionProblem)
        {
            problems[versionField] = [versionProblem + ", or 'latest'"];
        }

        if (problems.Count > 0)
        {
            throw ApiException.Validation(problems);
        }

        var template = await stackRegistry.GetTemplateAsync(templateId!, call, cancellationToken) ?? throw Unknown(templateId!, requested, "template");
        if (template.Status != "active")
        {
            throw ApiException.Validation(templateField, $"the template {templateId} is deprecated and cannot be used for a new stack");
        }

        var version = await stackRegistry.GetVersionAsync(templateId!, requested, call, cancellationToken) ?? throw Unknown(templateId!, requested, "version");
        if (version.Status != "active")
        {
            throw ApiException.Validation(versionField, $"version {version.Version} of {templateId} is deprecated and cannot be used for a new stack");
        }

        return new CheckedTemplate(templateId!, requested, version.Version, version.FeatureCount, version.Definition);
    }

    /// <summary>The template-name rule of §3.2: <c>^[a-z0-9]+(-[a-z0-9]+)*$</c>, at most 64 characters.</summary>
    public static string? TemplateIdProblem(string? value)
    {
        const string rule = "must be a template name: 1–64 lower-case letters and digits in '-'-separated groups";
        if (string.IsNullOrEmpty(value))
        {
            return "is required";
        }

        if (value.Length > 64 || value[0] == '-' || value[^1] == '-')
        {
            return rule;
        }

        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '-' ? value[i - 1] == '-' : !(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c)))
            {
                return rule;
            }
        }

        return null;
    }

    private static ApiException Unknown(string templateId, string templateVersion, string what) =>
        new(ErrorCodes.NotFound,
            what == "template"
                ? $"The stack template {templateId} does not exist."
                : templateVersion == Latest ? $"The stack template {templateId} has no active version." : $"Version {templateVersion} of the stack template {templateId} does not exist.",
            new { templateId, templateVersion });
}

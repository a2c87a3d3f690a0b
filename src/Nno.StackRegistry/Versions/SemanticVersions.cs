using Nno.Stacks.Versions;

namespace Nno.StackRegistry.Versions;

/// <summary>
/// The semver rule of stack-registry.md §3.2 (<see cref="StrictSemver"/>, shared with the definition validator) and
/// <c>latest_version</c> of §4.2.
/// </summary>
internal static class SemanticVersions
{
    public const int MaxLength = StrictSemver.MaxLength;

    public const string Rule = StrictSemver.Rule;

    /// <summary>Highest precedence first (the order of version lists).</summary>
    public static IComparer<ParsedVersion> Descending => StrictSemver.Descending;

    public static bool TryParse(string? text, out ParsedVersion version) => StrictSemver.TryParse(text, out version);

    /// <summary>A version already stored (valid by construction).</summary>
    public static ParsedVersion ParseStored(string text) => StrictSemver.ParseStored(text);

    /// <summary>
    /// <c>latest_version</c> (stack-registry.md §4.2): the highest-precedence active stable version; if none, the highest
    /// active prerelease; if none, null.
    /// </summary>
    public static string? Latest(IEnumerable<(string Version, string Status)> versions)
    {
        ArgumentNullException.ThrowIfNull(versions);
        ParsedVersion? stable = null;
        ParsedVersion? prerelease = null;
        foreach (var (text, status) in versions)
        {
            if (status != Data.CatalogueStatuses.Active)
            {
                continue;
            }

            var version = ParseStored(text);
            if (version.IsPrerelease)
            {
                prerelease = prerelease is null || Semver.SemVersion.ComparePrecedence(version.Value, prerelease.Value) > 0 ? version : prerelease;
            }
            else
            {
                stable = stable is null || Semver.SemVersion.ComparePrecedence(version.Value, stable.Value) > 0 ? version : stable;
            }
        }

        return (stable ?? prerelease)?.Text;
    }
}

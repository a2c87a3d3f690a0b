using System.Numerics;
using Semver;

namespace Nno.StackRegistry.Versions;

/// <summary>A version string that passed <see cref="SemanticVersions.TryParse"/>, with its parts for the table's columns.</summary>
internal sealed record ParsedVersion(string Text, SemVersion Value, long Major, long Minor, long Patch, string? Prerelease)
{
    public bool IsPrerelease => Prerelease is not null;
}

/// <summary>
/// The semver rule of stack-registry.md §3.2 and the ordering of §4.2: SemVer 2.0 <c>MAJOR.MINOR.PATCH[-prerelease]</c>
/// parsed by <c>Semver</c> in strict mode (no leading zeros, no <c>v</c>, all three parts), no build metadata, at most
/// 64 characters; precedence follows SemVer 2.0 (<c>rc.10</c> &gt; <c>rc.2</c>, a prerelease is below its release).
/// </summary>
internal static class SemanticVersions
{
    public const int MaxLength = 64;

    public const string Rule = "must be a semantic version MAJOR.MINOR.PATCH with an optional -prerelease (no leading zeros, no 'v', no +metadata), at most 64 characters";

    /// <summary>Highest precedence first (the order of version lists).</summary>
    public static IComparer<ParsedVersion> Descending { get; } = Comparer<ParsedVersion>.Create((a, b) => SemVersion.ComparePrecedence(b.Value, a.Value));

    public static bool TryParse(string? text, out ParsedVersion version)
    {
        version = null!;
        if (text is null || text.Length is 0 or > MaxLength
            || !SemVersion.TryParse(text, SemVersionStyles.Strict, out var parsed, MaxLength)
            || parsed.MetadataIdentifiers.Count > 0 || text.Contains('+', StringComparison.Ordinal))
        {
            return false;
        }

        if (!FitsInt64(parsed.Major) || !FitsInt64(parsed.Minor) || !FitsInt64(parsed.Patch))
        {
            return false;
        }

        version = new ParsedVersion(text, parsed, (long)parsed.Major, (long)parsed.Minor, (long)parsed.Patch, parsed.IsPrerelease ? parsed.Prerelease : null);
        return true;
    }

    /// <summary>A version already stored (valid by construction).</summary>
    public static ParsedVersion ParseStored(string text) =>
        TryParse(text, out var version) ? version : throw new InvalidOperationException($"The stored version '{text}' is not a valid semantic version.");

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
                prerelease = prerelease is null || SemVersion.ComparePrecedence(version.Value, prerelease.Value) > 0 ? version : prerelease;
            }
            else
            {
                stable = stable is null || SemVersion.ComparePrecedence(version.Value, stable.Value) > 0 ? version : stable;
            }
        }

        return (stable ?? prerelease)?.Text;
    }

    private static bool FitsInt64(BigInteger value) => value <= long.MaxValue;
}

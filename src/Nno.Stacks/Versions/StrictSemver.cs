using System.Numerics;
using Semver;

namespace Nno.Stacks.Versions;

/// <summary>A version string that passed <see cref="StrictSemver.TryParse"/>, with its parts for the table's columns.</summary>
public sealed record ParsedVersion(string Text, SemVersion Value, long Major, long Minor, long Patch, string? Prerelease)
{
    /// <summary>True for a <c>-prerelease</c> version.</summary>
    public bool IsPrerelease => Prerelease is not null;
}

/// <summary>
/// The semver rule of stack-registry.md §3.2 and the ordering of §4.2: SemVer 2.0 <c>MAJOR.MINOR.PATCH[-prerelease]</c>
/// parsed by <c>Semver</c> in strict mode (no leading zeros, no <c>v</c>, all three parts), no build metadata, at most
/// 64 characters; precedence follows SemVer 2.0 (<c>rc.10</c> &gt; <c>rc.2</c>, a prerelease is below its release).
/// </summary>
public static class StrictSemver
{
    /// <summary>Longest version string.</summary>
    public const int MaxLength = 64;

    /// <summary>The problem text for a version that fails <see cref="TryParse"/>.</summary>
    public const string Rule = "must be a semantic version MAJOR.MINOR.PATCH with an optional -prerelease (no leading zeros, no 'v', no +metadata), at most 64 characters";

    /// <summary>Highest precedence first (the order of version lists).</summary>
    public static IComparer<ParsedVersion> Descending { get; } = Comparer<ParsedVersion>.Create((a, b) => SemVersion.ComparePrecedence(b.Value, a.Value));

    /// <summary>Parses <paramref name="text"/> by the rule; false (and no version) when it does not follow it.</summary>
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

    private static bool FitsInt64(BigInteger value) => value <= long.MaxValue;
}

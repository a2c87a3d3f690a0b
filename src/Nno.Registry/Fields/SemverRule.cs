using Semver;

namespace Nno.Registry.Fields;

/// <summary>
/// The semver rule of registry.md §3.2: SemVer 2.0 <c>MAJOR.MINOR.PATCH[-pre]</c> in strict form (no leading zeros, no
/// <c>v</c>, no ranges), no build metadata, at most 64 characters — the rule the Stack Registry applies on publish.
/// </summary>
internal static class SemverRule
{
    public const int MaxLength = 64;

    public const string Rule = "must be a semantic version MAJOR.MINOR.PATCH with an optional -prerelease (no leading zeros, no 'v', no +metadata), at most 64 characters";

    public static bool IsValid(string? value) =>
        value is { Length: > 0 and <= MaxLength }
        && !value.Contains('+', StringComparison.Ordinal)
        && SemVersion.TryParse(value, SemVersionStyles.Strict, out var parsed, MaxLength)
        && parsed.MetadataIdentifiers.Count == 0;

    public static string? Problem(string? value) => IsValid(value) ? null : Rule;
}

using System.Text.RegularExpressions;

namespace Nno.Iam.Permissions;

/// <summary>Feature permissions <c>{featureId}:{action}</c> (00-system §6, iam.md §3.4): <c>^[a-z0-9-]+:[a-z-]+$</c>, at most 100 characters.</summary>
internal static partial class PermissionNames
{
    public const int MaxLength = 100;
    public const int MaxPerRole = 200;

    public static bool IsValid(string? permission) => permission is { Length: > 0 and <= MaxLength } && Pattern().IsMatch(permission);

    public static string? Problem(string? permission) =>
        permission is null ? "is required"
        : permission.Length > MaxLength ? $"must be at most {MaxLength} characters"
        : Pattern().IsMatch(permission) ? null
        : "must match ^[a-z0-9-]+:[a-z-]+$";

    [GeneratedRegex("^[a-z0-9-]+:[a-z-]+$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex Pattern();
}

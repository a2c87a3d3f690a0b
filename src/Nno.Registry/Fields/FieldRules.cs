using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Nno.Core.Naming;

namespace Nno.Registry.Fields;

/// <summary>
/// The field rules of registry.md §3.2 shared by every Registry route. Each <c>…Problem</c> method returns the message for
/// <c>details.fields</c>, or null when the value is fine; strings are trimmed first and C0/C1 control and bidi-override
/// characters are refused.
/// </summary>
internal static partial class FieldRules
{
    public const int MaxNameLength = 100;
    public const int MaxReasonLength = 500;

    /// <summary>Trims and checks a display name: 1–100 code points, no control or bidi-override characters.</summary>
    public static string? NameProblem(string? value) => TextProblem(value, MaxNameLength, allowNewlines: false);

    /// <summary>Trims and checks a reason: 1–500 code points, newlines allowed.</summary>
    public static string? ReasonProblem(string? value) => TextProblem(value, MaxReasonLength, allowNewlines: true);

    /// <summary>The slug rule <c>^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$</c>.</summary>
    public static string? SlugProblem(string? value) => Slugs.Problem(value);

    public static string? UserIdProblem(string? value) =>
        value is not null && UserIdPattern().IsMatch(value) ? null : "must be a user id (1–64 characters A-Z a-z 0-9 _ -)";

    public static string? CfAccountIdProblem(string? value) =>
        value is null || CfAccountPattern().IsMatch(value) ? null : "must be 32 lower-case hex characters";

    public static string? RepoNameProblem(string? value) =>
        value is null || RepoNamePattern().IsMatch(value) ? null : "must be 1–100 characters A-Z a-z 0-9 . _ -";

    public static string? StripeCustomerIdProblem(string? value) =>
        value is null || StripeCustomerPattern().IsMatch(value) ? null : "must be a Stripe customer id (cus_…)";

    /// <summary>The trimmed form of a text field (callers validate first).</summary>
    public static string Clean(string value) => value.Trim();

    /// <summary>Parses an ISO-8601 timestamp with offset (§3.2 "Timestamps in requests"); null and a problem when it is not one.</summary>
    public static DateTimeOffset? ParseTimestamp(string? value, out string? problem)
    {
        problem = null;
        if (value is null)
        {
            return null;
        }

        if (IsoTimestamp().IsMatch(value) && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
        {
            return parsed.ToUniversalTime();
        }

        problem = "must be an ISO-8601 timestamp with offset, e.g. 2026-01-02T03:04:05Z";
        return null;
    }

    private static string? TextProblem(string? value, int max, bool allowNewlines)
    {
        if (value is null)
        {
            return "is required";
        }

        var trimmed = value.Trim();
        if (trimmed.Length == 0)
        {
            return "must not be empty";
        }

        foreach (var rune in trimmed.EnumerateRunes())
        {
            if (allowNewlines && rune.Value is '\n' or '\r' or '\t')
            {
                continue;
            }

            if (Rune.IsControl(rune) || IsBidiOverride(rune.Value))
            {
                return "must not contain control or bidi-override characters";
            }
        }

        var length = trimmed.EnumerateRunes().Count();
        return length > max ? $"must be at most {max} characters" : null;
    }

    private static bool IsBidiOverride(int value) => value is (>= 0x202A and <= 0x202E) or (>= 0x2066 and <= 0x2069) or 0x200E or 0x200F or 0x061C;

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex UserIdPattern();

    [GeneratedRegex("^[a-f0-9]{32}$", RegexOptions.CultureInvariant)]
    private static partial Regex CfAccountPattern();

    [GeneratedRegex("^[A-Za-z0-9._-]{1,100}$", RegexOptions.CultureInvariant)]
    private static partial Regex RepoNamePattern();

    [GeneratedRegex("^cus_[A-Za-z0-9]{1,250}$", RegexOptions.CultureInvariant)]
    private static partial Regex StripeCustomerPattern();

    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,7})?)?(Z|[+-][0-9]{2}:[0-9]{2})\z", RegexOptions.CultureInvariant)]
    private static partial Regex IsoTimestamp();
}

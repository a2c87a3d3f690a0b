using Nno.Core.Errors;

namespace Nno.Iam.ApiKeys;

/// <summary>The scopes an API key may carry (iam.md §3.5): <c>{area}:read|write</c> for six areas.</summary>
internal static class ApiKeyScopes
{
    public const int MaxCount = 12;

    public static readonly IReadOnlyList<string> Areas = ["iam", "platforms", "billing", "provisioning", "stacks", "cli"];

    public static readonly IReadOnlySet<string> All = Areas.SelectMany(a => new[] { a + ":read", a + ":write" }).ToHashSet(StringComparer.Ordinal);

    /// <summary>The scopes deduplicated and sorted; 400 naming <c>scopes</c> when empty, too many or unknown.</summary>
    public static IReadOnlyList<string> Validate(IReadOnlyList<string>? scopes)
    {
        if (scopes is null || scopes.Count == 0)
        {
            throw ApiException.Validation("scopes", "must list 1–12 scopes");
        }

        if (scopes.Count > MaxCount)
        {
            throw ApiException.Validation("scopes", "must list at most 12 scopes");
        }

        var unknown = scopes.Where(s => !All.Contains(s)).ToList();
        if (unknown.Count > 0)
        {
            throw ApiException.Validation("scopes", "unknown scope(s) " + string.Join(", ", unknown.Select(s => s.Length > 40 ? s[..40] + "…" : s)) + "; each is {iam|platforms|billing|provisioning|stacks|cli}:{read|write}");
        }

        return [.. scopes.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
    }
}

using Nno.Stacks.Definitions;

namespace Nno.StackRegistry.Templates;

/// <summary>
/// Template names (stack-registry.md §2): <c>^[a-z0-9]+(-[a-z0-9]+)*$</c>, 1–64, <c>default</c> reserved; the same
/// shape (≤64) is the Lucide icon rule. Domains are <c>^[a-z0-9-]{1,32}$</c>. The shape itself is
/// <see cref="TemplateNameRule"/>, shared with the definition validator.
/// </summary>
internal static class TemplateNames
{
    public const int MaxLength = TemplateNameRule.MaxLength;

    public const string Reserved = "default";

    public const string Rule = TemplateNameRule.Rule;

    public static bool IsWellFormed(string? value) => TemplateNameRule.IsWellFormed(value);

    /// <summary>The problem with <paramref name="value"/> as a new template name, or null.</summary>
    public static string? Problem(string? value) =>
        value is null or "" ? "is required"
        : !IsWellFormed(value) ? Rule
        : value == Reserved ? "'default' is reserved"
        : null;

    public static bool IsIcon(string value) => TemplateNameRule.IsKebab(value, 64);

    public static bool IsDomain(string value) =>
        value.Length is >= 1 and <= 32 && value.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-');
}

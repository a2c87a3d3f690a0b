namespace Nno.StackRegistry.Templates;

/// <summary>
/// Template names (stack-registry.md §2): <c>^[a-z0-9]+(-[a-z0-9]+)*$</c>, 1–64, <c>default</c> reserved; the same
/// shape (≤64) is the Lucide icon rule. Domains are <c>^[a-z0-9-]{1,32}$</c>.
/// </summary>
internal static class TemplateNames
{
    public const int MaxLength = 64;

    public const string Reserved = "default";

    public const string Rule = "must be 1–64 lower-case letters and digits in '-'-separated groups";

    public static bool IsWellFormed(string? value) => IsKebab(value, MaxLength);

    /// <summary>The problem with <paramref name="value"/> as a new template name, or null.</summary>
    public static string? Problem(string? value) =>
        value is null or "" ? "is required"
        : !IsWellFormed(value) ? Rule
        : value == Reserved ? "'default' is reserved"
        : null;

    public static bool IsIcon(string value) => IsKebab(value, 64);

    public static bool IsDomain(string value) =>
        value.Length is >= 1 and <= 32 && value.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-');

    private static bool IsKebab(string? value, int max)
    {
        if (value is null || value.Length == 0 || value.Length > max || value[0] == '-' || value[^1] == '-')
        {
            return false;
        }

        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '-' ? value[i - 1] == '-' : c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9')))
            {
                return false;
            }
        }

        return true;
    }
}

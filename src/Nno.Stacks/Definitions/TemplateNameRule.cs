namespace Nno.Stacks.Definitions;

/// <summary>
/// The template-name rule (stack-registry.md §2): <c>^[a-z0-9]+(-[a-z0-9]+)*$</c>, 1–64. A definition's <c>name</c>
/// follows it, and Provisioning's <c>templateName</c> (provisioning.md §3).
/// </summary>
public static class TemplateNameRule
{
    /// <summary>Longest template name.</summary>
    public const int MaxLength = 64;

    /// <summary>The problem text for a name that fails <see cref="IsWellFormed"/>.</summary>
    public const string Rule = "must be 1–64 lower-case letters and digits in '-'-separated groups";

    /// <summary>True when <paramref name="value"/> follows the template-name rule.</summary>
    public static bool IsWellFormed(string? value) => IsKebab(value, MaxLength);

    /// <summary>True for 1–<paramref name="max"/> lower-case letters and digits in '-'-separated groups.</summary>
    public static bool IsKebab(string? value, int max)
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

namespace Nno.Core.Features;

/// <summary>
/// NNO's one feature-id rule (stack-registry.md §4.1): <c>^[a-z][a-z0-9]*(-[a-z0-9]+)*$</c>, at most 32 characters, so
/// <c>{pid}-{stackId}-{id}-stg</c> stays within Cloudflare's 63. The Registry, Provisioning, the Stack Registry and the
/// CLI service apply it wherever a feature id appears.
/// </summary>
public static class FeatureIds
{
    /// <summary>Longest feature id.</summary>
    public const int MaxLength = 32;

    /// <summary>The rule in words, for validation messages.</summary>
    public const string Rule = "must be 1–32 characters: a lower-case letter, then lower-case letters and digits in '-'-separated groups";

    /// <summary>True when <paramref name="value"/> is a valid feature id.</summary>
    public static bool IsValid(string? value)
    {
        if (value is null || value.Length is 0 or > MaxLength || value[0] is < 'a' or > 'z' || value[^1] == '-')
        {
            return false;
        }

        // Hand-written rather than a regex: it runs on every id in every definition and config.
        var previousDash = false;
        foreach (var c in value)
        {
            if (c == '-')
            {
                if (previousDash)
                {
                    return false;
                }

                previousDash = true;
            }
            else if (c is (>= 'a' and <= 'z') or (>= '0' and <= '9'))
            {
                previousDash = false;
            }
            else
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The problem with <paramref name="value"/> as a feature id, or null when it is valid.</summary>
    public static string? Problem(string? value) => IsValid(value) ? null : Rule;
}

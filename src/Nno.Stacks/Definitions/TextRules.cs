namespace Nno.Stacks.Definitions;

/// <summary>
/// The text rules of stack-registry.md §3.2 and §6: strings are trimmed, and control characters and bidi overrides are
/// refused (the console escapes text, but invisible reordering would still mislead a reader).
/// </summary>
public static class TextRules
{
    public const string ControlProblem = "must not contain control or bidi-override characters";

    /// <summary>True when <paramref name="value"/> holds a control character (except the given allowed ones) or a bidi override.</summary>
    public static bool HasForbiddenCharacters(string value, bool allowLineBreaks = false)
    {
        ArgumentNullException.ThrowIfNull(value);
        foreach (var c in value)
        {
            if (allowLineBreaks && c is '\n' or '\r' or '\t')
            {
                continue;
            }

            // U+202A–U+202E embeddings/overrides, U+2066–U+2069 isolates: what "Trojan source" reordering uses.
            if (char.IsControl(c) || c is >= '\u202A' and <= '\u202E' || c is >= '\u2066' and <= '\u2069')
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Checks a trimmed text field of <paramref name="min"/>–<paramref name="max"/> characters; adds the problem under
    /// <paramref name="field"/> and returns null when it fails, else the trimmed value.
    /// </summary>
    public static string? Text(IDictionary<string, List<string>> problems, string field, string? value, int min, int max, bool allowLineBreaks = false)
    {
        ArgumentNullException.ThrowIfNull(problems);
        var trimmed = value?.Trim();
        string? problem = null;
        if (trimmed is null || trimmed.Length < min)
        {
            problem = min > 0 ? "is required" : null;
        }

        if (trimmed is not null)
        {
            if (trimmed.Length > max)
            {
                problem = $"must be at most {max} characters";
            }
            else if (HasForbiddenCharacters(trimmed, allowLineBreaks))
            {
                problem = ControlProblem;
            }
            else if (trimmed.Length < min)
            {
                problem = min == 1 ? "must not be empty" : $"must be at least {min} characters";
            }
        }

        if (problem is null)
        {
            return trimmed;
        }

        Add(problems, field, problem);
        return null;
    }

    public static void Add(IDictionary<string, List<string>> problems, string field, string problem)
    {
        ArgumentNullException.ThrowIfNull(problems);
        if (!problems.TryGetValue(field, out var list))
        {
            problems[field] = list = [];
        }

        if (!list.Contains(problem))
        {
            list.Add(problem);
        }
    }

    /// <summary>The 400 for collected problems.</summary>
    public static Nno.Core.Errors.ApiException ToException(IDictionary<string, List<string>> problems) =>
        Nno.Core.Errors.ApiException.Validation(problems.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal));
}

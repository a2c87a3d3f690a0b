using System.Text.RegularExpressions;

namespace Nno.Sandbox.Faults;

/// <summary>What a scripted failure matches: an HTTP method (any when null), a path pattern (any when null), and how often.</summary>
public interface IFailNextRule
{
    string? Method { get; }

    string? PathRegex { get; }

    /// <summary>The HTTP status answered (400–599).</summary>
    int Status { get; }

    int Count { get; }
}

/// <summary>
/// An emulator's <c>failNext</c> list: rules in order, each answering the next <c>Count</c> requests that match its method
/// and path pattern. Not synchronised: the emulator's faults object calls it under its own lock.
/// </summary>
public sealed class FailNextScript<TRule>
    where TRule : class, IFailNextRule
{
    private readonly List<(TRule Rule, Regex? Path, int Remaining)> _rules;

    /// <param name="rules">The rules, validated by the caller (patterns compile).</param>
    /// <param name="regexTimeout">Match timeout of the path patterns.</param>
    public FailNextScript(IEnumerable<TRule> rules, TimeSpan regexTimeout)
    {
        ArgumentNullException.ThrowIfNull(rules);
        _rules = rules.Select(r => (r, r.PathRegex is null ? null : new Regex(r.PathRegex, RegexOptions.None, regexTimeout), r.Count)).ToList();
    }

    /// <summary>
    /// Checks <paramref name="rules"/> and the random faults' <paramref name="scopePattern"/>: statuses 400–599, counts
    /// ≥ 1, patterns that compile. The message for the admin answer, or null when all is well.
    /// </summary>
    public static string? Validate(IReadOnlyList<TRule?> rules, string? scopePattern, TimeSpan regexTimeout)
    {
        ArgumentNullException.ThrowIfNull(rules);
        if (rules.Any(rule => rule is null || rule.Status is < 400 or > 599 || rule.Count < 1))
        {
            return "failNext entries need a status from 400 to 599 and a count >= 1.";
        }

        foreach (var pattern in rules.Select(f => f!.PathRegex).Append(scopePattern).OfType<string>())
        {
            try
            {
                _ = new Regex(pattern, RegexOptions.None, regexTimeout);
            }
            catch (ArgumentException)
            {
                return $"Invalid regex: {pattern}";
            }
        }

        return null;
    }

    /// <summary>The first rule with uses left that matches, consuming one use; null when none does.</summary>
    public TRule? Take(string method, string path)
    {
        for (var i = 0; i < _rules.Count; i++)
        {
            var (rule, regex, remaining) = _rules[i];
            if (remaining <= 0
                || (rule.Method is not null && !string.Equals(rule.Method, method, StringComparison.OrdinalIgnoreCase))
                || (regex is not null && !regex.IsMatch(path)))
            {
                continue;
            }

            _rules[i] = (rule, regex, remaining - 1);
            return rule;
        }

        return null;
    }

    /// <summary>The rules with uses left, each as <paramref name="withCount"/> makes it with its remaining count (admin GET).</summary>
    public TRule[] Remaining(Func<TRule, int, TRule> withCount)
    {
        ArgumentNullException.ThrowIfNull(withCount);
        return _rules.Where(r => r.Remaining > 0).Select(r => withCount(r.Rule, r.Remaining)).ToArray();
    }
}

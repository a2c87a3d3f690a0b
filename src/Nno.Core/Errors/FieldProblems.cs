namespace Nno.Core.Errors;

/// <summary>
/// Field problems collected while one request is checked, so a single 400 <c>VALIDATION_ERROR</c> names every bad field
/// (the first problem per field wins). Services derive their own rule sets from it.
/// </summary>
public class FieldProblems
{
    private readonly Dictionary<string, string[]> _problems = new(StringComparer.Ordinal);

    /// <summary>Records <paramref name="problem"/> for <paramref name="field"/> unless it already has one.</summary>
    public void Add(string field, string problem) => _problems.TryAdd(field, [problem]);

    /// <summary>Takes every problem a shared validator collected, keyed by the path it gives.</summary>
    public void AddAll(IEnumerable<KeyValuePair<string, List<string>>> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        foreach (var (field, list) in problems)
        {
            _problems.TryAdd(field, [.. list]);
        }
    }

    /// <summary>True when <paramref name="field"/> already has a problem.</summary>
    public bool Has(string field) => _problems.ContainsKey(field);

    /// <summary>Throws the 400 naming every collected field, if there is one.</summary>
    public void ThrowIfAny()
    {
        if (_problems.Count > 0)
        {
            throw ApiException.Validation(_problems);
        }
    }

    /// <summary>A value that must be present and pass <paramref name="valid"/>; "" when absent (the request fails anyway).</summary>
    protected string Required(string field, string? value, Func<string, bool> valid, string problem)
    {
        ArgumentNullException.ThrowIfNull(valid);
        if (value is null)
        {
            Add(field, "is required");
            return string.Empty;
        }

        if (!valid(value))
        {
            Add(field, problem);
        }

        return value;
    }

    /// <summary>A value that may be absent but otherwise must pass <paramref name="valid"/>.</summary>
    protected string? Optional(string field, string? value, Func<string, bool> valid, string problem)
    {
        ArgumentNullException.ThrowIfNull(valid);
        if (value is not null && !valid(value))
        {
            Add(field, problem);
        }

        return value;
    }
}

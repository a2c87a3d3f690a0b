using System.Text.Json;
using System.Text.RegularExpressions;

namespace Nno.ServiceDefaults.Errors;

/// <summary>Turns System.Text.Json failures into <c>details.fields</c> entries a client can act on.</summary>
public static partial class JsonErrorTranslator
{
    /// <summary>The fields and problems described by <paramref name="exception"/>.</summary>
    public static Dictionary<string, string[]> ToFields(JsonException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var message = exception.Message;
        var path = FieldFromPath(exception.Path);

        var missing = MissingRequired().Match(message);
        if (missing.Success)
        {
            var names = QuotedName().Matches(missing.Groups[1].Value).Select(m => m.Groups[1].Value).ToArray();
            var fields = new Dictionary<string, string[]>(StringComparer.Ordinal);
            foreach (var name in names.Length > 0 ? names : ["body"])
            {
                fields[Join(path, name)] = ["is required"];
            }

            return fields;
        }

        var unmapped = Unmapped().Match(message);
        if (unmapped.Success)
        {
            // Path already points at the unknown member; fall back to the quoted name.
            var field = path ?? unmapped.Groups[1].Value;
            return new(StringComparer.Ordinal) { [field] = ["is not a known field"] };
        }

        if (message.Contains("could not be converted", StringComparison.Ordinal))
        {
            return new(StringComparer.Ordinal) { [path ?? "body"] = ["has the wrong type or an unknown value"] };
        }

        if (message.Contains("null", StringComparison.OrdinalIgnoreCase) && message.Contains("nullab", StringComparison.OrdinalIgnoreCase))
        {
            return new(StringComparer.Ordinal) { [path ?? "body"] = ["must not be null"] };
        }

        return new(StringComparer.Ordinal) { [path ?? "body"] = ["is not valid JSON"] };
    }

    /// <summary>Converts a JSON path such as <c>$.owner.email</c> or <c>$.items[2].name</c> into <c>owner.email</c>.</summary>
    public static string? FieldFromPath(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return null;
        }

        var trimmed = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
        trimmed = trimmed.Replace("['", ".", StringComparison.Ordinal).Replace("']", string.Empty, StringComparison.Ordinal).TrimStart('.');
        return trimmed.Length == 0 ? null : trimmed;
    }

    private static string Join(string? prefix, string name) => prefix is null ? name : prefix + "." + name;

    [GeneratedRegex("missing required properties(?: including)?:\\s*(.*)$", RegexOptions.Singleline)]
    private static partial Regex MissingRequired();

    [GeneratedRegex("'([^']+)'")]
    private static partial Regex QuotedName();

    [GeneratedRegex("The JSON property '([^']+)' could not be mapped")]
    private static partial Regex Unmapped();
}

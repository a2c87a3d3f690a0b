using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Json.Schema;

namespace Nno.Stacks.Definitions;

/// <summary>
/// The restricted JSON Schema of a definition's <c>configSchema</c> (stack-registry.md §4.1): 2020-12 limited to a
/// fixed keyword list, root <c>type: object</c>, depth ≤5, ≤100 properties in total, ≤16 KiB. No <c>$ref</c>/<c>$id</c>/
/// <c>$defs</c>, combinators or conditionals, so nothing is ever fetched and validation cost stays bounded. Patterns
/// must compile with <see cref="RegexOptions.NonBacktracking"/> (≤200 chars); every <c>default</c> must validate
/// against its own subschema, evaluated by JsonSchema.Net.
/// </summary>
public static class ConfigSchemaRules
{
    public const int MaxDepth = 5;
    public const int MaxProperties = 100;
    public const int MaxBytes = 16 * 1024;
    public const int MaxPatternLength = 200;
    public const string Draft202012 = "https://json-schema.org/draft/2020-12/schema";

    /// <summary>The allowed keywords, in the order the canonical form writes them.</summary>
    private static readonly string[] Keywords =
    [
        "$schema", "type", "title", "description", "format", "properties", "required", "additionalProperties", "items", "enum", "const", "default",
        "minimum", "maximum", "minLength", "maxLength", "pattern", "minItems", "maxItems", "uniqueItems",
    ];

    private static readonly string[] Types = ["object", "array", "string", "number", "integer", "boolean", "null"];
    private static readonly string[] Formats = ["email", "uri", "date-time", "hostname"];

    private static readonly EvaluationOptions Evaluation = new() { OutputFormat = OutputFormat.List, RequireFormatValidation = true };

    /// <summary>Checks <paramref name="schema"/> (an object) at <paramref name="path"/>, adding every problem.</summary>
    public static void Check(JsonElement schema, string path, IDictionary<string, List<string>> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        if (Encoding.UTF8.GetByteCount(schema.GetRawText()) > MaxBytes)
        {
            TextRules.Add(problems, path, "too large: at most 16 KiB");
            return;
        }

        var before = problems.Count;
        if (!schema.TryGetProperty("type", out var rootType) || rootType.ValueKind != JsonValueKind.String || rootType.GetString() != "object")
        {
            TextRules.Add(problems, path + ".type", "the root must be type: object");
        }

        var defaults = new List<(string Path, JsonElement Schema, JsonElement Default)>();
        var propertyCount = 0;
        CheckNode(schema, path, 1, isRoot: true, problems, defaults, ref propertyCount);
        if (propertyCount > MaxProperties)
        {
            TextRules.Add(problems, path, $"must declare at most {MaxProperties} properties in total");
        }

        // Defaults are evaluated only against a schema that passed every structural rule (bounded, no remote references).
        if (problems.Count != before)
        {
            return;
        }

        foreach (var (defaultPath, subschema, value) in defaults)
        {
            var problem = EvaluateDefault(subschema, value);
            if (problem is not null)
            {
                TextRules.Add(problems, defaultPath, problem);
            }
        }
    }

    private static void CheckNode(
        JsonElement node, string path, int depth, bool isRoot, IDictionary<string, List<string>> problems, List<(string, JsonElement, JsonElement)> defaults, ref int propertyCount)
    {
        if (node.ValueKind != JsonValueKind.Object)
        {
            TextRules.Add(problems, path, "must be a schema object");
            return;
        }

        if (depth > MaxDepth)
        {
            TextRules.Add(problems, path, $"nests too deeply: at most {MaxDepth} schema levels");
            return;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in node.EnumerateObject())
        {
            var name = property.Name;
            var value = property.Value;
            var at = path + "." + name;
            if (!seen.Add(name))
            {
                TextRules.Add(problems, at, "appears more than once");
                continue;
            }

            if (!Keywords.Contains(name, StringComparer.Ordinal))
            {
                TextRules.Add(problems, at, $"'{name}' is not allowed in configSchema (allowed: {string.Join(", ", Keywords.Where(k => k != "$schema"))})");
                continue;
            }

            switch (name)
            {
                case "$schema":
                    if (!isRoot || value.ValueKind != JsonValueKind.String || value.GetString() != Draft202012)
                    {
                        TextRules.Add(problems, at, $"must be '{Draft202012}' on the root schema");
                    }

                    break;
                case "type":
                    if (!(value.ValueKind == JsonValueKind.String && Types.Contains(value.GetString())
                        || value.ValueKind == JsonValueKind.Array && value.GetArrayLength() > 0
                            && value.EnumerateArray().All(t => t.ValueKind == JsonValueKind.String && Types.Contains(t.GetString()))))
                    {
                        TextRules.Add(problems, at, "must be a JSON Schema type name or a non-empty array of them");
                    }

                    break;
                case "title" or "description":
                    if (value.ValueKind != JsonValueKind.String)
                    {
                        TextRules.Add(problems, at, "must be a string");
                    }
                    else if (TextRules.HasForbiddenCharacters(value.GetString()!, allowLineBreaks: true))
                    {
                        TextRules.Add(problems, at, TextRules.ControlProblem);
                    }

                    break;
                case "format":
                    if (value.ValueKind != JsonValueKind.String || !Formats.Contains(value.GetString()))
                    {
                        TextRules.Add(problems, at, "must be one of email, uri, date-time, hostname");
                    }

                    break;
                case "properties":
                    if (value.ValueKind != JsonValueKind.Object)
                    {
                        TextRules.Add(problems, at, "must be an object of schemas");
                        break;
                    }

                    foreach (var child in value.EnumerateObject())
                    {
                        propertyCount++;
                        CheckNode(child.Value, at + "." + child.Name, depth + 1, false, problems, defaults, ref propertyCount);
                    }

                    break;
                case "items":
                    CheckNode(value, at, depth + 1, false, problems, defaults, ref propertyCount);
                    break;
                case "required":
                    if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.String)
                        || value.EnumerateArray().Select(v => v.GetString()).Distinct(StringComparer.Ordinal).Count() != value.GetArrayLength())
                    {
                        TextRules.Add(problems, at, "must be an array of distinct property names");
                    }

                    break;
                case "additionalProperties":
                    if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                    {
                        TextRules.Add(problems, at, "must be true or false (subschemas are not allowed)");
                    }

                    break;
                case "uniqueItems":
                    if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                    {
                        TextRules.Add(problems, at, "must be true or false");
                    }

                    break;
                case "enum":
                    if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
                    {
                        TextRules.Add(problems, at, "must be a non-empty array");
                    }

                    break;
                case "minimum" or "maximum":
                    if (value.ValueKind != JsonValueKind.Number)
                    {
                        TextRules.Add(problems, at, "must be a number");
                    }

                    break;
                case "minLength" or "maxLength" or "minItems" or "maxItems":
                    if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var count) || count < 0)
                    {
                        TextRules.Add(problems, at, "must be a non-negative integer");
                    }

                    break;
                case "pattern":
                    if (value.ValueKind != JsonValueKind.String)
                    {
                        TextRules.Add(problems, at, "must be a string");
                    }
                    else if (PatternProblem(value.GetString()!) is { } patternProblem)
                    {
                        TextRules.Add(problems, at, patternProblem);
                    }

                    break;
                case "default":
                    defaults.Add((at, node, value));
                    break;
            }
        }
    }

    /// <summary>Why <paramref name="pattern"/> is refused, or null: too long, or not compilable without backtracking.</summary>
    public static string? PatternProblem(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        if (pattern.Length > MaxPatternLength)
        {
            return $"must be at most {MaxPatternLength} characters";
        }

        try
        {
            // Constructing is enough: NonBacktracking refuses backreferences, lookarounds and atomic groups up front.
            _ = new Regex(pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
            return null;
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
        {
            // ArgumentException: not a regular expression; NotSupportedException: needs backtracking.
            return "must be a regular expression that compiles without backtracking (no backreferences, lookarounds or atomic groups)";
        }
    }

    private static string? EvaluateDefault(JsonElement subschema, JsonElement value)
    {
        // A private registry per build: schemas are registered where they are built, and the global one would grow forever.
        var options = new BuildOptions { SchemaRegistry = new SchemaRegistry() };
        var schema = JsonSchema.Build(StripDefaults(subschema), options, new Uri("urn:nno:config-schema"));
        var result = schema.Evaluate(value, Evaluation);
        if (result.IsValid)
        {
            return null;
        }

        var errors = (result.Details ?? [])
            .Where(d => d.Errors is not null)
            .SelectMany(d => d.Errors!.Select(e => (d.InstanceLocation.ToString() is { Length: > 0 } loc ? loc + ": " : "") + e.Value))
            .Take(3)
            .ToList();
        return "does not match its schema" + (errors.Count > 0 ? ": " + string.Join("; ", errors) : "");
    }

    /// <summary>The subschema without nested <c>default</c> keywords (each is evaluated on its own at its own level).</summary>
    private static JsonElement StripDefaults(JsonElement schema)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            WriteWithoutDefaults(writer, schema);
        }

        using var doc = JsonDocument.Parse(stream.ToArray());
        return doc.RootElement.Clone();
    }

    private static void WriteWithoutDefaults(Utf8JsonWriter writer, JsonElement schema)
    {
        writer.WriteStartObject();
        foreach (var property in schema.EnumerateObject())
        {
            if (property.Name == "default")
            {
                continue;
            }

            writer.WritePropertyName(property.Name);
            if (property.Name == "properties" && property.Value.ValueKind == JsonValueKind.Object)
            {
                writer.WriteStartObject();
                foreach (var child in property.Value.EnumerateObject())
                {
                    writer.WritePropertyName(child.Name);
                    WriteWithoutDefaults(writer, child.Value);
                }

                writer.WriteEndObject();
            }
            else if (property.Name == "items" && property.Value.ValueKind == JsonValueKind.Object)
            {
                WriteWithoutDefaults(writer, property.Value);
            }
            else
            {
                property.Value.WriteTo(writer);
            }
        }

        writer.WriteEndObject();
    }

    /// <summary>
    /// The canonical form of a schema that passed <see cref="Check"/>: keywords in the order of <see cref="Keywords"/>,
    /// <c>properties</c> in the author's order (it is the console's form order, so it is content), values canonical.
    /// </summary>
    public static void WriteCanonical(Utf8JsonWriter writer, JsonElement schema)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        foreach (var keyword in Keywords)
        {
            if (!schema.TryGetProperty(keyword, out var value))
            {
                continue;
            }

            writer.WritePropertyName(keyword);
            switch (keyword)
            {
                case "properties":
                    writer.WriteStartObject();
                    foreach (var child in value.EnumerateObject())
                    {
                        writer.WritePropertyName(child.Name);
                        WriteCanonical(writer, child.Value);
                    }

                    writer.WriteEndObject();
                    break;
                case "items":
                    WriteCanonical(writer, value);
                    break;
                default:
                    CanonicalJson.WriteSorted(writer, value);
                    break;
            }
        }

        writer.WriteEndObject();
    }
}

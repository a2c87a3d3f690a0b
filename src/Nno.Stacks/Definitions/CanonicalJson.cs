using System.Text.Json;

namespace Nno.Stacks.Definitions;

/// <summary>
/// Canonical JSON for free-form values (feature <c>config</c>, <c>enum</c>/<c>const</c>/<c>default</c>): object keys in
/// ordinal order at every level, numbers and strings as given, no whitespace. Two values that differ only in key order
/// or whitespace write the same bytes.
/// </summary>
public static class CanonicalJson
{
    public static void WriteSorted(Utf8JsonWriter writer, JsonElement value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in value.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(property.Name);
                    WriteSorted(writer, property.Value);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in value.EnumerateArray())
                {
                    WriteSorted(writer, item);
                }

                writer.WriteEndArray();
                break;
            default:
                value.WriteTo(writer);
                break;
        }
    }
}

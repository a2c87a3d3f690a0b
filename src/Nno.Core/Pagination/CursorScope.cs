using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Nno.Core.Pagination;

/// <summary>
/// Builds the scope a cursor is bound to: the list's name plus the filters of the request, so a cursor replayed on
/// another list or with different filters fails verification (registry.md §3.2: "wrong signature or different filters → 400").
/// </summary>
public static class CursorScope
{
    /// <summary>
    /// The scope for <paramref name="list"/> (for example <c>registry:platforms</c>) under the given filters. The encoding
    /// is unambiguous (a JSON array), so <c>("a", "b,c")</c> and <c>("a,b", "c")</c> differ and null differs from "".
    /// Pass the filters in a fixed order.
    /// </summary>
    public static string For(string list, params ReadOnlySpan<(string Name, string? Value)> filters)
    {
        ArgumentException.ThrowIfNullOrEmpty(list);
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            writer.WriteStringValue(list);
            foreach (var (name, value) in filters)
            {
                writer.WriteStringValue(name);
                if (value is null)
                {
                    writer.WriteNullValue();
                }
                else
                {
                    writer.WriteStringValue(value);
                }
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}

using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Nno.Core.Json;

/// <summary>
/// Enums as strings, matched exactly. The framework's <see cref="JsonStringEnumConverter"/> also accepts the C# member
/// name in any case (<c>"PendingCancellation"</c>), surrounding whitespace and comma lists (<c>"a, b"</c> is read as the
/// bitwise OR of two members), which breaks the rule that unknown enum values are a 400. This converter accepts only
/// each member's wire name — <see cref="JsonStringEnumMemberNameAttribute"/> when present, else the naming policy — and
/// refuses numbers. <c>[Flags]</c> enums are left to <see cref="JsonStringEnumConverter"/>.
/// </summary>
public sealed class StrictEnumConverterFactory(JsonNamingPolicy? namingPolicy) : JsonConverterFactory
{
    /// <summary>The naming policy applied to members without an explicit wire name.</summary>
    public JsonNamingPolicy? NamingPolicy { get; } = namingPolicy;

    /// <inheritdoc />
    public override bool CanConvert(Type typeToConvert) =>
        typeToConvert.IsEnum && !typeToConvert.IsDefined(typeof(FlagsAttribute), inherit: false);

    /// <inheritdoc />
    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(StrictEnumConverter<>).MakeGenericType(typeToConvert), NamingPolicy)!;

    private sealed class StrictEnumConverter<T> : JsonConverter<T>
        where T : struct, Enum
    {
        private readonly Dictionary<string, T> _byName = new(StringComparer.Ordinal);
        private readonly Dictionary<T, JsonEncodedText> _byValue = [];

        public StrictEnumConverter(JsonNamingPolicy? namingPolicy)
        {
            foreach (var field in typeof(T).GetFields(BindingFlags.Public | BindingFlags.Static))
            {
                var name = field.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name
                    ?? namingPolicy?.ConvertName(field.Name)
                    ?? field.Name;
                var value = (T)field.GetValue(null)!;
                _byName[name] = value;
                _byValue.TryAdd(value, JsonEncodedText.Encode(name));
            }
        }

        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                // No message: the serializer then writes its standard "could not be converted" text with the path,
                // which the error translator turns into a field problem.
                throw new JsonException();
            }

            return Lookup(reader.GetString()!);
        }

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options)
        {
            ArgumentNullException.ThrowIfNull(writer);
            writer.WriteStringValue(Name(value));
        }

        public override T ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            Lookup(reader.GetString()!);

        public override void WriteAsPropertyName(Utf8JsonWriter writer, T value, JsonSerializerOptions options)
        {
            ArgumentNullException.ThrowIfNull(writer);
            writer.WritePropertyName(Name(value));
        }

        private T Lookup(string name) =>
            _byName.TryGetValue(name, out var value)
                ? value
                : throw new JsonException();

        private JsonEncodedText Name(T value) =>
            _byValue.TryGetValue(value, out var name)
                ? name
                : throw new JsonException($"{typeof(T).Name} has no member with value {value}.");
    }
}

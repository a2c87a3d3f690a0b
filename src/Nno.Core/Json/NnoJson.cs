using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Text.Json.Serialization;

namespace Nno.Core.Json;

/// <summary>
/// The JSON rules of 00-system §7: camelCase properties, ISO-8601 UTC timestamps, nulls written (never omitted), enums
/// as exact kebab-case-lower strings (or their <see cref="JsonStringEnumMemberNameAttribute"/> name), unknown fields
/// rejected.
/// </summary>
public static partial class NnoJson
{
    /// <summary>Shared, read-only options for NNO's wire format.</summary>
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    /// <summary>Applies NNO's rules to an options instance (used for ASP.NET Core's own options too).</summary>
    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.DictionaryKeyPolicy = null;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        options.NumberHandling = JsonNumberHandling.Strict;
        options.PropertyNameCaseInsensitive = false;
        options.AllowTrailingCommas = false;
        options.ReadCommentHandling = JsonCommentHandling.Disallow;
        options.RespectNullableAnnotations = true;
        options.RespectRequiredConstructorParameters = true;
        if (!options.Converters.OfType<StrictEnumConverterFactory>().Any())
        {
            // First, so it wins over any lenient enum converter already registered.
            options.Converters.Insert(0, new StrictEnumConverterFactory(JsonNamingPolicy.KebabCaseLower));
        }

        // Only [Flags] enums reach this one (the strict factory declines them).
        if (!options.Converters.OfType<JsonStringEnumConverter>().Any())
        {
            options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false));
        }

        if (!options.Converters.OfType<UtcDateTimeOffsetConverter>().Any())
        {
            options.Converters.Add(new UtcDateTimeOffsetConverter());
        }

        return options;
    }

    /// <summary>
    /// Writes every <see cref="DateTimeOffset"/> as ISO-8601 UTC with millisecond precision (<c>2026-01-02T03:04:05.678Z</c>);
    /// reads only ISO-8601 date-times with an explicit offset (<c>Z</c> or <c>±hh:mm</c>), converted to UTC.
    /// </summary>
    public sealed class UtcDateTimeOffsetConverter : JsonConverter<DateTimeOffset>
    {
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            // A bare date, a time without offset (whose zone is a guess) or a culture format like "01/02/2026" is refused.
            var text = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            if (text is null
                || !IsoTimestamp().IsMatch(text)
                || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var value))
            {
                // No message: the serializer writes its standard "could not be converted" text with the path.
                throw new JsonException();
            }

            return value.ToUniversalTime();
        }

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
        {
            ArgumentNullException.ThrowIfNull(writer);
            writer.WriteStringValue(value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        }
    }

    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,7})?)?(Z|[+-][0-9]{2}:[0-9]{2})\z", RegexOptions.CultureInvariant)]
    private static partial Regex IsoTimestamp();
}

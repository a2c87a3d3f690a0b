using System.Text.Json;
using System.Text.Json.Serialization;
using Nno.Core.Json;

namespace Nno.Core.Tests.Json;

public sealed class NnoJsonTests
{
    public enum Tier
    {
        Starter,
        Growth,
        PendingCancellation,
        [JsonStringEnumMemberName("past_due")]
        PastDue,
    }

    [Flags]
    public enum Access
    {
        None = 0,
        Read = 1,
        Write = 2,
    }

    public sealed record Sample(string Name, int Count, DateTimeOffset At, DateTimeOffset? EndsAt, string? Note, Tier Tier);

    private static readonly Sample Value = new("Acme", 3, new DateTimeOffset(2026, 1, 2, 5, 4, 5, 678, TimeSpan.FromHours(2)), null, null, Tier.PendingCancellation);

    [Fact]
    public void Serialize_CamelCaseUtcTimestampsNullsAndEnumStrings()
    {
        Assert.Equal(
            """{"name":"Acme","count":3,"at":"2026-01-02T03:04:05.678Z","endsAt":null,"note":null,"tier":"pending-cancellation"}""",
            JsonSerializer.Serialize(Value, NnoJson.Options));
    }

    [Fact]
    public void Serialize_NullableTimestamp_WrittenAsUtc()
    {
        var json = JsonSerializer.Serialize(Value with { EndsAt = new DateTimeOffset(2026, 1, 1, 19, 0, 0, TimeSpan.FromHours(-5)) }, NnoJson.Options);
        Assert.Contains("\"endsAt\":\"2026-01-02T00:00:00.000Z\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Serialize_SubMillisecondTicks_TruncatedToMilliseconds()
    {
        var at = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero).AddTicks(6_789_999);
        Assert.Equal("\"2026-01-02T03:04:05.678Z\"", JsonSerializer.Serialize(at, NnoJson.Options));
    }

    [Fact]
    public void Serialize_EnumMemberName_Honoured()
    {
        Assert.Equal("\"past_due\"", JsonSerializer.Serialize(Tier.PastDue, NnoJson.Options));
        Assert.Equal(Tier.PastDue, JsonSerializer.Deserialize<Tier>("\"past_due\"", NnoJson.Options));
    }

    [Fact]
    public void Serialize_UndefinedEnumValue_Refused()
    {
        Assert.Throws<JsonException>(() => JsonSerializer.Serialize((Tier)42, NnoJson.Options));
    }

    [Fact]
    public void Serialize_DictionaryKeysKeptAndEnumKeysNamed()
    {
        Assert.Equal("""{"Foo":1}""", JsonSerializer.Serialize(new Dictionary<string, int> { ["Foo"] = 1 }, NnoJson.Options));
        var json = JsonSerializer.Serialize(new Dictionary<Tier, int> { [Tier.PastDue] = 2, [Tier.Starter] = 1 }, NnoJson.Options);
        Assert.Equal("""{"past_due":2,"starter":1}""", json);
        Assert.Equal(2, JsonSerializer.Deserialize<Dictionary<Tier, int>>(json, NnoJson.Options)![Tier.PastDue]);
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<Dictionary<Tier, int>>("""{"Starter":1}""", NnoJson.Options));
    }

    [Fact]
    public void Serialize_FlagsEnum_StillAString()
    {
        Assert.Equal("\"read, write\"", JsonSerializer.Serialize(Access.Read | Access.Write, NnoJson.Options));
    }

    [Fact]
    public void Deserialize_WellFormed_ConvertsToUtc()
    {
        var sample = JsonSerializer.Deserialize<Sample>(
            """{"name":"Acme","count":3,"at":"2026-01-02T05:04:05.678+02:00","endsAt":null,"note":null,"tier":"growth"}""",
            NnoJson.Options)!;
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero), sample.At);
        Assert.Equal(TimeSpan.Zero, sample.At.Offset);
        Assert.Null(sample.EndsAt);
        Assert.Equal(Tier.Growth, sample.Tier);
    }

    [Theory]
    [InlineData("2026-01-02T03:04:05Z")]
    [InlineData("2026-01-02T03:04:05.678Z")]
    [InlineData("2026-01-02T03:04:05.6789012Z")]
    [InlineData("2026-01-02T03:04Z")]
    [InlineData("2026-01-02T04:04:05+01:00")]
    [InlineData("2026-01-01T22:04:05-05:00")]
    public void Deserialize_IsoTimestampWithOffset_Accepted(string text)
    {
        var value = JsonSerializer.Deserialize<DateTimeOffset>($"\"{text}\"", NnoJson.Options);
        Assert.Equal(TimeSpan.Zero, value.Offset);
        Assert.Equal(new DateTime(2026, 1, 2, 3, 4, 0, DateTimeKind.Unspecified), new DateTime(value.Year, value.Month, value.Day, value.Hour, value.Minute, 0, DateTimeKind.Unspecified));
    }

    [Theory]
    [InlineData("\"2026-01-02\"")]
    [InlineData("\"2026-01-02T03:04:05\"")]
    [InlineData("\"2026-01-02 03:04:05Z\"")]
    [InlineData("\"01/02/2026 03:04:05\"")]
    [InlineData("\"Jan 2 2026 03:04:05Z\"")]
    [InlineData("\"2026-01-02T03:04:05z\"")]
    [InlineData("\"2026-13-02T03:04:05Z\"")]
    [InlineData("\"2026-01-02T03:04:05+25:00\"")]
    [InlineData("\"2026-01-02T03:04:05Z\\n\"")]
    [InlineData("\"\"")]
    [InlineData("1767323045678")]
    [InlineData("true")]
    public void Deserialize_NonIsoTimestamp_Rejected(string json)
    {
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<DateTimeOffset>(json, NnoJson.Options));
    }

    [Fact]
    public void Deserialize_UnknownField_Rejected()
    {
        var ex = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<Sample>(
            """{"name":"Acme","count":3,"at":"2026-01-02T03:04:05Z","endsAt":null,"note":null,"tier":"growth","isAdmin":true}""",
            NnoJson.Options));
        Assert.Contains("isAdmin", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deserialize_PascalCaseProperty_IsAnUnknownField()
    {
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<Sample>(
            """{"Name":"Acme","count":3,"at":"2026-01-02T03:04:05Z","endsAt":null,"note":null,"tier":"growth"}""",
            NnoJson.Options));
    }

    [Theory]
    [InlineData("1")]
    [InlineData("\"1\"")]
    [InlineData("\"PendingCancellation\"")]
    [InlineData("\"pendingCancellation\"")]
    [InlineData("\"Pending-Cancellation\"")]
    [InlineData("\"STARTER\"")]
    [InlineData("\" starter\"")]
    [InlineData("\"starter, growth\"")]
    [InlineData("\"growth,pending-cancellation\"")]
    [InlineData("\"PastDue\"")]
    [InlineData("\"past-due\"")]
    [InlineData("\"unknown\"")]
    [InlineData("null")]
    public void Deserialize_EnumNotExactWireName_Rejected(string json)
    {
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<Tier>(json, NnoJson.Options));
    }

    [Theory]
    [InlineData("""{"name":"Acme","count":3,"at":"2026-01-02T03:04:05Z","endsAt":null,"note":null,"tier":"Growth"}""", "$.tier")]
    [InlineData("""{"name":"Acme","count":3,"at":"2026-01-02T03:04:05Z","endsAt":null,"note":null,"tier":1}""", "$.tier")]
    [InlineData("""{"name":"Acme","count":3,"at":"2026-01-02","endsAt":null,"note":null,"tier":"growth"}""", "$.at")]
    [InlineData("""{"name":"Acme","count":3,"at":"2026-01-02T03:04:05Z","endsAt":"soon","note":null,"tier":"growth"}""", "$.endsAt")]
    public void Deserialize_BadEnumOrTimestamp_ReportsPathAndStandardMessage(string json, string path)
    {
        // The ServiceDefaults error translator maps "could not be converted" + path to a named field problem.
        var ex = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<Sample>(json, NnoJson.Options));
        Assert.Equal(path, ex.Path);
        Assert.Contains("could not be converted", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Configure_OptionsWithLenientEnumConverter_StillStrict()
    {
        var options = new JsonSerializerOptions { Converters = { new JsonStringEnumConverter() } };
        Assert.Same(options, NnoJson.Configure(options));
        NnoJson.Configure(options);
        Assert.Single(options.Converters.OfType<StrictEnumConverterFactory>());
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<Tier>("\"PendingCancellation\"", options));
        Assert.Equal(Tier.PendingCancellation, JsonSerializer.Deserialize<Tier>("\"pending-cancellation\"", options));
    }

    [Theory]
    [InlineData("""{"name":"Acme","count":"3","at":"2026-01-02T03:04:05Z","endsAt":null,"note":null,"tier":"growth"}""")]
    [InlineData("""{"name":"Acme","count":3.5,"at":"2026-01-02T03:04:05Z","endsAt":null,"note":null,"tier":"growth"}""")]
    [InlineData("""{"name":5,"count":3,"at":"2026-01-02T03:04:05Z","endsAt":null,"note":null,"tier":"growth"}""")]
    [InlineData("""{"name":"Acme","count":true,"at":"2026-01-02T03:04:05Z","endsAt":null,"note":null,"tier":"growth"}""")]
    [InlineData("""{"name":"Acme","count":3,"at":"2026-01-02T03:04:05Z","endsAt":null,"note":[],"tier":"growth"}""")]
    [InlineData("""{"name":null,"count":3,"at":"2026-01-02T03:04:05Z","endsAt":null,"note":null,"tier":"growth"}""")]
    [InlineData("""{"count":3,"at":"2026-01-02T03:04:05Z","endsAt":null,"note":null,"tier":"growth"}""")]
    [InlineData("""{"name":"Acme","count":3,"at":"2026-01-02T03:04:05Z","endsAt":null,"note":null,"tier":"growth",}""")]
    [InlineData("""{"name":"Acme",/*x*/"count":3,"at":"2026-01-02T03:04:05Z","endsAt":null,"note":null,"tier":"growth"}""")]
    [InlineData("{\"name\":\"Acme\",\"count\":3")]
    public void Deserialize_WrongTypesMissingOrMalformed_Rejected(string json)
    {
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<Sample>(json, NnoJson.Options));
    }
}

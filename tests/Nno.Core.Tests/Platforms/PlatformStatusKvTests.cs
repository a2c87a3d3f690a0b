using System.Text;
using System.Text.Json;
using Nno.Core.Platforms;

namespace Nno.Core.Tests.Platforms;

public sealed class PlatformStatusKvTests
{
    [Fact]
    public void KeyFor_IsPlatformColonId()
    {
        Assert.Equal("platform:k3m9p2xw7q", PlatformStatusKv.KeyFor("k3m9p2xw7q"));
        Assert.Throws<ArgumentException>(() => PlatformStatusKv.KeyFor(""));
    }

    [Fact]
    public void Record_SerializesTheContractFieldsInOrder_AndParsesBack()
    {
        var record = PlatformStatusRecord.Create("k3m9p2xw7q", PlatformStatuses.Suspended, PlatformTiers.Growth, 7, DateTimeOffset.FromUnixTimeMilliseconds(1767225600123));

        var json = record.ToUtf8Json();

        Assert.Equal("""{"platformId":"k3m9p2xw7q","status":"suspended","tier":"growth","version":7,"updatedAt":1767225600123}""", Encoding.UTF8.GetString(json));
        Assert.Equal(new PlatformStatusReading("suspended", "growth"), PlatformStatusKv.Parse(json));
    }

    public static TheoryData<string> AllStatuses => [.. PlatformStatuses.All];

    [Theory]
    [MemberData(nameof(AllStatuses))]
    public void Parse_EveryLifecycleStatus_AsJsonRecord_AsBareValue_AndAsJsonString(string status)
    {
        Assert.Equal(status, Parse($$"""{"platformId":"a1b2c3d4e5","status":"{{status}}","tier":"scale","version":1,"updatedAt":1}""").Status);
        Assert.Equal(status, Parse(status).Status);
        Assert.Equal(status, Parse(" " + status + "\n").Status);
        Assert.Equal(status, Parse("\"" + status + "\"").Status);
        Assert.True(Parse(status).IsKnown);
        Assert.Equal(PlatformTiers.Starter, Parse(status).Tier);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("Suspended")]
    [InlineData("paused")]
    [InlineData("suspended!")]
    [InlineData("{")]
    [InlineData("{\"status\":\"suspended\"")]
    [InlineData("{\"status\":\"suspended\"} trailing")]
    [InlineData("{\"status\":\"SUSPENDED\"}")]
    [InlineData("{\"status\":5}")]
    [InlineData("{\"status\":null,\"tier\":\"scale\"}")]
    [InlineData("{\"tier\":\"scale\"}")]
    [InlineData("{}")]
    [InlineData("[\"suspended\"]")]
    [InlineData("\"suspended")]
    [InlineData("\"unknown\"")]
    [InlineData("unknown")]
    [InlineData("{'status':'suspended'}")]
    public void Parse_UnparsableOrUnknownStatus_IsUnknown(string value)
    {
        var reading = Parse(value);

        Assert.Equal(PlatformStatuses.Unknown, reading.Status);
        Assert.False(reading.IsKnown);
    }

    [Fact]
    public void Parse_NonUtf8Bytes_IsUnknown()
    {
        Assert.Equal(PlatformStatusReading.Unknown, PlatformStatusKv.Parse([0xff, 0xfe, 0x00]));
        Assert.Equal(PlatformStatusReading.Unknown, PlatformStatusKv.Parse([(byte)'{', 0xff, (byte)'}']));
    }

    [Theory]
    [InlineData("{\"status\":\"active\"}", "starter")]
    [InlineData("{\"status\":\"active\",\"tier\":null}", "starter")]
    [InlineData("{\"status\":\"active\",\"tier\":\"enterprise\"}", "starter")]
    [InlineData("{\"status\":\"active\",\"tier\":3}", "starter")]
    [InlineData("{\"status\":\"active\",\"tier\":\"growth\"}", "growth")]
    [InlineData("{\"tier\":\"scale\",\"status\":\"active\"}", "scale")]
    public void Parse_MissingOrUnknownTier_IsStarter(string value, string tier)
    {
        var reading = Parse(value);

        Assert.Equal(PlatformStatuses.Active, reading.Status);
        Assert.Equal(tier, reading.Tier);
    }

    [Fact]
    public void Parse_IgnoresOtherFields_NestedValues_AndEscapes()
    {
        var reading = Parse("""{"extra":{"status":"deleted","list":[1,{"a":"b"}]},"status":"c\u0061ncelled","tier":"growth","more":[true,null]}""");

        Assert.Equal(new PlatformStatusReading(PlatformStatuses.Cancelled, PlatformTiers.Growth), reading);
    }

    [Fact]
    public void Parse_ReturnsTheSharedConstants()
    {
        var reading = Parse("{\"status\":\"suspended\",\"tier\":\"growth\"}");

        Assert.Same(PlatformStatuses.Suspended, reading.Status);
        Assert.Same(PlatformTiers.Growth, reading.Tier);
    }

    [Fact]
    public void StatusesAndTiers_AreTheSpecsLists()
    {
        Assert.Equal(["pending", "provisioning", "active", "suspended", "pending_cancellation", "cancelled", "deleted"], PlatformStatuses.All);
        Assert.Equal(["starter", "growth", "scale"], PlatformTiers.All);
        Assert.False(PlatformStatuses.IsKnown(PlatformStatuses.Unknown));
        Assert.False(PlatformStatuses.IsKnown(null));
        Assert.False(PlatformStatuses.IsKnown("Active"));
        Assert.True(PlatformTiers.IsKnown("scale"));
        Assert.False(PlatformTiers.IsKnown("Scale"));
        Assert.False(PlatformTiers.IsKnown(null));
    }

    [Fact]
    public void Parse_ARecordDeserializedWithSystemTextJson_HasTheContractShape()
    {
        var record = new PlatformStatusRecord("a1b2c3d4e5", "active", "scale", 3, 99);

        using var document = JsonDocument.Parse(record.ToUtf8Json());

        Assert.Equal(["platformId", "status", "tier", "version", "updatedAt"], document.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(99, document.RootElement.GetProperty("updatedAt").GetInt64());
    }

    private static PlatformStatusReading Parse(string value) => PlatformStatusKv.Parse(Encoding.UTF8.GetBytes(value));
}

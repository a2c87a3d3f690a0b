using System.Text.Json;
using Nno.Core.Environments;
using Nno.Core.Json;

namespace Nno.Core.Tests.Environments;

public sealed class EnvironmentNamesTests
{
    [Theory]
    [InlineData("local", NnoEnvironment.Local)]
    [InlineData("dev", NnoEnvironment.Dev)]
    [InlineData("stg", NnoEnvironment.Stg)]
    [InlineData("prod", NnoEnvironment.Prod)]
    public void NnoEnvironment_NamesRoundTrip(string name, NnoEnvironment environment)
    {
        Assert.True(EnvironmentNames.TryParse(name, out NnoEnvironment parsed));
        Assert.Equal(environment, parsed);
        Assert.Equal(name, environment.ToName());
        Assert.Equal(environment, EnvironmentNames.Parse(name));
        Assert.Equal($"\"{name}\"", JsonSerializer.Serialize(environment, NnoJson.Options));
        Assert.Equal(environment, JsonSerializer.Deserialize<NnoEnvironment>($"\"{name}\"", NnoJson.Options));
    }

    [Theory]
    [InlineData("Prod")]
    [InlineData("PROD")]
    [InlineData("production")]
    [InlineData(" prod")]
    [InlineData("staging")]
    [InlineData("")]
    [InlineData(null)]
    public void NnoEnvironment_UnknownName_Refused(string? name)
    {
        Assert.False(EnvironmentNames.TryParse(name, out NnoEnvironment _));
        Assert.Throws<ArgumentException>(() => EnvironmentNames.Parse(name));
    }

    [Theory]
    [InlineData("dev", PlatformEnvironment.Dev)]
    [InlineData("stg", PlatformEnvironment.Stg)]
    [InlineData("prod", PlatformEnvironment.Prod)]
    public void PlatformEnvironment_ApiNames(string name, PlatformEnvironment environment)
    {
        Assert.True(EnvironmentNames.TryParse(name, out PlatformEnvironment parsed));
        Assert.Equal(environment, parsed);
        Assert.Equal(environment, EnvironmentNames.ParsePlatform(name));
        Assert.Equal(name, environment.ToName());
        Assert.Equal(name, environment.ToNnoEnvironment().ToName());
        Assert.Equal($"\"{name}\"", JsonSerializer.Serialize(environment, NnoJson.Options));
    }

    [Theory]
    [InlineData("local")]
    [InlineData("Prod")]
    [InlineData("")]
    [InlineData(null)]
    public void PlatformEnvironment_LocalOrUnknown_ValidationNamingField(string? name)
    {
        Assert.False(EnvironmentNames.TryParse(name, out PlatformEnvironment _));
        var problems = ValidationAssert.Throws("environment", () => EnvironmentNames.ParsePlatform(name));
        Assert.Equal(["must be one of dev, stg, prod"], problems);
        ValidationAssert.Throws("env", () => EnvironmentNames.ParsePlatform(name, "env"));
    }

    [Fact]
    public void PlatformEnvironment_LocalInJsonBody_Rejected()
    {
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<PlatformEnvironment>("\"local\"", NnoJson.Options));
    }

    [Fact]
    public void TryToPlatformEnvironment_LocalHasNone()
    {
        Assert.False(NnoEnvironment.Local.TryToPlatformEnvironment(out _));
        Assert.True(NnoEnvironment.Stg.TryToPlatformEnvironment(out var stg));
        Assert.Equal(PlatformEnvironment.Stg, stg);
    }

    [Theory]
    [InlineData(NnoEnvironment.Local, "", null)]
    [InlineData(NnoEnvironment.Dev, "-dev", "dev")]
    [InlineData(NnoEnvironment.Stg, "-stg", "stg")]
    [InlineData(NnoEnvironment.Prod, "", null)]
    public void Affixes_PerEnvironment(NnoEnvironment environment, string suffix, string? label)
    {
        Assert.Equal(suffix, environment.ResourceSuffix());
        Assert.Equal(label, environment.HostnameLabel());
    }
}

using Nno.StackRegistry.Versions;

namespace Nno.StackRegistry.Tests.Definitions;

public sealed class SemanticVersionsTests
{
    [Theory]
    [InlineData("1.0")]
    [InlineData("v1.0.0")]
    [InlineData("01.0.0")]
    [InlineData("1.0.0+b1")]
    [InlineData("1.0.0-alpha+b1")]
    [InlineData("1.0.0-")]
    [InlineData("1.0.0-01")]
    [InlineData(" 1.0.0")]
    [InlineData("^1.0.0")]
    [InlineData("99999999999999999999.0.0")]
    [InlineData("")]
    public void TryParse_Refuses(string text) => Assert.False(SemanticVersions.TryParse(text, out _));

    [Fact]
    public void TryParse_RefusesOver64Characters_Accepts64()
    {
        Assert.False(SemanticVersions.TryParse("1.0.0-" + new string('a', 59), out _));
        Assert.True(SemanticVersions.TryParse("1.0.0-" + new string('a', 58), out _));
    }

    [Fact]
    public void TryParse_SplitsParts()
    {
        Assert.True(SemanticVersions.TryParse("2.10.3-beta.2", out var version));
        Assert.Equal((2L, 10L, 3L, "beta.2"), (version.Major, version.Minor, version.Patch, version.Prerelease));
        Assert.True(SemanticVersions.TryParse("1.0.0", out var stable));
        Assert.Null(stable.Prerelease);
    }

    [Fact]
    public void Descending_OrdersBySemverPrecedence()
    {
        string[] input = ["1.9.0-beta", "1.9.0-rc.2", "1.10.0", "1.9.0", "1.9.0-rc.10"];
        var ordered = input.Select(SemanticVersions.ParseStored).Order(SemanticVersions.Descending).Select(v => v.Text);
        Assert.Equal(["1.10.0", "1.9.0", "1.9.0-rc.10", "1.9.0-rc.2", "1.9.0-beta"], ordered);
    }

    [Fact]
    public void Latest_PrefersActiveStable_ThenActivePrerelease_ElseNull()
    {
        Assert.Equal("1.1.0", SemanticVersions.Latest([("1.0.0", "active"), ("2.0.0-beta.1", "active"), ("1.1.0", "active"), ("0.9.0", "active")]));
        Assert.Equal("0.9.0", SemanticVersions.Latest([("1.0.0", "deprecated"), ("2.0.0-beta.1", "active"), ("0.9.0", "active")]));
        Assert.Equal("2.0.0-beta.1", SemanticVersions.Latest([("1.0.0", "deprecated"), ("2.0.0-beta.1", "active"), ("2.0.0-alpha", "active")]));
        Assert.Null(SemanticVersions.Latest([("1.0.0", "deprecated")]));
        Assert.Null(SemanticVersions.Latest([]));
    }
}

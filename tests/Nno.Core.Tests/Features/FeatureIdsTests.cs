using Nno.Core.Features;

namespace Nno.Core.Tests.Features;

public sealed class FeatureIdsTests
{
    [Theory]
    [InlineData("team")]
    [InlineData("billing")]
    [InlineData("a")]
    [InlineData("a1")]
    [InlineData("write-export")]
    [InlineData("a-1-b2")]
    public void IsValid_GoodIds_True(string id)
    {
        Assert.True(FeatureIds.IsValid(id));
        Assert.Null(FeatureIds.Problem(id));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Billing")]
    [InlineData("a_b")]
    [InlineData("-a")]
    [InlineData("a-")]
    [InlineData("a--b")]
    [InlineData("1abc")]
    [InlineData("team ")]
    [InlineData("tëam")]
    public void IsValid_BadIds_False(string? id)
    {
        Assert.False(FeatureIds.IsValid(id));
        Assert.Equal(FeatureIds.Rule, FeatureIds.Problem(id));
    }

    [Fact]
    public void IsValid_32Characters_True_33False()
    {
        Assert.True(FeatureIds.IsValid(new string('a', 32)));
        Assert.False(FeatureIds.IsValid(new string('a', 33)));
    }
}

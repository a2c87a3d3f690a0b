using Nno.Core.Ids;

namespace Nno.Core.Tests.Ids;

public sealed class IdFormatTests
{
    [Theory]
    [InlineData("k3m9p2xw7q", true)]
    [InlineData("0000000000", true)]
    [InlineData("abcdefghij", true)]
    [InlineData("K3m9p2xw7q", false)]
    [InlineData("k3m9p2xw7", false)]
    [InlineData("k3m9p2xw7qq", false)]
    [InlineData("k3m9p2-w7q", false)]
    [InlineData("k3m9p2xw7é", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void IsPlatformId_MatchesTenLowercaseAlphanumerics(string? value, bool expected)
    {
        Assert.Equal(expected, IdFormat.IsPlatformId(value));
        Assert.Equal(expected, IdFormat.IsEntityId(value));
    }

    [Theory]
    [InlineData("default", true)]
    [InlineData("k3m9p2xw7q", true)]
    [InlineData("Default", false)]
    [InlineData("defaults", false)]
    [InlineData(null, false)]
    public void IsStackId_AcceptsIdsAndTheReservedDefault(string? value, bool expected)
    {
        Assert.Equal(expected, IdFormat.IsStackId(value));
    }

    [Fact]
    public void DefaultStackId_IsNotAPlatformId()
    {
        Assert.False(IdFormat.IsPlatformId(IdFormat.DefaultStackId));
    }

    [Theory]
    [InlineData("usr_abcdefghij0123456789", "usr", true)]
    [InlineData("usr_abcdefghij012345678", "usr", false)]
    [InlineData("usr_abcdefghij01234567890", "usr", false)]
    [InlineData("usr-abcdefghij0123456789", "usr", false)]
    [InlineData("usr_ABCDEFGHIJ0123456789", "usr", false)]
    [InlineData("ses_abcdefghij0123456789", "usr", false)]
    [InlineData("usr_abcdefghij0123456789", "USR", false)]
    [InlineData(null, "usr", false)]
    public void IsPrefixedId_ChecksPrefixUnderscoreAndBody(string? value, string prefix, bool expected)
    {
        Assert.Equal(expected, IdFormat.IsPrefixedId(value, prefix));
    }
}

using Nno.Core.Pagination;

namespace Nno.Core.Tests.Pagination;

public sealed class PageRequestTests
{
    [Fact]
    public void Parse_Nothing_DefaultsToFirstPageOf20WithoutTotal()
    {
        var request = PageRequest.Parse(null, null, null);
        Assert.Equal(20, request.Limit);
        Assert.Null(request.Cursor);
        Assert.False(request.IncludeTotal);
        Assert.Equal(21, request.FetchCount);
        Assert.Equal(request, PageRequest.Default);
    }

    [Theory]
    [InlineData("1", 1)]
    [InlineData("100", 100)]
    [InlineData("50", 50)]
    [InlineData("007", 7)]
    public void Parse_LimitInRange_Accepted(string limit, int expected)
    {
        Assert.Equal(expected, PageRequest.Parse(limit, null, null).Limit);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("101")]
    [InlineData("-1")]
    [InlineData("+5")]
    [InlineData(" 5")]
    [InlineData("5 ")]
    [InlineData("1.5")]
    [InlineData("abc")]
    [InlineData("")]
    [InlineData("99999999999")]
    public void Parse_LimitOutOfRangeOrNotAnInteger_ValidationNamingLimit(string limit)
    {
        var problems = ValidationAssert.Throws("limit", () => PageRequest.Parse(limit, null, null));
        Assert.Equal(["must be an integer from 1 to 100"], problems);
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("false", false)]
    public void Parse_IncludeTotal_Accepted(string value, bool expected)
    {
        Assert.Equal(expected, PageRequest.Parse(null, null, value).IncludeTotal);
    }

    [Theory]
    [InlineData("TRUE")]
    [InlineData("1")]
    [InlineData("yes")]
    [InlineData("")]
    public void Parse_IncludeTotalNotBoolean_ValidationNamingIncludeTotal(string value)
    {
        ValidationAssert.Throws("includeTotal", () => PageRequest.Parse(null, null, value));
    }

    [Fact]
    public void Parse_SeveralBadFields_NamesEach()
    {
        var ex = Assert.Throws<Nno.Core.Errors.ApiException>(() => PageRequest.Parse("0", null, "maybe"));
        ValidationAssert.Fields(ex, "limit");
        ValidationAssert.Fields(ex, "includeTotal");
    }

    [Fact]
    public void Parse_EmptyCursor_MeansFirstPage()
    {
        Assert.Null(PageRequest.Parse(null, "", null).Cursor);
        Assert.Equal("abc", PageRequest.Parse(null, "abc", null).Cursor);
    }

    [Fact]
    public void Create_ChecksLimit()
    {
        Assert.Equal(20, PageRequest.Create().Limit);
        Assert.Equal(100, PageRequest.Create(100, "c", includeTotal: true).Limit);
        Assert.True(PageRequest.Create(includeTotal: true).IncludeTotal);
        Assert.Null(PageRequest.Create(cursor: "").Cursor);
        ValidationAssert.Throws("limit", () => PageRequest.Create(0));
        ValidationAssert.Throws("limit", () => PageRequest.Create(101));
    }
}

using Nno.Sandbox.Stripe.Common;

namespace Nno.Sandbox.Tests.StripeEmulation;

/// <summary>The form parser's edge cases.</summary>
public sealed class StripeParamsTests
{
    [Fact]
    public void NestedBrackets_ParseIntoObjectsAndArrays_InIndexOrder()
    {
        var p = StripeParams.Parse("items[1][price]=price_b&metadata[platformId]=abc&items[0][price]=price_a&expand[]=x&expand[]=y&created[gte]=5&name=a%20b");
        Assert.Equal("abc", p.GetHash("metadata")!["platformId"]);
        Assert.Equal(["x", "y"], p.GetList("expand"));
        Assert.Equal(5, p.GetObject("created")!.GetInteger("gte"));
        Assert.Equal("a b", p.GetString("name"));
        var items = p.GetObject("items")!;
        Assert.Equal("price_a", items.GetObject("0")!.GetString("price"));
        Assert.Equal("created[gte]", p.GetObject("created")!.Full("gte"));
    }

    [Fact]
    public void Fingerprint_IgnoresParameterOrder_ButNotValues()
    {
        Assert.Equal(StripeParams.Parse("a=1&b[c]=2").Fingerprint, StripeParams.Parse("b[c]=2&a=1").Fingerprint);
        Assert.NotEqual(StripeParams.Parse("a=1&b[c]=2").Fingerprint, StripeParams.Parse("a=1&b[c]=3").Fingerprint);
        Assert.NotEqual(StripeParams.Parse("a=1").Fingerprint, StripeParams.Empty.Fingerprint);
    }

    [Theory]
    [InlineData("a=1&a[b]=2", "a[b]")]
    [InlineData("a[b]=2&a=1", "a")]
    [InlineData("a[b=1", "a[b")]
    [InlineData("[x]=1", "[x]")]
    public void MalformedNames_Are400NamingTheParameter(string query, string param)
    {
        var error = Assert.Throws<StripeException>(() => StripeParams.Parse(query));
        Assert.Equal(400, error.Status);
        Assert.Equal(param, error.Param);
    }

    [Fact]
    public void Readers_RefuseTheWrongShape()
    {
        var p = StripeParams.Parse("metadata=x&n=1.5&b=yes&l[a]=1");
        Assert.Equal("metadata", Assert.Throws<StripeException>(() => p.GetHash("metadata")).Param);
        Assert.Equal("parameter_invalid_integer", Assert.Throws<StripeException>(() => p.GetInteger("n")).Code);
        Assert.Equal("b", Assert.Throws<StripeException>(() => p.GetBoolean("b")).Param);
        Assert.Equal("l", Assert.Throws<StripeException>(() => p.GetList("l")).Param);
        Assert.Equal("parameter_missing", Assert.Throws<StripeException>(() => p.RequiredString("missing")).Code);
        Assert.Empty(StripeParams.Parse("metadata=").GetHash("metadata")!);
    }
}

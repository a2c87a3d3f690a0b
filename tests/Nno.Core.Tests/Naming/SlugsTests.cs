using Nno.Core.Errors;
using Nno.Core.Naming;

namespace Nno.Core.Tests.Naming;

public sealed class SlugsTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("acme")]
    [InlineData("acme-corp")]
    [InlineData("a1-b2--c3")]
    [InlineData("123")]
    public void IsValid_GoodSlugs_True(string slug)
    {
        Assert.True(Slugs.IsValid(slug));
        Assert.Null(Slugs.Problem(slug));
        Assert.Equal(slug, Slugs.Validate(slug));
    }

    [Fact]
    public void IsValid_63Characters_True_64False()
    {
        Assert.True(Slugs.IsValid(new string('a', 63)));
        Assert.False(Slugs.IsValid(new string('a', 64)));
    }

    [Theory]
    [InlineData(null, "is required")]
    [InlineData("", "is required")]
    [InlineData("Acme", "may contain only lower-case letters a-z, digits 0-9 and '-'")]
    [InlineData("acme_corp", "may contain only lower-case letters a-z, digits 0-9 and '-'")]
    [InlineData("acme corp", "may contain only lower-case letters a-z, digits 0-9 and '-'")]
    [InlineData("crème", "may contain only lower-case letters a-z, digits 0-9 and '-'")]
    [InlineData("-acme", "must not start or end with '-'")]
    [InlineData("acme-", "must not start or end with '-'")]
    [InlineData("-", "must not start or end with '-'")]
    public void Validate_BadSlug_ThrowsValidationWithProblem(string? slug, string problem)
    {
        Assert.False(Slugs.IsValid(slug));
        var problems = ValidationAssert.Throws("slug", () => Slugs.Validate(slug));
        Assert.Equal([problem], problems);
    }

    [Fact]
    public void Validate_TooLong_SaysTheLimit()
    {
        var problems = ValidationAssert.Throws("platformSlug", () => Slugs.Validate(new string('a', 64), "platformSlug"));
        Assert.Equal(["must be at most 63 characters"], problems);
    }

    [Theory]
    [InlineData("Acme Corp", "acme-corp")]
    [InlineData("  Crème Brûlée!! ", "creme-brulee")]
    [InlineData("Straße 5", "strasse-5")]
    [InlineData("Ærø Øst", "aero-ost")]
    [InlineData("Łódź Pierogi", "lodz-pierogi")]
    [InlineData("Ĳssel Œuvre", "ijssel-oeuvre")]
    [InlineData("O'Brien’s Shop", "obriens-shop")]
    [InlineData("Hello---World", "hello-world")]
    [InlineData("Café 2.0", "cafe-2-0")]
    [InlineData("e\u0301te\u0301", "ete")]
    [InlineData("Tokyo 東京 Office", "tokyo-office")]
    [InlineData("a×b÷c", "a-b-c")]
    [InlineData("ACME_CORP", "acme-corp")]
    public void TrySlugify_DisplayName_MakesValidSlug(string name, string expected)
    {
        Assert.True(Slugs.TrySlugify(name, out var slug));
        Assert.Equal(expected, slug);
        Assert.True(Slugs.IsValid(slug));
        Assert.Equal(expected, Slugs.Slugify(name));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("!!!")]
    [InlineData("東京")]
    [InlineData("''")]
    [InlineData(null)]
    public void TrySlugify_NothingUsable_SaysItCannot(string? name)
    {
        Assert.False(Slugs.TrySlugify(name, out var slug));
        Assert.Equal("", slug);
        var problems = ValidationAssert.Throws("name", () => Slugs.Slugify(name));
        Assert.Contains("cannot be turned into a slug", problems[0], StringComparison.Ordinal);
    }

    [Fact]
    public void TrySlugify_LongName_CutTo63()
    {
        Assert.True(Slugs.TrySlugify(new string('x', 100), out var slug));
        Assert.Equal(new string('x', 63), slug);
    }

    [Fact]
    public void TrySlugify_CutLandsOnHyphen_TrimsIt()
    {
        // 62 letters, a separator, then more: the cut at 63 would end on the hyphen.
        Assert.True(Slugs.TrySlugify(new string('a', 62) + " bbbb", out var slug));
        Assert.Equal(new string('a', 62), slug);
        Assert.True(Slugs.IsValid(slug));
    }

    [Fact]
    public void TrySlugify_EveryAccentedLatinLetter_FoldsToAscii()
    {
        for (var c = '\u00C0'; c <= '\u017F'; c++)
        {
            if (c is '\u00D7' or '\u00F7')
            {
                continue;
            }

            Assert.True(Slugs.TrySlugify(c.ToString(), out var slug), $"U+{(int)c:X4} should fold");
            Assert.Matches("^[a-z]{1,2}$", slug);
        }
    }

    [Fact]
    public void Slugify_CustomField_IsNamed()
    {
        var ex = Assert.Throws<ApiException>(() => Slugs.Slugify("???", "displayName"));
        ValidationAssert.Fields(ex, "displayName");
    }
}

using Nno.Core.Credentials;

namespace Nno.Core.Tests.Credentials;

public sealed class EmailAddressTests
{
    [Theory]
    [InlineData("user@example.com", "user@example.com")]
    [InlineData("  user@example.com\t", "user@example.com")]
    [InlineData("John.Doe@Example.COM", "john.doe@example.com")]
    [InlineData("USER+Tag@example.com", "user+tag@example.com")]
    [InlineData("first.last+news@sub.example.co.uk", "first.last+news@sub.example.co.uk")]
    [InlineData("user@bücher.example", "user@xn--bcher-kva.example")]
    [InlineData("user@BÜCHER.example", "user@xn--bcher-kva.example")]
    [InlineData("user@xn--bcher-kva.example", "user@xn--bcher-kva.example")]
    [InlineData("Ünïcode@example.com", "ünïcode@example.com")]
    [InlineData("o'brien_99@my-host.example", "o'brien_99@my-host.example")]
    [InlineData("a@b.co", "a@b.co")]
    public void Parse_ValidAddress_Normalizes(string input, string normalized)
    {
        var email = EmailAddress.Parse(input);

        Assert.Equal(normalized, email.Normalized);
        Assert.Equal(input.Trim(), email.Value);
        Assert.Equal(normalized, email.LocalPart + "@" + email.Domain);
    }

    [Theory]
    [InlineData(null, "required")]
    [InlineData("", "required")]
    [InlineData("   ", "required")]
    [InlineData("user", "invalid_format")]
    [InlineData("@example.com", "invalid_format")]
    [InlineData("user@", "invalid_format")]
    [InlineData("user@@example.com", "invalid_format")]
    [InlineData("a@b@example.com", "invalid_format")]
    [InlineData("us er@example.com", "invalid_format")]
    [InlineData("user@exa mple.com", "invalid_format")]
    [InlineData("user\u0000@example.com", "invalid_format")]
    [InlineData("user\u00a0x@example.com", "invalid_format")]
    [InlineData("user\r\n@example.com", "invalid_format")]
    [InlineData("\"Name\" <a@b.c>", "invalid_format")]
    [InlineData("Name <a@b.co>", "invalid_format")]
    [InlineData("Name<a@b.co>", "invalid_format")]
    [InlineData("<a@b.co>", "invalid_format")]
    [InlineData("\"quoted\"@example.com", "invalid_format")]
    [InlineData("a@b.co,c@d.co", "invalid_format")]
    [InlineData("user@[192.168.0.1]", "invalid_format")]
    [InlineData("user@localhost", "invalid_domain")]
    [InlineData("user@example.", "invalid_domain")]
    [InlineData("user@.example.com", "invalid_domain")]
    [InlineData("user@example..com", "invalid_domain")]
    [InlineData("user@-example.com", "invalid_domain")]
    [InlineData("user@example-.com", "invalid_domain")]
    [InlineData("user@exa_mple.com", "invalid_domain")]
    [InlineData("user@exa!mple.com", "invalid_domain")]
    public void Parse_InvalidAddress_IsValidationErrorWithCode(string? input, string code)
    {
        var problems = ValidationAssert.Throws("email", () => EmailAddress.Parse(input));

        Assert.Equal([code], problems);
        Assert.False(EmailAddress.TryParse(input, out _, out var error));
        Assert.Equal(code, error);
    }

    [Fact]
    public void Parse_LengthLimits_AreEnforced()
    {
        var local64 = new string('a', 64);
        var label63 = new string('b', 63);
        var domain253 = string.Join('.', label63, label63, label63, new string('c', 61)); // 63·3 + 61 + 3 dots = 253

        Assert.Equal(253, domain253.Length);
        Assert.Equal(local64 + "@example.com", EmailAddress.Normalize(local64 + "@example.com"));
        Assert.Equal(["too_long"], ValidationAssert.Throws("email", () => EmailAddress.Parse(local64 + "a@example.com")));
        Assert.Equal(["too_long"], ValidationAssert.Throws("email", () => EmailAddress.Parse("a@" + domain253 + "d")));
        Assert.Equal(["invalid_domain"], ValidationAssert.Throws("email", () => EmailAddress.Parse("a@" + new string('b', 64) + ".com")));

        // Local 64 + domain 189 = 254 total is the longest accepted address; one more character is too long.
        var domain189 = string.Join('.', label63, label63, new string('d', 61));
        Assert.Equal(189, domain189.Length);
        Assert.Equal(254, EmailAddress.Normalize(local64 + "@" + domain189).Length);
        Assert.Equal(["too_long"], ValidationAssert.Throws("email", () => EmailAddress.Parse(local64 + "@" + domain189 + "d")));
    }

    [Fact]
    public void Parse_UsesTheGivenFieldName()
    {
        ValidationAssert.Throws("inviteeEmail", () => EmailAddress.Parse("nope", "inviteeEmail"));
    }

    [Fact]
    public void Parse_DecomposedCharacters_AreComposedOrRefused()
    {
        // "é" as e + U+0301. With ICU the address is composed to NFC; under InvariantGlobalization (how NNO builds)
        // there is no normalisation data, so it is refused instead of being stored in a second form.
        var decomposed = "Re\u0301sume\u0301@example.com";
        if (UnicodeText.IsNormalizationAvailable)
        {
            Assert.Equal("r\u00e9sum\u00e9@example.com", EmailAddress.Normalize(decomposed));
        }
        else
        {
            Assert.Equal(["not_normalizable"], ValidationAssert.Throws("email", () => EmailAddress.Parse(decomposed)));
        }
    }
}

using System.Text.Json;
using Nno.Core.Credentials;
using Nno.Core.Errors;
using Nno.Core.Json;
using Nno.Iam.Passwords;

namespace Nno.Iam.Tests.Passwords;

public sealed class PasswordPolicyTests
{
    private static readonly CommonPasswordList CommonPasswords = new();
    private readonly PasswordPolicy _policy = new(CommonPasswords);

    [Fact]
    public void CommonPasswordList_LoadsTheZxcvbnListFromThePackage()
    {
        Assert.True(CommonPasswords.Count >= 25_000, $"only {CommonPasswords.Count} entries");
        Assert.True(CommonPasswords.Contains("password"));
        Assert.True(CommonPasswords.Contains("PassWord"));
        Assert.False(CommonPasswords.Contains("correct horse battery staple 42"));
    }

    [Theory]
    [InlineData("correct horse battery staple")]
    [InlineData("Tr0ub4dor&3xyz")]
    [InlineData("aaaaaaaaaaab")]
    [InlineData("🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂x")]
    public void Validate_AcceptablePassword_ReturnsIt(string password)
    {
        Assert.Equal(password, _policy.Validate(password, EmailAddress.Parse("someone@example.com")));
    }

    [Theory]
    [InlineData(null, "too_short")]
    [InlineData("", "too_short")]
    [InlineData("short-pass1", "too_short")]
    [InlineData("🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂x", "too_short")]
    [InlineData("aaaaaaaaaaaa", "repetitive")]
    [InlineData("############", "repetitive")]
    [InlineData("qwerty123456", "common")]
    [InlineData("QazWsxEdcRfv", "common")]
    [InlineData("someone.long@example.com", "contains_email")]
    [InlineData("SOMEONE.LONG@EXAMPLE.COM", "contains_email")]
    [InlineData("Someone.Long", "contains_email")]
    public void Validate_BrokenRule_IsValidationErrorWithCode(string? password, string code)
    {
        var ex = Assert.Throws<ApiException>(() => _policy.Validate(password, EmailAddress.Parse("Someone.Long@example.com")));

        Assert.Equal(400, ex.Status);
        Assert.Equal(ErrorCodes.ValidationError, ex.Code);
        var fields = JsonSerializer.SerializeToElement(ex.Details, NnoJson.Options).GetProperty("fields");
        Assert.Equal(code, Assert.Single(fields.GetProperty("password").EnumerateArray()).GetString());
    }

    [Fact]
    public void Validate_LengthBoundsAreTwelveToOneHundredTwentyEight()
    {
        Assert.Equal(12, _policy.Validate("xK9!mQ2#vL7p", null).Length);
        var max = string.Concat(Enumerable.Repeat("xK9!mQ2#", 16));
        Assert.Equal(max, _policy.Validate(max, null));
        Assert.Equal("too_long", _policy.Check(max + "z", null, out _));
        Assert.Equal("too_short", _policy.Check("xK9!mQ2#vL7", null, out _));
    }

    [Fact]
    public void Validate_CommonPasswordListEntryOfPolicyLength_IsRejectedWhateverItsCase()
    {
        // An entry of at least 12 characters from the list itself, so the test follows the package's data.
        Assert.Equal("common", _policy.Check("1q2w3e4r5t6y", null, out _));
        Assert.Equal("common", _policy.Check("1Q2W3E4R5T6Y", null, out _));
    }

    [Fact]
    public void Validate_IdnEmail_MatchesEitherForm()
    {
        var email = EmailAddress.Parse("longlocalpart@bücher.example");

        Assert.Equal("contains_email", _policy.Check("longlocalpart@bücher.example", email, out _));
        Assert.Equal("contains_email", _policy.Check("longlocalpart@xn--bcher-kva.example", email, out _));
        Assert.Equal("contains_email", _policy.Check("LongLocalPart", email, out _));
    }
}

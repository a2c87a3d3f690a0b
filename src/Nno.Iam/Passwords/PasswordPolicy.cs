using System.Text;
using Nno.Core.Credentials;
using Nno.Core.Errors;

namespace Nno.Iam.Passwords;

/// <summary>
/// The password policy of sign-up, change-password and bootstrap (iam.md §4.4): 12–128 characters after NFC, no
/// composition rules, not a common password, not the email or its local part, not one repeated character.
/// </summary>
internal sealed class PasswordPolicy(CommonPasswordList commonPasswords)
{
    public const string Field = "password";
    public const int MinLength = 12;
    public const int MaxLength = 128;

    /// <summary><c>details.fields.password</c> codes.</summary>
    public static class Codes
    {
        public const string TooShort = "too_short";
        public const string TooLong = "too_long";
        public const string Common = "common";
        public const string ContainsEmail = "contains_email";
        public const string Repetitive = "repetitive";
    }

    /// <summary>
    /// Returns the NFC form to hash, or throws 400 <c>VALIDATION_ERROR</c> with one <see cref="Codes"/> value.
    /// <paramref name="email"/> is the account's address when known.
    /// </summary>
    public string Validate(string? password, EmailAddress? email)
    {
        var problem = Check(password, email, out var normalized);
        return problem is null ? normalized : throw ApiException.Validation(Field, problem);
    }

    /// <summary>The first rule <paramref name="password"/> breaks (a <see cref="Codes"/> value), or null.</summary>
    public string? Check(string? password, EmailAddress? email, out string normalized)
    {
        // Under InvariantGlobalization non-ASCII text is hashed as given (UnicodeText explains why).
        normalized = UnicodeText.ToNfc(password ?? "");

        // "Characters" are code points, so an emoji counts once.
        var length = 0;
        Rune first = default;
        var repetitive = true;
        foreach (var rune in normalized.EnumerateRunes())
        {
            if (length == 0)
            {
                first = rune;
            }
            else if (rune != first)
            {
                repetitive = false;
            }

            length++;
        }

        if (length < MinLength)
        {
            return Codes.TooShort;
        }

        if (length > MaxLength)
        {
            return Codes.TooLong;
        }

        if (repetitive)
        {
            return Codes.Repetitive;
        }

        if (commonPasswords.Contains(normalized))
        {
            return Codes.Common;
        }

        if (email is not null && EqualsEmail(normalized, email))
        {
            return Codes.ContainsEmail;
        }

        return null;
    }

    private static bool EqualsEmail(string password, EmailAddress email)
    {
        var at = email.Value.LastIndexOf('@');
        return password.Equals(email.Normalized, StringComparison.OrdinalIgnoreCase)
            || password.Equals(email.Value, StringComparison.OrdinalIgnoreCase)
            || password.Equals(email.LocalPart, StringComparison.OrdinalIgnoreCase)
            || (at > 0 && password.AsSpan().Equals(email.Value.AsSpan(0, at), StringComparison.OrdinalIgnoreCase));
    }
}

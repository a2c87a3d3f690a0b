using System.Buffers;
using System.Globalization;
using System.Text;
using Nno.Core.Errors;

namespace Nno.Core.Credentials;

/// <summary>
/// An email address as IAM stores it (iam.md §4.4): <see cref="Value"/> is the trimmed input, <see cref="Normalized"/>
/// (<c>email_normalized</c>) is NFC + lower-case local part + <c>@</c> + IDNA-ASCII lower-case domain, used for every
/// lookup and uniqueness check. No dot or <c>+tag</c> stripping: those are different mailboxes at some providers.
/// </summary>
public sealed record EmailAddress
{
    /// <summary>Longest local part (RFC 5321 §4.5.3.1.1), in UTF-8 bytes.</summary>
    public const int MaxLocalPartLength = 64;

    /// <summary>Longest domain (IDNA-ASCII form).</summary>
    public const int MaxDomainLength = 253;

    /// <summary>Longest address (normalised local part in UTF-8 bytes + <c>@</c> + ASCII domain).</summary>
    public const int MaxLength = 254;

    /// <summary>Validation codes in <c>details.fields.email</c>.</summary>
    public static class Codes
    {
        public const string Required = "required";
        public const string InvalidFormat = "invalid_format";
        public const string TooLong = "too_long";
        public const string InvalidDomain = "invalid_domain";
        public const string NotNormalizable = "not_normalizable";
    }

    // RFC 5322 specials that only appear in quoted local parts, display-name forms and address lists.
    private static readonly SearchValues<char> Specials = SearchValues.Create("\"<>()[]\\,;:");
    private static readonly SearchValues<char> LdhChars = SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789-");

    private EmailAddress(string value, string normalized, int at)
    {
        Value = value;
        Normalized = normalized;
        LocalPart = normalized[..at];
        Domain = normalized[(at + 1)..];
    }

    /// <summary>The address as given, trimmed.</summary>
    public string Value { get; }

    /// <summary><c>email_normalized</c>.</summary>
    public string Normalized { get; }

    /// <summary>The normalised local part (before <c>@</c>).</summary>
    public string LocalPart { get; }

    /// <summary>The IDNA-ASCII lower-case domain.</summary>
    public string Domain { get; }

    /// <summary>Parses and normalises; a failure is 400 <c>VALIDATION_ERROR</c> naming <paramref name="field"/>.</summary>
    public static EmailAddress Parse(string? input, string field = "email") =>
        TryParse(input, out var email, out var error) ? email : throw ApiException.Validation(field, error);

    /// <summary>Parses and normalises; on failure <paramref name="error"/> is one of <see cref="Codes"/>.</summary>
    public static bool TryParse(string? input, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out EmailAddress? email, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        email = null;
        var value = input?.Trim() ?? "";
        if (value.Length == 0)
        {
            error = Codes.Required;
            return false;
        }

        // Whitespace, control characters and specials inside reject display-name forms ("Name" <a@b.c>, Name <a@b.c>),
        // lists and quoted local parts alike.
        foreach (var c in value)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                error = Codes.InvalidFormat;
                return false;
            }
        }

        var at = value.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0 || at == value.Length - 1 || value.IndexOf('@', at + 1) >= 0 || value.AsSpan().ContainsAny(Specials))
        {
            error = Codes.InvalidFormat;
            return false;
        }

        if (UnicodeText.MayNeedComposition(value))
        {
            error = Codes.NotNormalizable;
            return false;
        }

        var local = UnicodeText.ToNfc(value[..at]).ToLowerInvariant();
        if (Encoding.UTF8.GetByteCount(local) > MaxLocalPartLength)
        {
            error = Codes.TooLong;
            return false;
        }

        var domainInput = UnicodeText.ToNfc(value[(at + 1)..]).ToLowerInvariant();
        if (domainInput.Length > MaxDomainLength * 4)
        {
            error = Codes.TooLong;
            return false;
        }

        if (!TryToAsciiDomain(domainInput, out var domain))
        {
            error = Codes.InvalidDomain;
            return false;
        }

        if (domain.Length > MaxDomainLength || Encoding.UTF8.GetByteCount(local) + 1 + domain.Length > MaxLength)
        {
            error = Codes.TooLong;
            return false;
        }

        if (!IsValidHostname(domain))
        {
            error = Codes.InvalidDomain;
            return false;
        }

        email = new EmailAddress(value, local + "@" + domain, local.Length);
        error = null;
        return true;
    }

    /// <summary>Parses and normalises, returning only <c>email_normalized</c>.</summary>
    public static string Normalize(string? input, string field = "email") => Parse(input, field).Normalized;

    /// <inheritdoc />
    public override string ToString() => Normalized;

    private static bool TryToAsciiDomain(string domain, out string ascii)
    {
        if (UnicodeText.IsAscii(domain))
        {
            ascii = domain;
            return true;
        }

        try
        {
            // Lower-cased before the call: without ICU IdnMapping only encodes (no UTS #46 case mapping).
            ascii = new IdnMapping { UseStd3AsciiRules = true }.GetAscii(domain).ToLowerInvariant();
            return true;
        }
        catch (ArgumentException)
        {
            ascii = "";
            return false;
        }
    }

    /// <summary>At least two labels, each 1–63 letters, digits or hyphens, not starting or ending with a hyphen.</summary>
    private static bool IsValidHostname(ReadOnlySpan<char> domain)
    {
        var labels = 0;
        foreach (var range in domain.Split('.'))
        {
            var label = domain[range];
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-' || label.ContainsAnyExcept(LdhChars))
            {
                return false;
            }

            labels++;
        }

        return labels >= 2;
    }
}

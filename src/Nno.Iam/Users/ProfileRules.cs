using Nno.Core.Credentials;
using Nno.Core.Errors;

namespace Nno.Iam.Users;

/// <summary>The rules for <c>users.name</c> and <c>users.image</c> (iam.md §2): a 1–100 character name, an https image URL ≤ 2048.</summary>
internal static class ProfileRules
{
    public const int MaxNameLength = 100;
    public const int MaxImageLength = 2048;

    /// <summary>The trimmed NFC name, or 400 naming <c>name</c>.</summary>
    public static string Name(string? value)
    {
        var name = UnicodeText.ToNfc(value?.Trim() ?? "");
        if (name.Length == 0)
        {
            throw ApiException.Validation("name", "is required");
        }

        if (name.Length > MaxNameLength)
        {
            throw ApiException.Validation("name", "must be at most 100 characters");
        }

        return name.Any(char.IsControl) ? throw ApiException.Validation("name", "must not contain control characters") : name;
    }

    /// <summary>An absolute https URL of at most 2048 characters, or 400 naming <c>image</c>.</summary>
    public static string Image(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.Length <= MaxImageLength
            && Uri.TryCreate(value, UriKind.Absolute, out var uri)
            && uri.Scheme == Uri.UriSchemeHttps
            && uri.UserInfo.Length == 0
            && !value.Any(c => char.IsControl(c) || char.IsWhiteSpace(c))
            ? value
            : throw ApiException.Validation("image", "must be an https URL of at most 2048 characters");
    }
}

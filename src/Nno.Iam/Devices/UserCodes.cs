using System.Security.Cryptography;

namespace Nno.Iam.Devices;

/// <summary>
/// User codes (iam.md §4.9): 4 letters from <c>BCDFGHJKLMNPQRSTVWXZ</c> (no vowels, so no words; no look-alikes such
/// as O/0) and 4 digits, shown as <c>BCDF-4821</c>, stored without the hyphen.
/// </summary>
internal static class UserCodes
{
    public const string Letters = "BCDFGHJKLMNPQRSTVWXZ";
    public const string Digits = "0123456789";
    public const int StoredLength = 8;

    /// <summary>A new stored (normalized) code such as <c>BCDF4821</c>.</summary>
    public static string New() =>
        new string(RandomNumberGenerator.GetItems<char>(Letters, 4)) + new string(RandomNumberGenerator.GetItems<char>(Digits, 4));

    /// <summary>The display form <c>BCDF-4821</c> of a stored code.</summary>
    public static string Display(string stored) => stored.Length == StoredLength ? stored[..4] + "-" + stored[4..] : stored;

    /// <summary>
    /// The stored form of what a person typed: upper-cased, without spaces and hyphens. Null when it cannot be a code
    /// (so it never reaches the database).
    /// </summary>
    public static string? Normalize(string? input)
    {
        if (input is null || input.Length > 32)
        {
            return null;
        }

        var chars = input.Where(c => c is not (' ' or '-' or '\t')).Select(char.ToUpperInvariant).ToArray();
        if (chars.Length != StoredLength)
        {
            return null;
        }

        for (var i = 0; i < StoredLength; i++)
        {
            if (!(i < 4 ? Letters : Digits).Contains(chars[i], StringComparison.Ordinal))
            {
                return null;
            }
        }

        return new string(chars);
    }
}

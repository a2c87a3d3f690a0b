using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace Nno.Iam.Sessions;

/// <summary>
/// The opaque secrets IAM hands out (session tokens, link tokens, device codes, challenge tokens): 32 bytes from the
/// CSPRNG, base64url without padding (43 characters), stored only as their SHA-256 (iam.md §4.3, §4.9, §4.10).
/// </summary>
internal static class OpaqueTokens
{
    public const int Length = 43;

    /// <summary>A new token; never one starting with <c>nno_</c>, which the gateway would read as an API key.</summary>
    public static string New()
    {
        while (true)
        {
            var token = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
            if (!token.StartsWith("nno_", StringComparison.Ordinal))
            {
                return token;
            }
        }
    }

    /// <summary>SHA-256 of the token's UTF-8 bytes: what the tables store and look up by.</summary>
    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>A quick shape check so obvious garbage never reaches the database.</summary>
    public static bool LooksValid(string? token) =>
        token is { Length: Length } && token.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}

using System.Security.Cryptography;

namespace Nno.Iam;

/// <summary>IAM ids (iam.md §2): a type prefix, <c>_</c> and 20 cryptographically random characters of <c>[a-z0-9]</c>.</summary>
internal static class IamIds
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>A new id such as <c>evt_k3m9p2xw7qa1b2c3d4e5</c>.</summary>
    public static string New(string prefix) => prefix + "_" + new string(RandomNumberGenerator.GetItems<char>(Alphabet, 20));

    /// <summary>A random, URL-safe token id (JWT <c>jti</c>).</summary>
    public static string NewTokenId() => Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16));
}

using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;
using Nno.Iam.SigningKeys;
using Nno.ServiceDefaults.Security;
using Nno.Testing;

namespace Nno.Iam.Tests;

/// <summary>Reach into a test platform's IAM key ring: the published JWKS and the private keys behind it.</summary>
internal static class IamTestKeys
{
    public static async Task<IReadOnlyList<string>> PublishedKidsAsync(this TestPlatform platform)
    {
        using var iam = platform.Client("iam");
        using var response = await iam.GetAsync("/api/nno/jwks");
        response.EnsureSuccessStatusCode();
        return JsonWebKeySetDocument.Parse(await response.Content.ReadAsByteArrayAsync()).Keys.Select(k => k.Kid).ToList();
    }

    /// <summary>The private key of signing key <paramref name="kid"/>, to sign tokens "as IAM" with chosen claims.</summary>
    public static async Task<ECDsa> PrivateKeyAsync(this TestPlatform platform, string kid)
    {
        var ring = platform.Host.Apps["iam"].Services.GetRequiredService<SigningKeyRing>();
        var key = (await ring.GetPublishedKeysAsync(CancellationToken.None)).Single(k => k.Kid == kid);
        return ((ECDsaSecurityKey)key.Credentials!.Key).ECDsa;
    }

    public static string Kid(string token) => new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(token).Kid;

    public static string ErrorCode(string body) =>
        JsonDocument.Parse(body).RootElement.GetProperty("error").GetProperty("code").GetString()!;
}

using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Nno.ServiceDefaults.Security;

namespace Nno.Testing.Security;

/// <summary>Tokens IAM did not issue (or issued differently), for tests of what verifiers reject.</summary>
public static class ForgedTokens
{
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    /// <summary>The claims of a well-formed service token for <paramref name="service"/>, issued at <paramref name="now"/>.</summary>
    public static Dictionary<string, object> Claims(string service, DateTimeOffset now, TimeSpan? lifetime = null, string audience = ServiceTokenProtocol.Audience, string issuer = ServiceTokenProtocol.Issuer)
    {
        var iat = now.ToUnixTimeSeconds();
        return new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["iss"] = issuer,
            ["aud"] = audience,
            ["sub"] = ServiceTokenProtocol.SubjectPrefix + service,
            ["svc"] = service,
            ["iat"] = iat,
            ["nbf"] = iat,
            ["exp"] = iat + (long)(lifetime ?? TimeSpan.FromMinutes(5)).TotalSeconds,
            ["jti"] = Guid.NewGuid().ToString("N"),
        };
    }

    /// <summary>An ES256 token signed with <paramref name="key"/> under key id <paramref name="kid"/>.</summary>
    public static string Es256(ECDsa key, string kid, IDictionary<string, object> claims) =>
        Handler.CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            TokenType = "JWT",
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(key) { KeyId = kid }, SecurityAlgorithms.EcdsaSha256),
        });

    /// <summary>An ES256 token signed with a key nobody publishes.</summary>
    public static string SignedByUnknownKey(string kid, IDictionary<string, object> claims)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return Es256(key, kid, claims);
    }

    /// <summary>An unsigned token (<c>alg: none</c>).</summary>
    public static string AlgNone(string kid, IDictionary<string, object> claims) =>
        Segment(new Dictionary<string, object> { ["alg"] = "none", ["kid"] = kid, ["typ"] = "JWT" }) + "." + Segment(claims) + ".";

    /// <summary>An HS256 token keyed with <paramref name="secret"/> (e.g. the public key's bytes: the classic key-confusion attack).</summary>
    public static string Hs256(byte[] secret, string kid, IDictionary<string, object> claims)
    {
        var signingInput = Segment(new Dictionary<string, object> { ["alg"] = "HS256", ["kid"] = kid, ["typ"] = "JWT" }) + "." + Segment(claims);
        var mac = HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(signingInput));
        return signingInput + "." + Base64UrlEncoder.Encode(mac);
    }

    private static string Segment(object value) => Base64UrlEncoder.Encode(JsonSerializer.SerializeToUtf8Bytes(value));
}

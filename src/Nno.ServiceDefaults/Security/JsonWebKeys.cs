using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.IdentityModel.Tokens;

namespace Nno.ServiceDefaults.Security;

/// <summary>The JWKS document IAM publishes: <c>{"keys":[…]}</c> (iam.md §3.5).</summary>
public sealed record JsonWebKeySetDocument([property: JsonPropertyName("keys")] IReadOnlyList<EcJsonWebKey> Keys)
{
    /// <summary>Lenient on unknown members, as JWKS consumers must be (RFC 7517 §4); strict about the keys it uses.</summary>
    private static readonly JsonSerializerOptions ReadOptions = new(JsonSerializerDefaults.Web);

    /// <summary>Parses a JWKS document; throws <see cref="JsonException"/> when it is not one.</summary>
    public static JsonWebKeySetDocument Parse(ReadOnlySpan<byte> utf8Json) =>
        JsonSerializer.Deserialize<JsonWebKeySetDocument>(utf8Json, ReadOptions) is { Keys: not null } document
            ? document
            : throw new JsonException("The document is not a JWKS.");
}

/// <summary>One public EC P-256 signing key as a JWK (RFC 7517/7518).</summary>
public sealed record EcJsonWebKey(
    [property: JsonPropertyName("kty")] string Kty,
    [property: JsonPropertyName("crv")] string Crv,
    [property: JsonPropertyName("x")] string X,
    [property: JsonPropertyName("y")] string Y,
    [property: JsonPropertyName("kid")] string Kid,
    [property: JsonPropertyName("alg")] string? Alg,
    [property: JsonPropertyName("use")] string? Use)
{
    private const int CoordinateLength = 32;

    /// <summary>The JWK of a P-256 public key; <paramref name="kid"/> defaults to its RFC 7638 thumbprint.</summary>
    public static EcJsonWebKey FromPublicKey(ECParameters parameters, string? kid = null)
    {
        var x = parameters.Q.X ?? throw new ArgumentException("The key has no public point.", nameof(parameters));
        var y = parameters.Q.Y ?? throw new ArgumentException("The key has no public point.", nameof(parameters));
        var xs = Base64UrlEncoder.Encode(x);
        var ys = Base64UrlEncoder.Encode(y);
        return new EcJsonWebKey("EC", "P-256", xs, ys, kid ?? Thumbprint(xs, ys), ServiceTokenProtocol.Algorithm, "sig");
    }

    /// <summary>RFC 7638 thumbprint of a P-256 key: base64url(SHA-256 of the canonical member set).</summary>
    public static string Thumbprint(string x, string y)
    {
        var canonical = $$"""{"crv":"P-256","kty":"EC","x":"{{x}}","y":"{{y}}"}""";
        return Base64UrlEncoder.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    /// <summary>
    /// The verification key, or false when this JWK is not an ES256 signing key NNO accepts (other key types, curves,
    /// algorithms or uses, or coordinates that are not a point on P-256).
    /// </summary>
    public bool TryCreateSecurityKey(out ECDsaSecurityKey key)
    {
        key = null!;
        if (Kty != "EC" || Crv != "P-256" || Alg is not (null or ServiceTokenProtocol.Algorithm) || Use is not (null or "sig") || string.IsNullOrEmpty(Kid))
        {
            return false;
        }

        byte[] x, y;
        try
        {
            x = Base64UrlEncoder.DecodeBytes(X);
            y = Base64UrlEncoder.DecodeBytes(Y);
        }
        catch (FormatException)
        {
            return false;
        }

        if (x.Length != CoordinateLength || y.Length != CoordinateLength)
        {
            return false;
        }

        try
        {
            var ecdsa = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = x, Y = y } });
            key = new ECDsaSecurityKey(ecdsa) { KeyId = Kid };
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}

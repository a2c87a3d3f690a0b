using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Nno.Sandbox.Cloudflare.S3;

/// <summary>What a verified request's signature established; chunk and trailer signatures chain from it.</summary>
internal sealed record S3SigningContext(string AmzDate, string Scope, byte[] SigningKey, string SeedSignature, string PayloadHash);

/// <summary>
/// Checks the AWS Signature V4 <c>Authorization</c> header of an S3 request against the sandbox credentials: the
/// access key, the scope (<c>auto</c>/<c>s3</c>) and the signature recomputed over the canonical request.
/// The request time is not compared with the clock: tests run on a fake clock while the SDK signs with the real one.
/// </summary>
internal static class S3SignatureVerifier
{
    public const string Region = "auto";
    public const string Service = "s3";

    public static S3SigningContext Verify(HttpRequest request, string rawPath, string rawQuery, string accessKeyId, string secret)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (!authorization.StartsWith(SigV4.Algorithm + " ", StringComparison.Ordinal))
        {
            throw S3Exception.AccessDenied("Missing or unsupported authorization; AWS Signature Version 4 is required.");
        }

        var fields = ParseAuthorization(authorization[(SigV4.Algorithm.Length + 1)..]);
        if (!fields.TryGetValue("Credential", out var credential)
            || !fields.TryGetValue("SignedHeaders", out var signedHeaders)
            || !fields.TryGetValue("Signature", out var signature))
        {
            throw S3Exception.AccessDenied("The authorization header is malformed.");
        }

        var parts = credential.Split('/');
        if (parts.Length != 5 || parts[4] != "aws4_request")
        {
            throw S3Exception.AccessDenied("The credential is malformed.");
        }

        if (!FixedEquals(parts[0], accessKeyId))
        {
            throw S3Exception.AccessDenied("The access key id does not exist.");
        }

        if (parts[2] != Region || parts[3] != Service)
        {
            throw S3Exception.AccessDenied($"The credential scope must use region '{Region}' and service '{Service}'.");
        }

        var amzDate = request.Headers["x-amz-date"].ToString();
        if (amzDate.Length != 16 || !amzDate.StartsWith(parts[1], StringComparison.Ordinal))
        {
            throw S3Exception.AccessDenied("x-amz-date is missing or does not match the credential date.");
        }

        var payloadHash = request.Headers["x-amz-content-sha256"].ToString();
        if (payloadHash.Length == 0)
        {
            throw S3Exception.InvalidRequest("Missing required header for this request: x-amz-content-sha256");
        }

        var names = signedHeaders.Split(';');
        if (!names.Contains("host") || names.Any(n => n.Length == 0 || n.Any(char.IsAsciiLetterUpper)))
        {
            throw S3Exception.AccessDenied("SignedHeaders must list host and lower-case names.");
        }

        var canonicalHeaders = new StringBuilder();
        foreach (var name in names)
        {
            var values = request.Headers[name];
            var value = string.Join(',', values.Select(v => SigV4.CanonicalHeaderValue(v ?? string.Empty)));
            canonicalHeaders.Append(name).Append(':').Append(value).Append('\n');
        }

        var canonicalRequest = string.Join('\n',
            request.Method,
            SigV4.CanonicalUri(rawPath),
            SigV4.CanonicalQuery(rawQuery),
            canonicalHeaders.ToString(),
            signedHeaders,
            payloadHash);

        var scope = $"{parts[1]}/{Region}/{Service}/aws4_request";
        var stringToSign = $"{SigV4.Algorithm}\n{amzDate}\n{scope}\n{SigV4.HexSha256(canonicalRequest)}";
        var key = SigV4.SigningKey(secret, parts[1], Region, Service);
        var expected = SigV4.HexHmac(key, stringToSign);
        if (!FixedEquals(expected, signature))
        {
            throw S3Exception.AccessDenied("The request signature we calculated does not match the signature you provided.");
        }

        return new S3SigningContext(amzDate, scope, key, signature, payloadHash);
    }

    private static Dictionary<string, string> ParseAuthorization(string value)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = item.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                result[item[..eq]] = item[(eq + 1)..];
            }
        }

        return result;
    }

    private static bool FixedEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));
}

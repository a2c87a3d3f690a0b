using System.Globalization;
using System.Text;

namespace Nno.Sandbox.Cloudflare.S3;

/// <summary>
/// Decodes an <c>aws-chunked</c> upload body (what the AWS SDK sends for streaming payloads): chunks
/// <c>{hex size}[;chunk-signature={sig}]\r\n{data}\r\n</c>, a zero-size final chunk, then optional trailer lines
/// (a flexible checksum and, for signed streams, <c>x-amz-trailer-signature</c>). Signed streams have every chunk
/// signature checked in chain from the seed signature, and the trailer signature after it.
/// </summary>
internal static class AwsChunkedBody
{
    public const string SignedPayload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
    public const string SignedPayloadTrailer = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
    public const string UnsignedPayloadTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

    public static bool IsStreaming(string payloadHash) =>
        payloadHash is SignedPayload or SignedPayloadTrailer or UnsignedPayloadTrailer;

    /// <summary>The decoded data and the trailer headers (lower-case names, without the trailer signature).</summary>
    public static (byte[] Data, Dictionary<string, string> Trailers) Decode(byte[] body, S3SigningContext signing)
    {
        var signed = signing.PayloadHash is SignedPayload or SignedPayloadTrailer;
        var data = new MemoryStream();
        var trailers = new Dictionary<string, string>(StringComparer.Ordinal);
        var previous = signing.SeedSignature;
        var pos = 0;
        while (true)
        {
            var header = ReadLine(body, ref pos) ?? throw Incomplete();
            var semicolon = header.IndexOf(';', StringComparison.Ordinal);
            var sizeText = semicolon < 0 ? header : header[..semicolon];
            if (!int.TryParse(sizeText, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var size)
                || size < 0 || pos + size > body.Length)
            {
                throw Incomplete();
            }

            var chunk = body.AsSpan(pos, size);
            pos += size;
            if (signed)
            {
                const string marker = "chunk-signature=";
                var sigAt = header.IndexOf(marker, StringComparison.Ordinal);
                if (sigAt < 0)
                {
                    throw S3Exception.AccessDenied("A chunk of a signed stream has no chunk-signature.");
                }

                var given = header[(sigAt + marker.Length)..];
                var stringToSign = $"AWS4-HMAC-SHA256-PAYLOAD\n{signing.AmzDate}\n{signing.Scope}\n{previous}\n{SigV4.EmptySha256}\n{SigV4.HexSha256(chunk)}";
                var expected = SigV4.HexHmac(signing.SigningKey, stringToSign);
                if (!string.Equals(expected, given, StringComparison.Ordinal))
                {
                    throw S3Exception.AccessDenied("The chunk signature does not match.");
                }

                previous = given;
            }

            if (size == 0)
            {
                break;
            }

            data.Write(chunk);
            if (ReadLine(body, ref pos) is not "")
            {
                throw Incomplete();
            }
        }

        // Trailer section: header lines up to an empty line (or the end of the body).
        string? trailerSignature = null;
        var canonicalTrailers = new StringBuilder();
        while (ReadLine(body, ref pos) is { Length: > 0 } line)
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw Incomplete();
            }

            var name = line[..colon].Trim().ToLowerInvariant();
            var value = line[(colon + 1)..].Trim();
            if (name == "x-amz-trailer-signature")
            {
                trailerSignature = value;
                continue;
            }

            trailers[name] = value;
            canonicalTrailers.Append(name).Append(':').Append(value).Append('\n');
        }

        if (signing.PayloadHash == SignedPayloadTrailer)
        {
            if (trailerSignature is null)
            {
                throw S3Exception.AccessDenied("The signed trailer has no x-amz-trailer-signature.");
            }

            var stringToSign = $"AWS4-HMAC-SHA256-TRAILER\n{signing.AmzDate}\n{signing.Scope}\n{previous}\n{SigV4.HexSha256(canonicalTrailers.ToString())}";
            if (!string.Equals(SigV4.HexHmac(signing.SigningKey, stringToSign), trailerSignature, StringComparison.Ordinal))
            {
                throw S3Exception.AccessDenied("The trailer signature does not match.");
            }
        }

        return (data.ToArray(), trailers);
    }

    private static string? ReadLine(byte[] body, ref int pos)
    {
        if (pos >= body.Length)
        {
            return null;
        }

        var end = body.AsSpan(pos).IndexOf("\r\n"u8);
        if (end < 0)
        {
            throw Incomplete();
        }

        var line = Encoding.ASCII.GetString(body, pos, end);
        pos += end + 2;
        return line;
    }

    private static S3Exception Incomplete() => new(400, "IncompleteBody", "The aws-chunked body is malformed or incomplete.");
}

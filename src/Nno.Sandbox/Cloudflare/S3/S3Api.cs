using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Nno.Sandbox.Cloudflare.Common;
using Nno.Sandbox.Cloudflare.Pipeline;
using Nno.Sandbox.Cloudflare.R2;

namespace Nno.Sandbox.Cloudflare.S3;

/// <summary>
/// R2's S3-compatible surface (provisioning.md §5, §5.1) under <c>/cloudflare/r2-s3/{accountId}</c>, path-style:
/// ListObjectsV2, DeleteObjects and PutObject over the R2 state, every request signed with SigV4 against the sandbox
/// credentials. Not on the REST rate limit; injected faults still apply and are answered as S3 XML.
/// </summary>
internal static class S3Api
{
    public const string BasePath = "/cloudflare/r2-s3";

    /// <summary>DeleteObjects takes at most this many keys (S3's limit).</summary>
    public const int MaxDeleteKeys = 1000;

    private const int MaxDeleteBodyBytes = 2 * 1024 * 1024;

    public static CloudflareArea Area { get; } = new()
    {
        Name = "S3",
        Map = groups => Map(groups.Root),
    };

    private static void Map(IEndpointRouteBuilder root)
    {
        var s3 = root.MapGroup(BasePath + "/{accountId}")
            .WithTags("Cloudflare R2 S3")
            .WithCloudflareSurface(new CloudflareSurface { RateLimited = false, BearerAuth = false, ErrorWriter = S3Xml.WriteFaultAsync });
        string[] methods = ["GET", "HEAD", "PUT", "POST", "DELETE"];
        s3.MapMethods("/{bucket}/{**key}", methods, HandleAsync)
            .WithName("CfR2S3").WithSummary("S3-compatible bucket and object calls (ListObjectsV2, DeleteObjects, PutObject).");
        s3.MapMethods("/", methods, HandleAsync)
            .WithName("CfR2S3Service").WithSummary("S3 service-level calls (not supported by the sandbox).");
    }

    private static async Task HandleAsync(HttpContext context, string accountId, R2Store store, CloudflareState state)
    {
        try
        {
            var (rawPath, rawQuery) = RawTarget(context);
            var signing = S3SignatureVerifier.Verify(context.Request, rawPath, rawQuery, state.Options.R2AccessKeyId, state.Options.R2SecretAccessKey);
            if (accountId != state.AccountId)
            {
                throw S3Exception.AccessDenied("The credentials do not belong to this account.");
            }

            var (bucket, key) = BucketAndKey(rawPath, accountId);
            var request = context.Request;
            var query = request.Query;
            var method = request.Method;
            if (bucket.Length == 0)
            {
                throw NotImplemented("Service-level operations (ListBuckets) are not supported by the sandbox.");
            }

            if (key.Length == 0 && method == HttpMethods.Get && query["list-type"] == "2")
            {
                await ListObjectsV2Async(context, bucket, store, state, signing);
            }
            else if (key.Length == 0 && method == HttpMethods.Post && query.ContainsKey("delete"))
            {
                await DeleteObjectsAsync(context, bucket, store, signing);
            }
            else if (key.Length > 0 && method == HttpMethods.Put && query.Count == 0)
            {
                await PutObjectAsync(context, bucket, key, store, signing);
            }
            else
            {
                throw NotImplemented("The sandbox's S3 surface supports ListObjectsV2, DeleteObjects and PutObject only.");
            }
        }
        catch (S3Exception error) when (!context.Response.HasStarted)
        {
            await S3Xml.WriteErrorAsync(context, error);
        }
    }

    private static async Task ListObjectsV2Async(HttpContext context, string bucket, R2Store store, CloudflareState state, S3SigningContext signing)
    {
        await ReadVerifiedBodyAsync(context, signing, MaxDeleteBodyBytes);
        var query = context.Request.Query;
        if (query.ContainsKey("delimiter"))
        {
            throw NotImplemented("delimiter is not supported by the sandbox.");
        }

        var maxKeys = 1000;
        if (query.TryGetValue("max-keys", out var maxKeysText))
        {
            if (!int.TryParse(maxKeysText, NumberStyles.None, CultureInfo.InvariantCulture, out maxKeys) || maxKeys < 1)
            {
                throw S3Exception.InvalidArgument("max-keys must be an integer from 1 to 1000.");
            }

            maxKeys = Math.Min(maxKeys, 1000);
        }

        var urlEncoding = query["encoding-type"].ToString() switch
        {
            "" => false,
            "url" => true,
            _ => throw S3Exception.InvalidArgument("encoding-type must be url."),
        };
        var effective = Math.Min(maxKeys, state.Faults.R2ListMaxKeys ?? 1000);
        var prefix = query["prefix"].ToString();
        var token = query["continuation-token"].ToString();
        var startAfter = query["start-after"].ToString();
        string? after = startAfter.Length > 0 ? startAfter : null;
        if (token.Length > 0)
        {
            after = DecodeToken(token);
        }

        if (await store.GetBucketAsync(bucket, context.RequestAborted) is null)
        {
            throw S3Exception.NoSuchBucket();
        }

        var page = await store.ListObjectsAsync(bucket, prefix, after, effective, context.RequestAborted);
        await store.CountAsync(bucket, 1, context.RequestAborted);
        string Out(string value) => urlEncoding ? SigV4.UriEncode(value, keepSlash: true) : value;
        await S3Xml.WriteAsync(context, 200, w =>
        {
            w.WriteStartElement("ListBucketResult", S3Xml.Namespace);
            w.WriteElementString("Name", bucket);
            w.WriteElementString("Prefix", Out(prefix));
            w.WriteElementString("MaxKeys", maxKeys.ToString(CultureInfo.InvariantCulture));
            w.WriteElementString("KeyCount", page.Objects.Count.ToString(CultureInfo.InvariantCulture));
            w.WriteElementString("IsTruncated", page.Truncated ? "true" : "false");
            if (urlEncoding)
            {
                w.WriteElementString("EncodingType", "url");
            }

            if (token.Length > 0)
            {
                w.WriteElementString("ContinuationToken", token);
            }

            if (startAfter.Length > 0)
            {
                w.WriteElementString("StartAfter", Out(startAfter));
            }

            if (page.Truncated && page.LastKey is { } last)
            {
                w.WriteElementString("NextContinuationToken", EncodeToken(last));
            }

            foreach (var item in page.Objects)
            {
                w.WriteStartElement("Contents");
                w.WriteElementString("Key", Out(item.Key));
                w.WriteElementString("LastModified", S3Xml.Timestamp(item.Uploaded));
                w.WriteElementString("ETag", $"\"{item.Etag}\"");
                w.WriteElementString("Size", item.Size.ToString(CultureInfo.InvariantCulture));
                w.WriteElementString("StorageClass", "STANDARD");
                w.WriteEndElement();
            }

            w.WriteEndElement();
        });
    }

    private static async Task DeleteObjectsAsync(HttpContext context, string bucket, R2Store store, S3SigningContext signing)
    {
        if (await store.GetBucketAsync(bucket, context.RequestAborted) is null)
        {
            throw S3Exception.NoSuchBucket();
        }

        var (body, integrity) = await ReadVerifiedBodyAsync(context, signing, MaxDeleteBodyBytes);
        if (!S3Checksums.HasAny(integrity))
        {
            throw S3Exception.InvalidRequest("Missing required header for this request: Content-MD5 (or an x-amz-checksum-* header).");
        }

        S3Checksums.Verify(body, integrity);
        var (keys, quiet) = ParseDelete(body);
        var errors = new List<(string Key, string Code, string Message)>();
        var deleted = new List<string>();
        foreach (var key in keys)
        {
            if (R2Store.KeyProblem(key) is { } problem)
            {
                errors.Add((key, "InvalidArgument", problem));
                continue;
            }

            await store.DeleteObjectAsync(bucket, key, context.RequestAborted);
            deleted.Add(key);
        }

        await store.CountAsync(bucket, 1, context.RequestAborted);
        await S3Xml.WriteAsync(context, 200, w =>
        {
            w.WriteStartElement("DeleteResult", S3Xml.Namespace);
            if (!quiet)
            {
                foreach (var key in deleted)
                {
                    w.WriteStartElement("Deleted");
                    w.WriteElementString("Key", key);
                    w.WriteEndElement();
                }
            }

            foreach (var (key, code, message) in errors)
            {
                w.WriteStartElement("Error");
                w.WriteElementString("Key", key);
                w.WriteElementString("Code", code);
                w.WriteElementString("Message", message);
                w.WriteEndElement();
            }

            w.WriteEndElement();
        });
    }

    private static async Task PutObjectAsync(HttpContext context, string bucket, string key, R2Store store, S3SigningContext signing)
    {
        if (R2Store.KeyProblem(key) is { } problem)
        {
            throw new S3Exception(400, Encoding.UTF8.GetByteCount(key) > R2Store.MaxKeyBytes ? "KeyTooLongError" : "InvalidArgument", problem);
        }

        if (await store.GetBucketAsync(bucket, context.RequestAborted) is null)
        {
            throw S3Exception.NoSuchBucket();
        }

        var (body, integrity) = await ReadVerifiedBodyAsync(context, signing, R2Store.MaxObjectBytes);
        S3Checksums.Verify(body, integrity);
        var stored = await store.PutObjectAsync(bucket, key, body, context.Request.ContentType, context.RequestAborted)
            ?? throw S3Exception.NoSuchBucket();
        await store.CountAsync(bucket, 1, context.RequestAborted);
        context.Response.StatusCode = 200;
        context.Response.Headers.ETag = $"\"{stored.Etag}\"";
        foreach (var (name, value) in integrity.Where(i => i.Key.StartsWith("x-amz-checksum-", StringComparison.Ordinal)))
        {
            context.Response.Headers[name] = value;
        }

        context.Response.ContentLength = 0;
    }

    /// <summary>
    /// Reads the body and checks it against <c>x-amz-content-sha256</c>: a hex SHA-256 must match, <c>UNSIGNED-PAYLOAD</c>
    /// is taken as is, streaming payloads are decoded (chunk and trailer signatures checked). Returns the payload and
    /// its integrity values (<c>Content-MD5</c>, <c>x-amz-checksum-*</c> headers and trailers; lower-case names).
    /// </summary>
    private static async Task<(byte[] Body, Dictionary<string, string> Integrity)> ReadVerifiedBodyAsync(
        HttpContext context, S3SigningContext signing, long maxBytes)
    {
        var request = context.Request;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            // Streaming framing adds about 100 bytes per 64 KiB chunk.
            limit.MaxRequestBodySize = maxBytes + (maxBytes / 256) + 4096;
        }

        byte[] raw;
        try
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, context.RequestAborted);
            raw = buffer.ToArray();
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw new S3Exception(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed object size.");
        }

        var integrity = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var header in request.Headers)
        {
            var name = header.Key.ToLowerInvariant();
            if (name == "content-md5" || (name.StartsWith("x-amz-checksum-", StringComparison.Ordinal) && name != "x-amz-checksum-type"))
            {
                integrity[name] = header.Value.ToString();
            }
        }

        var payloadHash = signing.PayloadHash;
        byte[] body;
        if (AwsChunkedBody.IsStreaming(payloadHash))
        {
            var (data, trailers) = AwsChunkedBody.Decode(raw, signing);
            if (request.Headers["x-amz-decoded-content-length"].ToString() is { Length: > 0 } declared
                && (!long.TryParse(declared, NumberStyles.None, CultureInfo.InvariantCulture, out var length) || length != data.Length))
            {
                throw new S3Exception(400, "IncompleteBody", "The decoded body length does not match x-amz-decoded-content-length.");
            }

            foreach (var (name, value) in trailers)
            {
                integrity[name] = value;
            }

            body = data;
        }
        else if (payloadHash == "UNSIGNED-PAYLOAD")
        {
            body = raw;
        }
        else if (payloadHash.Length == 64 && payloadHash.All(char.IsAsciiHexDigitLower))
        {
            if (SigV4.HexSha256(raw) != payloadHash)
            {
                throw new S3Exception(400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.");
            }

            body = raw;
        }
        else
        {
            throw S3Exception.InvalidArgument("x-amz-content-sha256 must be UNSIGNED-PAYLOAD, a STREAMING-* value or a SHA-256 hex digest.");
        }

        if (body.Length > maxBytes)
        {
            throw new S3Exception(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size.");
        }

        return (body, integrity);
    }

    /// <summary>Parses <c>&lt;Delete&gt;&lt;Quiet/&gt;&lt;Object&gt;&lt;Key/&gt;&lt;/Object&gt;…&lt;/Delete&gt;</c> (at most 1,000 keys).</summary>
    private static (IReadOnlyList<string> Keys, bool Quiet) ParseDelete(byte[] body)
    {
        XDocument document;
        try
        {
            using var reader = XmlReader.Create(new MemoryStream(body), new XmlReaderSettings
            {
                DtdProcessing = DtdProcessing.Prohibit,
                XmlResolver = null,
            });
            document = XDocument.Load(reader);
        }
        catch (XmlException)
        {
            throw S3Exception.MalformedXml("The XML you provided was not well-formed or did not validate against our published schema.");
        }

        var root = document.Root;
        if (root is null || root.Name.LocalName != "Delete")
        {
            throw S3Exception.MalformedXml("The root element must be Delete.");
        }

        var keys = new List<string>();
        var quiet = false;
        foreach (var element in root.Elements())
        {
            switch (element.Name.LocalName)
            {
                case "Quiet":
                    quiet = element.Value.Trim() switch
                    {
                        "true" => true,
                        "false" => false,
                        _ => throw S3Exception.MalformedXml("Quiet must be true or false."),
                    };
                    break;
                case "Object":
                    var key = element.Elements().FirstOrDefault(e => e.Name.LocalName == "Key")?.Value;
                    if (key is null || element.Elements().Any(e => e.Name.LocalName is not ("Key" or "VersionId" or "ETag")))
                    {
                        throw S3Exception.MalformedXml("Every Object needs exactly a Key (and optionally VersionId).");
                    }

                    keys.Add(key);
                    break;
                default:
                    throw S3Exception.MalformedXml($"Unexpected element {element.Name.LocalName}.");
            }
        }

        if (keys.Count == 0 || keys.Count > MaxDeleteKeys)
        {
            throw S3Exception.MalformedXml($"A Delete request must name from 1 to {MaxDeleteKeys} objects.");
        }

        return (keys, quiet);
    }

    /// <summary>The request target as sent (SigV4 signs the client's encoding), split into path and query.</summary>
    private static (string Path, string Query) RawTarget(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(raw) || !raw.StartsWith('/'))
        {
            return ((context.Request.PathBase + context.Request.Path).ToUriComponent(), context.Request.QueryString.Value ?? "");
        }

        var q = raw.IndexOf('?', StringComparison.Ordinal);
        return q < 0 ? (raw, "") : (raw[..q], raw[q..]);
    }

    /// <summary>Bucket and key from the raw path <c>/cloudflare/r2-s3/{account}/{bucket}/{key…}</c> (key decoded once).</summary>
    private static (string Bucket, string Key) BucketAndKey(string rawPath, string accountId)
    {
        var prefix = $"{BasePath}/{accountId}";
        var rest = rawPath.Length > prefix.Length ? rawPath[(prefix.Length + 1)..] : "";
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var bucket = Uri.UnescapeDataString(slash < 0 ? rest : rest[..slash]);
        var key = slash < 0 ? "" : Uri.UnescapeDataString(rest[(slash + 1)..]);
        return (bucket, key);
    }

    private static string EncodeToken(string lastKey) =>
        System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(lastKey));

    private static string DecodeToken(string token)
    {
        try
        {
            return Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(token));
        }
        catch (FormatException)
        {
            throw S3Exception.InvalidArgument("The continuation token provided is incorrect.");
        }
    }

    private static S3Exception NotImplemented(string message) => new(501, "NotImplemented", message);
}

using System.Globalization;
using System.Text;
using System.Xml;
using Microsoft.AspNetCore.Http;
using Nno.Sandbox.Cloudflare.Common;

namespace Nno.Sandbox.Cloudflare.S3;

/// <summary>Writes S3's XML answers (namespace <c>http://s3.amazonaws.com/doc/2006-03-01/</c>) and its error document.</summary>
internal static class S3Xml
{
    public const string Namespace = "http://s3.amazonaws.com/doc/2006-03-01/";

    private static readonly XmlWriterSettings Settings = new()
    {
        Encoding = new UTF8Encoding(false),
        Indent = false,
        Async = true,
    };

    /// <summary>Writes a document built by <paramref name="write"/> (which writes the root element) with <paramref name="status"/>.</summary>
    public static async Task WriteAsync(HttpContext context, int status, Action<XmlWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = XmlWriter.Create(buffer, Settings))
        {
            writer.WriteStartDocument();
            write(writer);
            writer.WriteEndDocument();
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/xml";
        context.Response.ContentLength = buffer.Length;
        if (context.Request.Method != HttpMethods.Head)
        {
            await context.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), context.RequestAborted);
        }
    }

    /// <summary>The S3 error document <c>&lt;Error&gt;&lt;Code/&gt;&lt;Message/&gt;&lt;Resource/&gt;&lt;RequestId/&gt;&lt;/Error&gt;</c>.</summary>
    public static Task WriteErrorAsync(HttpContext context, S3Exception error) =>
        WriteAsync(context, error.Status, w =>
        {
            w.WriteStartElement("Error");
            w.WriteElementString("Code", error.Code);
            w.WriteElementString("Message", error.Message);
            w.WriteElementString("Resource", context.Request.Path.Value);
            w.WriteElementString("RequestId", context.TraceIdentifier);
            w.WriteEndElement();
        });

    /// <summary>
    /// Pipeline errors (injected faults) in S3's format: 503 and 429 become <c>SlowDown</c> (what clients back off on),
    /// other statuses the S3 code of that status.
    /// </summary>
    public static Task WriteFaultAsync(HttpContext context, CloudflareException error)
    {
        var code = error.Status switch
        {
            429 or 503 => "SlowDown",
            500 => "InternalError",
            502 => "BadGateway",
            403 => "AccessDenied",
            404 => "NoSuchKey",
            413 => "EntityTooLarge",
            _ when error.Status >= 500 => "ServiceUnavailable",
            _ => "InvalidRequest",
        };
        if (error.RetryAfterSeconds is { } retry)
        {
            context.Response.Headers.RetryAfter = retry.ToString(CultureInfo.InvariantCulture);
        }

        return WriteErrorAsync(context, new S3Exception(error.Status, code, error.Message));
    }

    /// <summary>S3's timestamp format (ISO 8601, milliseconds, UTC).</summary>
    public static string Timestamp(string cloudflareTimestamp) =>
        DateTimeOffset.Parse(cloudflareTimestamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal)
            .UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}

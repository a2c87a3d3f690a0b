namespace Nno.Sandbox.Cloudflare.S3;

/// <summary>An S3 error answer (<c>&lt;Error&gt;&lt;Code&gt;</c> XML with its status), raised anywhere in an S3 handler.</summary>
internal sealed class S3Exception(int status, string code, string message) : Exception(message)
{
    public int Status { get; } = status;

    public string Code { get; } = code;

    public static S3Exception AccessDenied(string message) => new(403, "AccessDenied", message);

    public static S3Exception InvalidRequest(string message) => new(400, "InvalidRequest", message);

    public static S3Exception MalformedXml(string message) => new(400, "MalformedXML", message);

    public static S3Exception InvalidDigest(string message) => new(400, "InvalidDigest", message);

    public static S3Exception BadDigest(string message) => new(400, "BadDigest", message);

    public static S3Exception NoSuchBucket() => new(404, "NoSuchBucket", "The specified bucket does not exist.");

    public static S3Exception InvalidArgument(string message) => new(400, "InvalidArgument", message);
}

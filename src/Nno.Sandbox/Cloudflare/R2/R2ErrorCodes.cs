namespace Nno.Sandbox.Cloudflare.R2;

/// <summary>R2 REST codes: 10004, 10006, 10007 and 10008 are Cloudflare's own; 10005 is what R2 answers for a bad name.</summary>
internal static class R2ErrorCodes
{
    public const int BucketExists = 10004;
    public const int InvalidBucketName = 10005;
    public const int NoSuchBucket = 10006;
    public const int NoSuchKey = 10007;
    public const int BucketNotEmpty = 10008;
    public const int InvalidArgument = 10040;
}

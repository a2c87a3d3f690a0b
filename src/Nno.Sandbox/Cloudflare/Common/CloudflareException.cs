namespace Nno.Sandbox.Cloudflare.Common;

/// <summary>
/// A failure the emulator answers as the envelope <c>{success:false, errors:[{code, message}]}</c> with
/// <see cref="Status"/>. Thrown from handlers; the pipeline writes it (through the endpoint's error writer).
/// </summary>
public sealed class CloudflareException : Exception
{
    public CloudflareException(int status, int code, string message)
        : base(message)
    {
        Status = status;
        Code = code;
    }

    public CloudflareException()
        : this(500, CloudflareErrorCodes.InjectedError, "Internal error")
    {
    }

    public CloudflareException(string message)
        : this(400, CloudflareErrorCodes.MalformedRequest, message)
    {
    }

    public CloudflareException(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = 400;
        Code = CloudflareErrorCodes.MalformedRequest;
    }

    public int Status { get; }

    public int Code { get; }

    /// <summary>Seconds to send as <c>Retry-After</c>, when set.</summary>
    public int? RetryAfterSeconds { get; init; }

    /// <summary>400 with <see cref="CloudflareErrorCodes.MalformedRequest"/>.</summary>
    public static CloudflareException BadRequest(string message, int code = CloudflareErrorCodes.MalformedRequest) => new(400, code, message);

    /// <summary>404 with <paramref name="code"/>.</summary>
    public static CloudflareException NotFound(int code, string message) => new(404, code, message);

    /// <summary>409 with <paramref name="code"/>.</summary>
    public static CloudflareException Conflict(int code, string message) => new(409, code, message);
}

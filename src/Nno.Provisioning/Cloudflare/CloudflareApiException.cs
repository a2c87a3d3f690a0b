using System.Net;

namespace Nno.Provisioning.Cloudflare;

/// <summary>How a Cloudflare call failed.</summary>
public enum CloudflareFailureKind
{
    /// <summary>Cloudflare answered with a non-2xx status or <c>success:false</c>.</summary>
    ApiError,

    /// <summary>No answer: connection refused or reset, DNS failure, a response cut off.</summary>
    Network,

    /// <summary>No answer within the request timeout.</summary>
    Timeout,

    /// <summary>A 2xx answer NNO cannot use: not the envelope, a missing result, an id outside <c>^[A-Za-z0-9_-]{1,64}$</c>.</summary>
    InvalidResponse,
}

/// <summary>One entry of the envelope's <c>errors</c>.</summary>
public sealed record CloudflareError(int Code, string Message);

/// <summary>
/// A failed Cloudflare REST call (provisioning.md §5): the HTTP status, <c>errors[].code</c>s, <c>Retry-After</c> and the
/// ray id, with the classification the job engine needs (§4.4: transient = network, timeout, 5xx, 429; permanent = other 4xx).
/// The message never holds the token or a secret value.
/// </summary>
public sealed class CloudflareApiException : Exception
{
    /// <summary>Cloudflare's own "Authentication error".</summary>
    public const int AuthenticationErrorCode = 10000;

    /// <summary>Cloudflare's "rate limited" code.</summary>
    public const int RateLimitedCode = 971;

    /// <summary>Custom hostname already exists.</summary>
    public const int DuplicateCustomHostnameCode = 1406;

    /// <summary>KV namespace title already taken.</summary>
    public const int DuplicateKvNamespaceCode = 10014;

    /// <summary>R2 bucket already exists.</summary>
    public const int BucketExistsCode = 10004;

    /// <summary>R2 bucket unknown.</summary>
    public const int NoSuchBucketCode = 10006;

    /// <summary>R2 bucket not empty.</summary>
    public const int BucketNotEmptyCode = 10008;

    /// <summary>Worker script unknown.</summary>
    public const int WorkerNotFoundCode = 10007;

    /// <summary>Pages project unknown.</summary>
    public const int PagesProjectNotFoundCode = 8000007;

    /// <summary>Unknown route.</summary>
    public const int RouteNotFoundCode = 7000;

    /// <summary>Creates the exception; prefer the factory methods of the client.</summary>
    public CloudflareApiException(
        CloudflareFailureKind kind,
        string method,
        string path,
        HttpStatusCode? status,
        IReadOnlyList<CloudflareError> errors,
        TimeSpan? retryAfter,
        string? rayId,
        string message,
        Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        Method = method;
        Path = path;
        StatusCode = status;
        Errors = errors;
        RetryAfter = retryAfter;
        RayId = rayId;
    }

    /// <summary>How the call failed.</summary>
    public CloudflareFailureKind Kind { get; }

    /// <summary>HTTP method of the call.</summary>
    public string Method { get; }

    /// <summary>Path of the call below the API base (no query, no secrets).</summary>
    public string Path { get; }

    /// <summary>HTTP status; null when no answer arrived.</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>The envelope's <c>errors</c> (empty when the body had none).</summary>
    public IReadOnlyList<CloudflareError> Errors { get; }

    /// <summary>The codes of <see cref="Errors"/>.</summary>
    public IEnumerable<int> Codes => Errors.Select(e => e.Code);

    /// <summary>The answer's <c>Retry-After</c>, when it carried one.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>The <c>CF-Ray</c> id of the answer (for support tickets and logs).</summary>
    public string? RayId { get; }

    /// <summary>True when an error carries <paramref name="code"/>.</summary>
    public bool HasCode(int code) => Errors.Any(e => e.Code == code);

    /// <summary>404, or a Cloudflare "does not exist" code on another status.</summary>
    public bool IsNotFound =>
        StatusCode == HttpStatusCode.NotFound
        || HasCode(WorkerNotFoundCode) || HasCode(PagesProjectNotFoundCode) || HasCode(NoSuchBucketCode);

    /// <summary>409, or a Cloudflare "already exists" code (the emulator answers some duplicates with 400).</summary>
    public bool IsConflict =>
        StatusCode == HttpStatusCode.Conflict
        || HasCode(DuplicateCustomHostnameCode) || HasCode(DuplicateKvNamespaceCode) || HasCode(BucketExistsCode);

    /// <summary>A 429 (code 971).</summary>
    public bool IsRateLimited => StatusCode == HttpStatusCode.TooManyRequests || HasCode(RateLimitedCode);

    /// <summary>The token was refused (401/403 with code 10000, or a bare 401): the job error <c>CF_AUTH_FAILED</c>.</summary>
    public bool IsAuthenticationFailure =>
        StatusCode == HttpStatusCode.Unauthorized
        || (StatusCode == HttpStatusCode.Forbidden && HasCode(AuthenticationErrorCode));

    /// <summary>R2 refused to delete a bucket that still holds objects (undo error <c>BUCKET_NOT_EMPTY</c>).</summary>
    public bool IsBucketNotEmpty => HasCode(BucketNotEmptyCode);

    /// <summary>Worth retrying later: network error, timeout, 5xx, 429 (provisioning.md §4.4).</summary>
    public bool IsTransient => Kind switch
    {
        CloudflareFailureKind.Network or CloudflareFailureKind.Timeout => true,
        CloudflareFailureKind.ApiError => IsRateLimited || (int?)StatusCode >= 500,
        _ => false,
    };

    /// <summary>Not worth retrying: every other 4xx, and answers NNO cannot use.</summary>
    public bool IsPermanent => !IsTransient;
}

namespace Nno.Core.Errors;

/// <summary>The complete error-code list of the system specification (00-system §7) with each code's HTTP status.</summary>
public static class ErrorCodes
{
    public const string ValidationError = "VALIDATION_ERROR";
    public const string Unauthorized = "UNAUTHORIZED";
    public const string Forbidden = "FORBIDDEN";
    public const string PlatformSuspended = "PLATFORM_SUSPENDED";
    public const string PlatformInactive = "PLATFORM_INACTIVE";
    public const string TierLimitExceeded = "TIER_LIMIT_EXCEEDED";
    public const string NotFound = "NOT_FOUND";
    public const string MethodNotAllowed = "METHOD_NOT_ALLOWED";
    public const string Conflict = "CONFLICT";
    public const string InvalidTransition = "INVALID_TRANSITION";
    public const string PayloadTooLarge = "PAYLOAD_TOO_LARGE";
    public const string UnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE";
    public const string RateLimited = "RATE_LIMITED";
    public const string InternalError = "INTERNAL_ERROR";
    public const string NotImplemented = "NOT_IMPLEMENTED";
    public const string BadGateway = "BAD_GATEWAY";
    public const string ServiceUnavailable = "SERVICE_UNAVAILABLE";
    public const string UpstreamTimeout = "UPSTREAM_TIMEOUT";

    private static readonly Dictionary<string, int> Statuses = new(StringComparer.Ordinal)
    {
        [ValidationError] = 400,
        [Unauthorized] = 401,
        [Forbidden] = 403,
        [PlatformSuspended] = 403,
        [PlatformInactive] = 403,
        [TierLimitExceeded] = 403,
        [NotFound] = 404,
        [MethodNotAllowed] = 405,
        [Conflict] = 409,
        [InvalidTransition] = 409,
        [PayloadTooLarge] = 413,
        [UnsupportedMediaType] = 415,
        [RateLimited] = 429,
        [InternalError] = 500,
        [NotImplemented] = 501,
        [BadGateway] = 502,
        [ServiceUnavailable] = 503,
        [UpstreamTimeout] = 504,
    };

    /// <summary>Every code in the specification.</summary>
    public static IReadOnlyCollection<string> All => Statuses.Keys;

    /// <summary>The HTTP status the specification assigns to <paramref name="code"/>.</summary>
    public static int StatusOf(string code) =>
        Statuses.TryGetValue(code, out var status) ? status : throw new ArgumentOutOfRangeException(nameof(code), code, "Unknown error code.");

    /// <summary>The code used when a bare HTTP status must be turned into an envelope (404 from routing, 415 from the framework…).</summary>
    public static string ForStatus(int status) => status switch
    {
        400 => ValidationError,
        401 => Unauthorized,
        403 => Forbidden,
        404 => NotFound,
        405 => MethodNotAllowed,
        409 => Conflict,
        413 => PayloadTooLarge,
        415 => UnsupportedMediaType,
        429 => RateLimited,
        501 => NotImplemented,
        502 => BadGateway,
        503 => ServiceUnavailable,
        504 => UpstreamTimeout,
        >= 500 => InternalError,
        _ => ValidationError,
    };
}

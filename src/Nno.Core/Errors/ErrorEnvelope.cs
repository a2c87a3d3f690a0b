using System.Text.Json.Serialization;

namespace Nno.Core.Errors;

/// <summary>The one error shape of every NNO response: <c>{"error":{"code","message","details","requestId"}}</c>.</summary>
public sealed record ErrorEnvelope([property: JsonPropertyName("error")] ErrorBody Error)
{
    public static ErrorEnvelope Create(string code, string message, object? details, string? requestId) =>
        new(new ErrorBody(code, message, details, requestId));
}

/// <summary>The body of <see cref="ErrorEnvelope"/>.</summary>
public sealed record ErrorBody(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("details")] object? Details,
    [property: JsonPropertyName("requestId")] string? RequestId);

/// <summary>
/// A failure the caller should see as an envelope with a known code. Thrown by NNO's own logic and turned into a
/// response in exactly one place (the ServiceDefaults exception handler).
/// </summary>
public sealed class ApiException : Exception
{
    public ApiException(string code, string message, object? details = null, int? status = null)
        : base(message)
    {
        Code = code;
        Details = details;
        Status = status ?? ErrorCodes.StatusOf(code);
    }

    public ApiException()
        : this(ErrorCodes.InternalError, "Internal error.")
    {
    }

    public ApiException(string message)
        : this(ErrorCodes.InternalError, message)
    {
    }

    public ApiException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = ErrorCodes.InternalError;
        Status = 500;
    }

    public string Code { get; }
    public object? Details { get; }
    public int Status { get; }

    /// <summary>Extra response headers (for example <c>Retry-After</c>).</summary>
    public IDictionary<string, string> Headers { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>400 <c>VALIDATION_ERROR</c> naming one field.</summary>
    public static ApiException Validation(string field, string problem) =>
        Validation(new Dictionary<string, string[]> { [field] = [problem] });

    /// <summary>400 <c>VALIDATION_ERROR</c> with <c>details.fields</c>.</summary>
    public static ApiException Validation(IDictionary<string, string[]> fields, string? message = null) =>
        new(ErrorCodes.ValidationError, message ?? "The request is invalid: " + string.Join(", ", fields.Keys) + ".", new { fields });

    public static ApiException NotFound(string resource, string? message = null) =>
        new(ErrorCodes.NotFound, message ?? $"The {resource} was not found.", new { resource });

    public static ApiException Unavailable(string message, int retryAfterSeconds, object? details = null)
    {
        var ex = new ApiException(ErrorCodes.ServiceUnavailable, message, details);
        ex.Headers["Retry-After"] = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return ex;
    }
}

namespace Nno.Sandbox.Stripe.Common;

/// <summary>
/// A failure the emulator answers as Stripe's error object <c>{error:{type, code, message, param}}</c> with
/// <see cref="Status"/>. Thrown from handlers; the pipeline writes it.
/// </summary>
public sealed class StripeException : Exception
{
    public StripeException(int status, string type, string? code, string message, string? param = null)
        : base(message)
    {
        Status = status;
        Type = type;
        Code = code;
        Param = param;
    }

    public StripeException()
        : this(500, StripeErrorTypes.Api, null, "An unknown error occurred")
    {
    }

    public StripeException(string message)
        : this(400, StripeErrorTypes.InvalidRequest, null, message)
    {
    }

    public StripeException(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = 400;
        Type = StripeErrorTypes.InvalidRequest;
    }

    public int Status { get; }

    /// <summary><c>invalid_request_error</c>, <c>card_error</c>, <c>idempotency_error</c>, <c>api_error</c>.</summary>
    public string Type { get; }

    public string? Code { get; }

    /// <summary>The request parameter at fault, when one is.</summary>
    public string? Param { get; }

    /// <summary>
    /// True when the request failed validation (bad or missing parameters, unknown ids): such an answer is not stored
    /// under the request's <c>Idempotency-Key</c>, as Stripe does not store it.
    /// </summary>
    public bool IsValidation => Status is 400 or 404 && Type == StripeErrorTypes.InvalidRequest;

    /// <summary>Seconds to send as <c>Retry-After</c>, when set.</summary>
    public int? RetryAfterSeconds { get; init; }

    /// <summary>Whether the answer carries <c>Stripe-Should-Retry: true</c> (5xx and concurrent idempotent requests).</summary>
    public bool ShouldRetry => Status >= 500 || (Status == 409 && Type == StripeErrorTypes.Idempotency);

    /// <summary>400 <c>parameter_missing</c>.</summary>
    public static StripeException Missing(string param) =>
        new(400, StripeErrorTypes.InvalidRequest, StripeErrorCodes.ParameterMissing, $"Missing required param: {param}.", param);

    /// <summary>400 with <paramref name="code"/> (<c>parameter_invalid_integer</c>, …, or none) about <paramref name="param"/>.</summary>
    public static StripeException Invalid(string param, string message, string? code = null) =>
        new(400, StripeErrorTypes.InvalidRequest, code, message, param);

    /// <summary>404 <c>resource_missing</c>: <c>No such {kind}: '{id}'</c>.</summary>
    public static StripeException NoSuch(string kind, string id, string param = "id") =>
        new(404, StripeErrorTypes.InvalidRequest, StripeErrorCodes.ResourceMissing, $"No such {kind}: '{id}'", param);
}

/// <summary>Stripe's error types.</summary>
public static class StripeErrorTypes
{
    public const string InvalidRequest = "invalid_request_error";
    public const string Card = "card_error";
    public const string Idempotency = "idempotency_error";
    public const string Api = "api_error";
}

/// <summary>Stripe's error codes the emulator uses.</summary>
public static class StripeErrorCodes
{
    public const string ParameterMissing = "parameter_missing";
    public const string ParameterInvalidInteger = "parameter_invalid_integer";
    public const string ParameterInvalidEmpty = "parameter_invalid_empty";
    public const string ParameterUnknown = "parameter_unknown";
    public const string ResourceMissing = "resource_missing";
    public const string ResourceAlreadyExists = "resource_already_exists";
    public const string CardDeclined = "card_declined";
    public const string RateLimit = "rate_limit";
    public const string IdempotencyKeyInUse = "idempotency_key_in_use";
    public const string UrlInvalid = "url_invalid";
}

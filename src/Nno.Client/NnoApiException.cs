using System.Net;

namespace Nno.Client;

/// <summary>An NNO error envelope received by a typed client: the code, message, details and request id the server sent.</summary>
public sealed class NnoApiException : Exception
{
    public NnoApiException(HttpStatusCode status, string code, string message, string? details, string? requestId)
        : base(requestId is null ? $"{code}: {message}" : $"{code}: {message} (request id {requestId})")
    {
        Status = status;
        Code = code;
        ServerMessage = message;
        DetailsJson = details;
        RequestId = requestId;
    }

    public NnoApiException()
        : this(HttpStatusCode.InternalServerError, "INTERNAL_ERROR", "Unknown error.", null, null)
    {
    }

    public NnoApiException(string message)
        : this(HttpStatusCode.InternalServerError, "INTERNAL_ERROR", message, null, null)
    {
    }

    public NnoApiException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = "INTERNAL_ERROR";
        ServerMessage = message;
    }

    public HttpStatusCode Status { get; }

    /// <summary>The envelope's <c>error.code</c> (see 00-system §7).</summary>
    public string Code { get; } = "INTERNAL_ERROR";

    /// <summary>The envelope's <c>error.message</c>.</summary>
    public string ServerMessage { get; } = string.Empty;

    /// <summary>The envelope's <c>error.details</c> as raw JSON, or null.</summary>
    public string? DetailsJson { get; }

    /// <summary>The request id to quote when reporting the failure.</summary>
    public string? RequestId { get; }
}

using System.Globalization;
using Microsoft.AspNetCore.Http;
using Nno.ServiceDefaults.Errors;

namespace Nno.Gateway.Pipeline;

/// <summary>Writes the gateway's own error responses through the one envelope writer, noting the code for the access log.</summary>
internal static class GatewayErrors
{
    public static Task WriteAsync(HttpContext context, GatewayFailure failure)
    {
        var request = context.GetGatewayRequest();
        if (request is not null)
        {
            request.ErrorCode = failure.Code;
        }

        IEnumerable<KeyValuePair<string, string>> headers = failure.RetryAfterSeconds is { } seconds
            ? [.. failure.Headers, new("Retry-After", seconds.ToString(CultureInfo.InvariantCulture))]
            : failure.Headers;
        return ErrorResponses.WriteAsync(context, failure.Code, failure.Message, failure.Details, headers: headers);
    }

    public static Task WriteAsync(HttpContext context, string code, string message, object? details = null, int? retryAfterSeconds = null) =>
        WriteAsync(context, new GatewayFailure(code, message, details, retryAfterSeconds));
}

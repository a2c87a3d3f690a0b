using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Nno.Core.Errors;
using Nno.Core.Json;
using Nno.ServiceDefaults.RequestContext;

namespace Nno.ServiceDefaults.Errors;

/// <summary>Writes the error envelope (00-system §7). The only place responses with an error body are produced.</summary>
public static class ErrorResponses
{
    /// <summary>Writes <paramref name="code"/> with its specified status (or <paramref name="status"/>) unless the response has started.</summary>
    public static async Task WriteAsync(HttpContext context, string code, string message, object? details = null, int? status = null, IEnumerable<KeyValuePair<string, string>>? headers = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Response.HasStarted)
        {
            // Status cannot change any more: abort so the client sees a broken response rather than a wrong one.
            context.Abort();
            return;
        }

        var response = context.Response;
        response.Clear();
        response.StatusCode = status ?? ErrorCodes.StatusOf(code);
        if (headers is not null)
        {
            foreach (var (name, value) in headers)
            {
                response.Headers[name] = value;
            }
        }

        if (response.StatusCode == StatusCodes.Status401Unauthorized && !response.Headers.ContainsKey("WWW-Authenticate"))
        {
            response.Headers.WWWAuthenticate = "Bearer";
        }

        response.ContentType = "application/json";
        var envelope = ErrorEnvelope.Create(code, message, details, context.GetRequestIds().RequestId);
        await JsonSerializer.SerializeAsync(response.Body, envelope, NnoJson.Options, context.RequestAborted);
    }

    /// <summary>Writes an <see cref="ApiException"/>.</summary>
    public static Task WriteAsync(HttpContext context, ApiException exception) =>
        WriteAsync(context, exception.Code, exception.Message, exception.Details, exception.Status, exception.Headers);

    /// <summary>An <see cref="IResult"/> carrying the envelope, for handlers that return results.</summary>
    public static IResult Result(string code, string message, object? details = null, int? status = null) =>
        new EnvelopeResult(code, message, details, status);

    private sealed class EnvelopeResult(string code, string message, object? details, int? status) : IResult, IStatusCodeHttpResult
    {
        public int? StatusCode => status ?? ErrorCodes.StatusOf(code);

        public Task ExecuteAsync(HttpContext httpContext) => WriteAsync(httpContext, code, message, details, status);
    }
}

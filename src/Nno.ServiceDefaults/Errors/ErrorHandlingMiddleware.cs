using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Nno.Core.Errors;
using Nno.ServiceDefaults.Limits;

namespace Nno.ServiceDefaults.Errors;

/// <summary>
/// Translates every failure into the envelope: known <see cref="ApiException"/>s with their code, bad requests
/// (malformed JSON, wrong types, unknown fields, oversize bodies) as 4xx, anything else as 500 without a stack trace.
/// Empty error responses produced by the framework (404 from routing, 405, 415) are given the envelope too.
/// </summary>
public sealed class ErrorHandlingMiddleware(RequestDelegate next, ILogger<ErrorHandlingMiddleware> logger, NnoServiceIdentityAccessor identity)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (Exception ex) when (IsKnownError(ex))
        {
            await WriteKnownErrorAsync(context, ex);
            return;
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
            return;
        }
        catch (Exception ex) when (!context.Response.HasStarted)
        {
            logger.LogError(ex, "Unhandled exception while processing {Method} {Path}", context.Request.Method, context.Request.Path.Value);
            await ErrorResponses.WriteAsync(context, ErrorCodes.InternalError, "An internal error occurred. Quote the request id when reporting it.");
            return;
        }

        if (context.Response.StatusCode >= 400 && !context.Response.HasStarted && context.Response.ContentLength is null && context.Response.ContentType is null)
        {
            await WriteBareStatusAsync(context);
        }
    }

    /// <summary>True for failures that have a defined envelope: <see cref="ApiException"/>, bad requests, JSON errors.</summary>
    public static bool IsKnownError(Exception exception) => exception is ApiException or BadHttpRequestException or JsonException;

    /// <summary>
    /// Writes the envelope of a failure for which <see cref="IsKnownError"/> is true. Shared with middleware that must see
    /// the final answer (idempotency), so one exception always produces the same response.
    /// </summary>
    public static Task WriteKnownErrorAsync(HttpContext context, Exception exception) => exception switch
    {
        ApiException api => ErrorResponses.WriteAsync(context, api),
        BadHttpRequestException bad => WriteBadRequestAsync(context, bad),
        JsonException json => WriteInvalidJsonAsync(context, json),
        _ => throw new ArgumentException("Not a known error; see IsKnownError.", nameof(exception)),
    };

    private Task WriteBareStatusAsync(HttpContext context)
    {
        var status = context.Response.StatusCode;
        var code = ErrorCodes.ForStatus(status);
        var message = status switch
        {
            404 => $"No route matches {context.Request.Method} {context.Request.Path.Value} on the {identity.Name} service.",
            405 => $"Method {context.Request.Method} is not allowed on {context.Request.Path.Value}.",
            415 => "Unsupported media type: this endpoint takes application/json.",
            400 => "The request is invalid.",
            _ => $"The {identity.Name} service answered {status}.",
        };
        if (status == StatusCodes.Status413PayloadTooLarge)
        {
            return WritePayloadTooLargeAsync(context);
        }

        object? details = status == 400 ? new { fields = new Dictionary<string, string[]> { ["request"] = ["is invalid"] } } : null;
        return ErrorResponses.WriteAsync(context, code, message, details, status);
    }

    private static Task WriteBadRequestAsync(HttpContext context, BadHttpRequestException ex)
    {
        if (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return WritePayloadTooLargeAsync(context);
        }

        if (ex.StatusCode == StatusCodes.Status415UnsupportedMediaType)
        {
            return ErrorResponses.WriteAsync(context, ErrorCodes.UnsupportedMediaType, "Unsupported media type: this endpoint takes application/json.");
        }

        if (ex.InnerException is JsonException json)
        {
            return WriteInvalidJsonAsync(context, json);
        }

        var (field, problem, message) = DescribeBindingFailure(ex.Message);
        return ErrorResponses.WriteAsync(context, ErrorCodes.ValidationError, message, new { fields = new Dictionary<string, string[]> { [field] = [problem] } }, StatusCodes.Status400BadRequest);
    }

    private static Task WriteInvalidJsonAsync(HttpContext context, JsonException exception)
    {
        var fields = JsonErrorTranslator.ToFields(exception);
        var summary = string.Join("; ", fields.Select(f => f.Key + " " + string.Join(", ", f.Value)));
        return ErrorResponses.WriteAsync(context, ErrorCodes.ValidationError, $"The request body is invalid: {summary}.", new { fields });
    }

    private static Task WritePayloadTooLargeAsync(HttpContext context)
    {
        var limit = context.Features.Get<RequestBodyLimitFeature>()?.Limit
            ?? context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
        var message = limit is null ? "The request body is too large." : $"The request body is larger than the limit of {limit} bytes.";
        return ErrorResponses.WriteAsync(context, ErrorCodes.PayloadTooLarge, message, new { limitBytes = limit });
    }

    /// <summary>
    /// The field, problem and client-facing message of a minimal-API binding failure. The framework's wording names C#
    /// types and suggests fixes to the developer, so only the parameter name is taken from it.
    /// </summary>
    internal static (string Field, string Problem, string Message) DescribeBindingFailure(string frameworkMessage)
    {
        // 'Implicit body inferred for parameter "req" but no body was provided. …'
        // 'Required parameter "CreateWidget widget" was not provided from body.'
        // 'Required parameter "int limit" was not provided from query string.'
        // 'Failed to bind parameter "int limit" from "abc".'
        var parameter = QuotedParameterName(frameworkMessage);
        if (frameworkMessage.StartsWith("Implicit body inferred", StringComparison.Ordinal)
            || (frameworkMessage.StartsWith("Required parameter", StringComparison.Ordinal) && frameworkMessage.EndsWith("from body.", StringComparison.Ordinal)))
        {
            return ("body", "is required", "A JSON request body is required.");
        }

        if (parameter is not null && frameworkMessage.StartsWith("Required parameter", StringComparison.Ordinal))
        {
            return (parameter, "is required", $"The parameter '{parameter}' is required.");
        }

        if (parameter is not null && frameworkMessage.StartsWith("Failed to bind parameter", StringComparison.Ordinal))
        {
            return (parameter, "is invalid", $"The value of '{parameter}' is invalid.");
        }

        return ("request", "is invalid", "The request is invalid.");
    }

    private static string? QuotedParameterName(string message)
    {
        var start = message.IndexOf('"', StringComparison.Ordinal);
        var end = start < 0 ? -1 : message.IndexOf('"', start + 1);
        if (end < 0)
        {
            return null;
        }

        // "int limit" → limit (the declaration is "type name").
        var inner = message[(start + 1)..end];
        var name = inner[(inner.LastIndexOf(' ') + 1)..];
        return name.Length == 0 ? null : name;
    }
}

/// <summary>The current application's service name, for messages.</summary>
public sealed class NnoServiceIdentityAccessor(Hosting.NnoServiceIdentity identity)
{
    public string Name => identity.Name;
}

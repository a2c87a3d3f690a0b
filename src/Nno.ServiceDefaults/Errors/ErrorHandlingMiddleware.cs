using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Nno.Core.Errors;

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
        catch (ApiException ex)
        {
            await ErrorResponses.WriteAsync(context, ex);
            return;
        }
        catch (BadHttpRequestException ex)
        {
            await WriteBadRequestAsync(context, ex);
            return;
        }
        catch (JsonException ex)
        {
            await ErrorResponses.WriteAsync(context, ErrorCodes.ValidationError, "The request body is not valid JSON for this endpoint.", new { fields = JsonErrorTranslator.ToFields(ex) });
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
        object? details = status == 400 ? new { fields = new Dictionary<string, string[]> { ["request"] = ["is invalid"] } } : null;
        return ErrorResponses.WriteAsync(context, code, message, details, status);
    }

    private static Task WriteBadRequestAsync(HttpContext context, BadHttpRequestException ex)
    {
        if (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            var limit = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
            return ErrorResponses.WriteAsync(context, ErrorCodes.PayloadTooLarge, "The request body is too large.", new { limitBytes = limit });
        }

        if (ex.StatusCode == StatusCodes.Status415UnsupportedMediaType)
        {
            return ErrorResponses.WriteAsync(context, ErrorCodes.UnsupportedMediaType, "Unsupported media type: this endpoint takes application/json.");
        }

        if (ex.InnerException is JsonException json)
        {
            return ErrorResponses.WriteAsync(context, ErrorCodes.ValidationError, "The request body is not valid JSON for this endpoint.", new { fields = JsonErrorTranslator.ToFields(json) });
        }

        // Minimal APIs describe binding failures in the message (missing body, unparsable route/query value).
        var field = ExtractParameterName(ex.Message) ?? "request";
        return ErrorResponses.WriteAsync(context, ErrorCodes.ValidationError, ex.Message, new { fields = new Dictionary<string, string[]> { [field] = [Problem(ex.Message)] } }, StatusCodes.Status400BadRequest);
    }

    private static string Problem(string message) =>
        message.Contains("no body was provided", StringComparison.OrdinalIgnoreCase) || message.Contains("Required parameter", StringComparison.OrdinalIgnoreCase)
            ? "is required"
            : "is invalid";

    private static string? ExtractParameterName(string message)
    {
        // e.g. 'Failed to bind parameter "int limit" from "abc".' or 'Implicit body inferred for parameter "req" but no body was provided.'
        var start = message.IndexOf('"', StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }

        var end = message.IndexOf('"', start + 1);
        if (end < 0)
        {
            return null;
        }

        var inner = message[(start + 1)..end];
        var space = inner.LastIndexOf(' ');
        var name = space >= 0 ? inner[(space + 1)..] : inner;
        return message.Contains("body", StringComparison.OrdinalIgnoreCase) && message.Contains("Implicit body", StringComparison.Ordinal) ? "body" : name;
    }
}

/// <summary>The current application's service name, for messages.</summary>
public sealed class NnoServiceIdentityAccessor(Hosting.NnoServiceIdentity identity)
{
    public string Name => identity.Name;
}

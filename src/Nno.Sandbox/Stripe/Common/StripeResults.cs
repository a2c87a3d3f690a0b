using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Nno.Sandbox.Stripe.Common;

/// <summary>Writes Stripe answers: a JSON object (already snake_case, built as <see cref="JsonObject"/>) or the error object.</summary>
public static class StripeResults
{
    /// <summary>200 (or <paramref name="status"/>) with <paramref name="body"/>.</summary>
    public static IResult Json(JsonObject body, int status = 200)
    {
        ArgumentNullException.ThrowIfNull(body);
        return new StripeJsonResult(body.ToJsonString(), status);
    }

    /// <summary>Stripe's error object: <c>{error:{type, code, message, param}}</c>, absent fields left out as Stripe does.</summary>
    public static string ErrorBody(StripeException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var inner = new JsonObject { ["type"] = error.Type };
        if (error.Code is not null)
        {
            inner["code"] = error.Code;
        }

        inner["message"] = error.Message;
        if (error.Param is not null)
        {
            inner["param"] = error.Param;
        }

        return new JsonObject { ["error"] = inner }.ToJsonString();
    }

    /// <summary>Writes <paramref name="error"/> with its status and headers (<c>Retry-After</c>, <c>Stripe-Should-Retry</c>).</summary>
    public static async Task WriteErrorAsync(HttpContext context, StripeException error)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(error);
        if (error.RetryAfterSeconds is { } retry)
        {
            context.Response.Headers.RetryAfter = retry.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (error.ShouldRetry)
        {
            context.Response.Headers["Stripe-Should-Retry"] = "true";
        }

        await WriteRawAsync(context, error.Status, ErrorBody(error));
    }

    /// <summary>Writes a JSON text with <paramref name="status"/>.</summary>
    public static async Task WriteRawAsync(HttpContext context, int status, string json)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(json), context.RequestAborted);
    }

    private sealed class StripeJsonResult(string json, int status) : IResult, IStatusCodeHttpResult
    {
        int? IStatusCodeHttpResult.StatusCode => status;

        public Task ExecuteAsync(HttpContext httpContext) => WriteRawAsync(httpContext, status, json);
    }
}

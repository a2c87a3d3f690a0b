using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;

namespace Nno.Sandbox.Cloudflare.Common;

/// <summary><c>result_info</c> of a page list.</summary>
public sealed record PageResultInfo(int Page, int PerPage, int Count, int TotalCount, int TotalPages);

/// <summary><c>result_info</c> of a cursor list (<c>cursor</c> empty on the last page).</summary>
public sealed record CursorResultInfo(string Cursor, int Count, int PerPage);

/// <summary>Writes Cloudflare's envelope <c>{success, errors, messages, result, result_info}</c>.</summary>
public static class CloudflareResults
{
    /// <summary>200 (or <paramref name="status"/>) with <paramref name="result"/>.</summary>
    public static CloudflareEnvelopeResult Ok(object? result, object? resultInfo = null, IReadOnlyList<string>? messages = null, int status = 200) =>
        new(status, true, result, resultInfo, [], messages ?? []);

    /// <summary>A page of a page list with its <c>result_info</c>.</summary>
    public static CloudflareEnvelopeResult Page<T>(IReadOnlyList<T> items, CloudflarePaging paging, int totalCount) =>
        Ok(items, new PageResultInfo(paging.Page, paging.PerPage, items.Count, totalCount,
            totalCount == 0 ? 0 : (totalCount + paging.PerPage - 1) / paging.PerPage));

    /// <summary>A failure: <c>success:false</c> with one error.</summary>
    public static CloudflareEnvelopeResult Error(int status, int code, string message) =>
        new(status, false, null, null, [new CloudflareError(code, message)], []);

    /// <summary>Writes <paramref name="error"/> as the envelope (with <c>Retry-After</c> when it carries one).</summary>
    public static async Task WriteErrorAsync(HttpContext context, CloudflareException error)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(error);
        if (error.RetryAfterSeconds is { } retry)
        {
            context.Response.Headers.RetryAfter = retry.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        await Error(error.Status, error.Code, error.Message).ExecuteAsync(context);
    }
}

/// <summary>One entry of <c>errors</c>.</summary>
public sealed record CloudflareError(int Code, string Message);

/// <summary>The envelope as an <see cref="IResult"/>.</summary>
public sealed class CloudflareEnvelopeResult(
    int status, bool success, object? result, object? resultInfo, IReadOnlyList<CloudflareError> errors, IReadOnlyList<string> messages)
    : IResult, IStatusCodeHttpResult, IEndpointMetadataProvider
{
    public int StatusCode => status;

    int? IStatusCodeHttpResult.StatusCode => status;

    public object? Result => result;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        httpContext.Response.StatusCode = status;
        httpContext.Response.ContentType = "application/json; charset=utf-8";
        // Serialized into memory first: the serializer flushes synchronously, which Kestrel refuses on the response body.
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        await using var writer = new Utf8JsonWriter(buffer);
        writer.WriteStartObject();
        writer.WriteBoolean("success", success);
        writer.WritePropertyName("errors");
        JsonSerializer.Serialize(writer, errors, CloudflareJson.Options);
        writer.WritePropertyName("messages");
        writer.WriteStartArray();
        foreach (var message in messages)
        {
            writer.WriteStartObject();
            writer.WriteNumber("code", 10000);
            writer.WriteString("message", message);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WritePropertyName("result");
        JsonSerializer.Serialize(writer, result, result?.GetType() ?? typeof(object), CloudflareJson.Options);
        if (resultInfo is not null)
        {
            writer.WritePropertyName("result_info");
            JsonSerializer.Serialize(writer, resultInfo, resultInfo.GetType(), CloudflareJson.Options);
        }

        writer.WriteEndObject();
        await writer.FlushAsync(httpContext.RequestAborted);
        httpContext.Response.ContentLength = buffer.WrittenCount;
        await httpContext.Response.Body.WriteAsync(buffer.WrittenMemory, httpContext.RequestAborted);
    }

    public static void PopulateMetadata(System.Reflection.MethodInfo method, Microsoft.AspNetCore.Builder.EndpointBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Metadata.Add(new ProducesResponseTypeMetadata(200, typeof(object), ["application/json"]));
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Nno.Core.Json;

namespace Nno.Client;

/// <summary>
/// Base of every typed NNO client (services, the CLI, the console and tests use the same ones): JSON with NNO's wire
/// options, the error envelope turned into <see cref="NnoApiException"/>, and optional idempotency keys. The
/// <see cref="HttpClient"/> decides where calls go: a service binding, the gateway, or a test's in-memory handler.
/// </summary>
public abstract class NnoApiClient(HttpClient http)
{
    /// <summary>
    /// Response bodies are read leniently: a newer server may add fields, and an older client must keep working.
    /// Requests are written with the strict wire options.
    /// </summary>
    public static JsonSerializerOptions ResponseOptions { get; } = new(NnoJson.Options)
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Skip,
    };

    /// <summary>The underlying client.</summary>
    protected HttpClient Http { get; } = http;

    /// <summary>Sends a request and deserializes a JSON response body.</summary>
    protected async Task<T> SendAsync<T>(HttpMethod method, string path, object? body = null, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        using var response = await SendRawAsync(method, path, body, idempotencyKey, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        var result = await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<T>(response.Content, ResponseOptions, cancellationToken).ConfigureAwait(false);
        return result ?? throw new NnoApiException(response.StatusCode, "INTERNAL_ERROR", "The response body was empty.", null, RequestIdOf(response));
    }

    /// <summary>Sends a request whose response has no body of interest (204, 202).</summary>
    protected async Task SendAsync(HttpMethod method, string path, object? body = null, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        using var response = await SendRawAsync(method, path, body, idempotencyKey, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends a request and returns the response unchecked (the caller owns it).</summary>
    protected async Task<HttpResponseMessage> SendRawAsync(HttpMethod method, string path, object? body, string? idempotencyKey, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            var json = JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), NnoJson.Options);
            request.Content = new ByteArrayContent(json);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        }

        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        }

        return await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Throws <see cref="NnoApiException"/> for a non-success response, using its envelope when present.</summary>
    public static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        var requestId = RequestIdOf(response);
        try
        {
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.TryGetProperty("error", out var error) && error.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.String)
            {
                var message = error.TryGetProperty("message", out var m) ? m.GetString() ?? string.Empty : string.Empty;
                var details = error.TryGetProperty("details", out var d) && d.ValueKind != JsonValueKind.Null ? d.GetRawText() : null;
                var rid = error.TryGetProperty("requestId", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : requestId;
                throw new NnoApiException(response.StatusCode, code.GetString()!, message, details, rid);
            }
        }
        catch (JsonException)
        {
            // Not an envelope: report the status below.
        }

        throw new NnoApiException(response.StatusCode, StatusCodeName(response.StatusCode), Truncate(text), null, requestId);
    }

    private static string? RequestIdOf(HttpResponseMessage response) =>
        response.Headers.TryGetValues("X-Request-Id", out var values) ? values.FirstOrDefault() : null;

    private static string StatusCodeName(HttpStatusCode status) => (int)status switch
    {
        401 => "UNAUTHORIZED",
        403 => "FORBIDDEN",
        404 => "NOT_FOUND",
        429 => "RATE_LIMITED",
        502 => "BAD_GATEWAY",
        503 => "SERVICE_UNAVAILABLE",
        504 => "UPSTREAM_TIMEOUT",
        >= 500 => "INTERNAL_ERROR",
        _ => "HTTP_" + ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static string Truncate(string text)
    {
        var builder = new StringBuilder(text.Length > 200 ? text[..200] : text);
        if (text.Length > 200)
        {
            builder.Append('…');
        }

        return builder.ToString();
    }
}

using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Nno.Core.Errors;
using Nno.Core.Services;
using Nno.ServiceDefaults.Evictions;
using Nno.Gateway.Authentication;
using Nno.Gateway.Pipeline;
using Nno.Gateway.Routing;
using Yarp.ReverseProxy.Transforms;

namespace Nno.Gateway.Forwarding;

/// <summary>
/// The response side of gateway.md §4.8 and §4.10, run once the upstream's status and headers have been copied:
/// evicts cached credentials IAM names in <c>X-Nno-Cache-Evict</c>, removes hop-by-hop headers, <c>Server</c>, <c>X-Powered-By</c>, every <c>X-Nno-*</c> header and (unless the upstream
/// is IAM) <c>Set-Cookie</c>; turns a non-ASCII header value or a 5xx without the error envelope into 502. Only 5xx
/// bodies are buffered (to check them); every other body streams through untouched.
/// </summary>
internal sealed partial class UpstreamResponseRewriter(ILogger<UpstreamResponseRewriter> logger, GatewayMetrics metrics, CredentialCache credentials)
{
    /// <summary>A 5xx body larger than this is not an error envelope.</summary>
    public const int MaxEnvelopeBytes = 64 * 1024;

    public async ValueTask ApplyAsync(ResponseTransformContext transform, GatewayRoute route)
    {
        var upstream = transform.ProxyResponse;
        if (upstream is null)
        {
            // Forwarding failed before a response; the failure middleware writes the error.
            return;
        }

        var context = transform.HttpContext;
        var state = context.GetGatewayRequest()!;
        var status = (int)upstream.StatusCode;
        state.MarkUpstreamResponse(status);

        if (state.BodyLimitExceeded)
        {
            // The upstream answered a body the gateway cut off at the limit; the client gets the 413.
            Fail(transform, state, BodyLimitMiddleware.TooLarge(route.BodyLimitBytes));
            return;
        }

        var headers = context.Response.Headers;
        HopByHopHeaders.RemoveFromResponse(headers, upstream);
        headers.Remove("Server");
        headers.Remove("X-Powered-By");
        if (route.Service != NnoServices.Iam)
        {
            headers.Remove("Set-Cookie");
        }
        else if (headers.TryGetValue(CredentialEviction.HeaderName, out var evict))
        {
            // Only IAM's word evicts (gateway.md §4.3); the header itself is stripped below with every X-Nno-* header.
            credentials.Evict(CredentialEviction.Parse(evict.ToString()));
        }

        List<string>? internalHeaders = null;
        string? invalidHeader = null;
        foreach (var header in headers)
        {
            // The gateway owns CORS (gateway.md §4.11): an upstream's Access-Control-* headers go with its X-Nno-* ones.
            if (header.Key.StartsWith(UpstreamRequestHeadersMiddleware.IdentityHeaderPrefix, StringComparison.OrdinalIgnoreCase)
                || header.Key.StartsWith(Cors.CorsResponseHeaders.Prefix, StringComparison.OrdinalIgnoreCase))
            {
                (internalHeaders ??= []).Add(header.Key);
            }
            else if (invalidHeader is null && !IsVisibleAscii(header.Value))
            {
                invalidHeader = header.Key;
            }
        }

        if (internalHeaders is not null)
        {
            foreach (var name in internalHeaders)
            {
                headers.Remove(name);
            }
        }

        if (invalidHeader is not null)
        {
            LogInvalidHeader(logger, route.Service, status, invalidHeader);
            metrics.UpstreamError(route.Service, UpstreamErrorKind.BadResponse);
            Fail(transform, state, BadGateway(route.Service));
            return;
        }

        if (status >= 500 && !await IsErrorEnvelopeAsync(upstream, transform.CancellationToken))
        {
            LogInvalid5xx(logger, route.Service, status);
            metrics.UpstreamError(route.Service, UpstreamErrorKind.Invalid5xx);
            Fail(transform, state, BadGateway(route.Service));
        }
    }

    public static GatewayFailure BadGateway(string service) =>
        new(ErrorCodes.BadGateway, $"The {service} service returned an invalid response.", new { service });

    private static void Fail(ResponseTransformContext transform, GatewayRequest state, GatewayFailure failure)
    {
        state.Failure = failure;
        transform.SuppressResponseBody = true;
    }

    private static bool IsVisibleAscii(StringValues values)
    {
        foreach (var value in values)
        {
            if (value is not null && value.AsSpan().ContainsAnyExceptInRange(' ', '~') && ContainsInvalid(value))
            {
                return false;
            }
        }

        return true;

        static bool ContainsInvalid(string value)
        {
            foreach (var c in value)
            {
                // Horizontal tab is allowed inside field values; anything else outside visible ASCII is not.
                if (c != '\t' && (c < ' ' || c > '~'))
                {
                    return true;
                }
            }

            return false;
        }
    }

    private static async Task<bool> IsErrorEnvelopeAsync(HttpResponseMessage upstream, CancellationToken cancellationToken)
    {
        var content = upstream.Content;
        var mediaType = content.Headers.ContentType?.MediaType;
        if (!string.Equals(mediaType, "application/json", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        try
        {
            // Buffered so the forwarder can still copy the same bytes to the client.
            await content.LoadIntoBufferAsync(MaxEnvelopeBytes, cancellationToken);
            // A copy of the buffer: ReadAsStreamAsync would cache a stream the forwarder then finds already read.
            using var json = JsonDocument.Parse(await content.ReadAsByteArrayAsync(cancellationToken));
            return json.RootElement.ValueKind == JsonValueKind.Object
                && json.RootElement.TryGetProperty("error", out var error)
                && error.ValueKind == JsonValueKind.Object
                && error.TryGetProperty("code", out var code)
                && code.ValueKind == JsonValueKind.String;
        }
        catch (Exception ex) when (ex is JsonException or HttpRequestException or IOException)
        {
            return false;
        }
    }

    [LoggerMessage(1820, LogLevel.Error, "Upstream {Upstream} answered {UpstreamStatus} without an error envelope; the client gets 502.")]
    private static partial void LogInvalid5xx(ILogger logger, string upstream, int upstreamStatus);

    [LoggerMessage(1821, LogLevel.Error, "Upstream {Upstream} answered {UpstreamStatus} with a non-ASCII value in header {Header}; the client gets 502.")]
    private static partial void LogInvalidHeader(ILogger logger, string upstream, int upstreamStatus, string header);
}

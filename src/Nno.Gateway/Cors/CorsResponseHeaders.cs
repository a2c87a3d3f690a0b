using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Nno.Gateway.Pipeline;

namespace Nno.Gateway.Cors;

/// <summary>
/// The CORS headers of a non-preflight response (gateway.md §4.11), written when the response starts so they survive
/// error responses (which clear headers) and replace whatever an upstream sent: the gateway alone owns CORS, so an
/// upstream's <c>Access-Control-*</c> headers are dropped, and an allowed origin gets <c>Access-Control-Allow-Origin</c>,
/// <c>Access-Control-Expose-Headers</c> and <c>Origin</c> added to <c>Vary</c>. Never <c>Access-Control-Allow-Credentials</c>.
/// </summary>
internal static class CorsResponseHeaders
{
    private const string Prefix = "Access-Control-";

    public static void Apply(HttpContext context)
    {
        var state = context.GetGatewayRequest();
        if (state is null || state.IsPreflight)
        {
            // A preflight's answer is complete as the CORS middleware wrote it (a refused one has no CORS headers).
            return;
        }

        var headers = context.Response.Headers;
        if (state.UpstreamStatus is not null)
        {
            RemoveUpstreamCorsHeaders(headers);
        }

        if (state.AllowedOrigin is { } origin)
        {
            headers.AccessControlAllowOrigin = origin;
            headers.AccessControlExposeHeaders = GatewayCorsPolicy.ExposedHeaders;
            AddVaryOrigin(headers);
        }
    }

    private static void RemoveUpstreamCorsHeaders(IHeaderDictionary headers)
    {
        List<string>? names = null;
        foreach (var header in headers)
        {
            if (header.Key.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
            {
                (names ??= []).Add(header.Key);
            }
        }

        if (names is null)
        {
            return;
        }

        foreach (var name in names)
        {
            headers.Remove(name);
        }
    }

    private static void AddVaryOrigin(IHeaderDictionary headers)
    {
        var vary = headers.Vary;
        if (vary.Count == 0)
        {
            headers.Vary = "Origin";
            return;
        }

        foreach (var value in vary)
        {
            if (value is null)
            {
                continue;
            }

            foreach (var range in value.AsSpan().Split(','))
            {
                var token = value.AsSpan()[range].Trim();
                if (token.Equals("Origin", StringComparison.OrdinalIgnoreCase) || token is "*")
                {
                    return;
                }
            }
        }

        headers.Vary = StringValues.Concat(vary, "Origin");
    }
}

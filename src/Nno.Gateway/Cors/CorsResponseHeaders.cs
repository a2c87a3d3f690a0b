using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Nno.Gateway.Pipeline;

namespace Nno.Gateway.Cors;

/// <summary>
/// The CORS headers of a non-preflight response (gateway.md §4.11), written when the response starts so they survive
/// error responses (which clear headers) and upstream responses (whose own <c>Access-Control-*</c> headers the response
/// rewriter drops: the gateway alone owns CORS). An allowed origin gets <c>Access-Control-Allow-Origin</c>,
/// <c>Access-Control-Expose-Headers</c> and <c>Origin</c> added to <c>Vary</c>. Never <c>Access-Control-Allow-Credentials</c>.
/// </summary>
internal static class CorsResponseHeaders
{
    /// <summary>Prefix of every CORS header; an upstream's are dropped by the response rewriter.</summary>
    public const string Prefix = "Access-Control-";

    public static void Apply(HttpContext context)
    {
        var state = context.GetGatewayRequest();
        if (state is null || state.IsPreflight)
        {
            // A preflight's answer is complete as the CORS middleware wrote it (a refused one has no CORS headers).
            return;
        }

        if (state.AllowedOrigin is { } origin)
        {
            var headers = context.Response.Headers;
            headers.AccessControlAllowOrigin = origin;
            headers.AccessControlExposeHeaders = GatewayCorsPolicy.ExposedHeaders;
            AddVaryOrigin(headers);
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

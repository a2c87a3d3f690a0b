using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;

namespace Nno.Gateway.Forwarding;

/// <summary>
/// Connection-scoped headers that never cross the gateway (gateway.md §4.8): <c>Connection</c> and every header it names,
/// <c>Keep-Alive</c>, <c>Proxy-Connection</c>, <c>TE</c>, <c>Trailer</c>, <c>Transfer-Encoding</c>, <c>Upgrade</c>.
/// </summary>
internal static class HopByHopHeaders
{
    private static readonly string[] Fixed = ["Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Upgrade"];

    /// <summary>
    /// Removes hop-by-hop headers from the client's request before it is copied upstream. <c>Transfer-Encoding</c> stays
    /// on the incoming request because body detection reads it; the forwarder never copies it.
    /// </summary>
    public static void RemoveFromRequest(IHeaderDictionary headers)
    {
        if (headers.TryGetValue("Connection", out var connection))
        {
            foreach (var value in connection)
            {
                RemoveNamed(headers, value);
            }

            headers.Remove("Connection");
        }

        foreach (var name in Fixed)
        {
            headers.Remove(name);
        }

        headers.Remove("Proxy-Authorization");
    }

    /// <summary>Removes hop-by-hop headers (including those the upstream's <c>Connection</c> names) from the copied response.</summary>
    public static void RemoveFromResponse(IHeaderDictionary headers, HttpResponseMessage upstream)
    {
        if (upstream.Headers.NonValidated.TryGetValues("Connection", out var connection))
        {
            foreach (var value in connection)
            {
                RemoveNamed(headers, value);
            }
        }

        headers.Remove("Connection");
        headers.Remove("Transfer-Encoding");
        foreach (var name in Fixed)
        {
            headers.Remove(name);
        }
    }

    private static void RemoveNamed(IHeaderDictionary headers, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        foreach (var range in value.AsSpan().Split(','))
        {
            var token = value.AsSpan()[range].Trim();
            if (!token.IsEmpty && !token.Equals("close", StringComparison.OrdinalIgnoreCase) && !token.Equals("keep-alive", StringComparison.OrdinalIgnoreCase))
            {
                headers.Remove(token.ToString());
            }
        }
    }
}

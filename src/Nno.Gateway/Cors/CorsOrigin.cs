using System.Globalization;

namespace Nno.Gateway.Cors;

/// <summary>
/// Configured origins in the form browsers serialise the <c>Origin</c> header: lower-case scheme and host (IDN hosts in
/// punycode), the port only when it is not the scheme's default, nothing after the authority. Incoming <c>Origin</c>
/// values are then compared ordinally, without parsing.
/// </summary>
internal static class CorsOrigin
{
    /// <summary>Null when <paramref name="entry"/> is an exact http(s) origin, else what is wrong with it.</summary>
    /// <param name="entry">The configured origin.</param>
    /// <param name="normalised">The origin as a browser sends it.</param>
    /// <param name="host">Its lower-case host (without IPv6 brackets).</param>
    public static string? Normalise(string entry, out string normalised, out string host)
    {
        normalised = "";
        host = "";
        if (entry.Contains('*', StringComparison.Ordinal))
        {
            return "contains a wildcard; list each origin exactly";
        }

        var authorityStart = entry.IndexOf("://", StringComparison.Ordinal);
        if (authorityStart < 0 || !Uri.TryCreate(entry, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0)
        {
            return "is not an absolute http(s) origin (scheme://host[:port])";
        }

        if (entry.AsSpan(authorityStart + 3).IndexOfAny("/?#@\\") >= 0)
        {
            return "must be scheme://host[:port] only, without a path, query or user info";
        }

        host = uri.HostNameType == UriHostNameType.IPv6 ? uri.Host.Trim('[', ']') : uri.IdnHost.ToLowerInvariant();
        var serialisedHost = uri.HostNameType == UriHostNameType.IPv6 ? uri.Host : host;
        normalised = uri.IsDefaultPort
            ? uri.Scheme + "://" + serialisedHost
            : uri.Scheme + "://" + serialisedHost + ":" + uri.Port.ToString(CultureInfo.InvariantCulture);
        return null;
    }
}

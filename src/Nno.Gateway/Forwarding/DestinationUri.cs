using Microsoft.AspNetCore.Http;

namespace Nno.Gateway.Forwarding;

/// <summary>
/// Builds the upstream URI so the query string passes byte for byte (gateway.md §3.2). A canonicalised
/// <see cref="Uri"/> would unescape parts of the query (<c>%7E</c> → <c>~</c>, <c>%41</c> → <c>A</c>); the path is
/// escaped here and dot segments were refused before routing, so nothing needs canonicalising.
/// </summary>
internal static class DestinationUri
{
    private static readonly UriCreationOptions AsWritten = new() { DangerousDisablePathAndQueryCanonicalization = true };

    public static Uri Create(string destinationPrefix, PathString path, QueryString query)
    {
        var prefix = destinationPrefix.AsSpan();
        if (path.HasValue && prefix.EndsWith('/'))
        {
            prefix = prefix[..^1];
        }

        return new Uri(string.Concat(prefix, path.ToUriComponent(), query.Value), in AsWritten);
    }
}

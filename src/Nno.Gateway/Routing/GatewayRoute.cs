namespace Nno.Gateway.Routing;

/// <summary>One row of the routing table (gateway.md §3.2) with its configured timeout and body limit.</summary>
/// <param name="Name">Route id and configuration key (<c>iam</c>, <c>platforms</c>, …): the prefix's last segment.</param>
/// <param name="PublicPrefix">The lower-case public prefix, e.g. <c>/api/v1/iam</c>.</param>
/// <param name="Service">The upstream service name.</param>
/// <param name="UpstreamBase">The upstream's base path; empty for the root.</param>
/// <param name="ScopeArea">The API-key scope area of the route.</param>
/// <param name="Timeout">From the start of forwarding until response headers arrive.</param>
/// <param name="BodyLimitBytes">The largest request body forwarded.</param>
/// <param name="InternalOnlyPaths">Paths below the prefix that answer 404 to every caller (gateway.md §3.4).</param>
internal sealed record GatewayRoute(
    string Name,
    string PublicPrefix,
    string Service,
    string UpstreamBase,
    string ScopeArea,
    TimeSpan Timeout,
    long BodyLimitBytes,
    IReadOnlyList<string> InternalOnlyPaths)
{
    /// <summary>
    /// True when <paramref name="path"/> (already matched to this route) is internal-only. Compared without case, and
    /// with anything below it, because the upstream's own routing ignores case and trailing segments would still reach it.
    /// </summary>
    public bool IsInternalOnly(string path)
    {
        if (InternalOnlyPaths.Count == 0)
        {
            return false;
        }

        var rest = path.AsSpan(PublicPrefix.Length);
        foreach (var candidate in InternalOnlyPaths)
        {
            if (rest.StartsWith(candidate, StringComparison.OrdinalIgnoreCase)
                && (rest.Length == candidate.Length || rest[candidate.Length] == '/'))
            {
                return true;
            }
        }

        return false;
    }
}

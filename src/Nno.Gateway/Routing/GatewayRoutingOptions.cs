namespace Nno.Gateway.Routing;

/// <summary>
/// Per-route overrides of the routing table's limits: <c>Gateway:Routes:&lt;name&gt;:TimeoutSeconds</c> and
/// <c>Gateway:Routes:&lt;name&gt;:BodyLimitBytes</c>, where name is the route id (<c>iam</c>, <c>cli</c>, …).
/// Unset values keep the production defaults of gateway.md §3.2.
/// </summary>
internal sealed class GatewayRoutingOptions
{
    public const string Section = "Gateway";

    public Dictionary<string, GatewayRouteLimits> Routes { get; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>Overrides for one route.</summary>
internal sealed class GatewayRouteLimits
{
    /// <summary>Seconds from the start of forwarding until response headers arrive (fractions allowed).</summary>
    public double? TimeoutSeconds { get; set; }

    /// <summary>The largest request body forwarded, in bytes.</summary>
    public long? BodyLimitBytes { get; set; }
}

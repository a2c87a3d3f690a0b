using Microsoft.Extensions.Options;
using Nno.Core.Services;

namespace Nno.Gateway.Routing;

/// <summary>
/// The routing table of gateway.md §3.2 as a fixed prefix table: a path matches a route when it equals the route's
/// lower-case prefix or continues it with <c>/</c>, compared ordinally (case-sensitive; no regex per request).
/// </summary>
internal sealed class GatewayRouteTable
{
    /// <summary>Every path below <c>/api/v1/</c> that the table can route starts with this.</summary>
    public const string ApiPrefix = "/api/v1/";

    private const long MiB = 1024 * 1024;

    /// <summary>The gateway's own endpoints (gateway.md §3.1): exact paths, answered by the gateway itself.</summary>
    private static readonly string[] OwnEndpoints = ["/health", "/health/ready", "/openapi/v1.json"];

    private readonly GatewayRoute[] _routes;
    private readonly Dictionary<string, GatewayRoute> _byName;

    public GatewayRouteTable(IOptions<GatewayRoutingOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var overrides = options.Value.Routes;
        _routes = Defaults.Select(d => Apply(d, overrides.GetValueOrDefault(d.Name))).ToArray();
        _byName = _routes.ToDictionary(r => r.Name, StringComparer.Ordinal);
    }

    /// <summary>The production table (gateway.md §3.2).</summary>
    public static IReadOnlyList<GatewayRoute> Defaults { get; } =
    [
        new("iam", "/api/v1/iam", NnoServices.Iam, "/api", "iam", TimeSpan.FromSeconds(30), MiB,
            ["/nno/apikey/verify", "/nno/service-token", "/nno/jwks", "/nno/notifications"]),
        new("platforms", "/api/v1/platforms", NnoServices.Registry, "/api/v1/platforms", "platforms", TimeSpan.FromSeconds(30), MiB, []),
        new("billing", "/api/v1/billing", NnoServices.Billing, "", "billing", TimeSpan.FromSeconds(30), MiB, []),
        new("provisioning", "/api/v1/provisioning", NnoServices.Provisioning, "/api/v1/provision", "provisioning", TimeSpan.FromSeconds(30), MiB, []),
        new("stacks", "/api/v1/stacks", NnoServices.StackRegistry, "/api/v1/stacks", "stacks", TimeSpan.FromSeconds(30), MiB, []),
        new("cli", "/api/v1/cli", NnoServices.Cli, "/api/v1/platforms", "cli", TimeSpan.FromSeconds(60), 5 * MiB, []),
        new("onboarding", "/api/v1/onboarding", NnoServices.Registry, "/api/v1/onboarding", "platforms", TimeSpan.FromSeconds(30), MiB, []),
    ];

    public IReadOnlyList<GatewayRoute> Routes => _routes;

    public GatewayRoute Get(string name) => _byName[name];

    /// <summary>The route for <paramref name="path"/> (the decoded request path), or null.</summary>
    public GatewayRoute? Match(string path)
    {
        if (!path.StartsWith(ApiPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        foreach (var route in _routes)
        {
            var prefix = route.PublicPrefix;
            if (path.StartsWith(prefix, StringComparison.Ordinal) && (path.Length == prefix.Length || path[prefix.Length] == '/'))
            {
                return route;
            }
        }

        return null;
    }

    /// <summary>True for the gateway's own endpoints (exact path, no case folding, no trailing slash).</summary>
    public static bool IsOwnEndpoint(string path)
    {
        foreach (var endpoint in OwnEndpoints)
        {
            if (string.Equals(path, endpoint, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Checks configured overrides name known routes and hold positive values.</summary>
    public static IEnumerable<string> Validate(GatewayRoutingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        foreach (var (name, limits) in options.Routes)
        {
            if (!Defaults.Any(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase)))
            {
                yield return $"Gateway:Routes:{name} names no route; known routes: {string.Join(", ", Defaults.Select(d => d.Name))}.";
            }

            if (limits.TimeoutSeconds is <= 0)
            {
                yield return $"Gateway:Routes:{name}:TimeoutSeconds must be positive.";
            }

            if (limits.BodyLimitBytes is <= 0)
            {
                yield return $"Gateway:Routes:{name}:BodyLimitBytes must be positive.";
            }
        }
    }

    private static GatewayRoute Apply(GatewayRoute route, GatewayRouteLimits? limits) =>
        limits is null
            ? route
            : route with
            {
                Timeout = limits.TimeoutSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : route.Timeout,
                BodyLimitBytes = limits.BodyLimitBytes ?? route.BodyLimitBytes,
            };
}

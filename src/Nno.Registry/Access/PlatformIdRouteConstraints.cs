using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Nno.Core.Ids;

namespace Nno.Registry.Access;

/// <summary>
/// <c>{pid:pid}</c>: a platform id <c>^[a-z0-9]{10}$</c> (registry.md §3.4), so literal routes such as <c>/audit-log</c>
/// never bind to it. A route constraint instead of <c>regex(...)</c>: the slim host does not register regex constraints.
/// </summary>
internal sealed class PlatformIdRouteConstraint : IRouteConstraint
{
    public const string Name = "pid";

    public bool Match(HttpContext? httpContext, IRouter? route, string routeKey, RouteValueDictionary values, RouteDirection routeDirection) =>
        values.TryGetValue(routeKey, out var value) && IdFormat.IsPlatformId(value as string);
}

/// <summary>
/// <c>{pid:badpid}</c>: anything that is not a platform id. The fallback routes use it so a malformed id answers 404
/// <c>details.resource: "platform"</c>, the same body as a well-formed id nobody can see (§3.1).
/// </summary>
internal sealed class MalformedPlatformIdRouteConstraint : IRouteConstraint
{
    public const string Name = "badpid";

    /// <summary>Literal routes beside <c>{pid}</c>: never a malformed id, so a wrong method on them stays 405.</summary>
    private static readonly HashSet<string> Literals = new(StringComparer.Ordinal) { "audit-log" };

    public bool Match(HttpContext? httpContext, IRouter? route, string routeKey, RouteValueDictionary values, RouteDirection routeDirection) =>
        values.TryGetValue(routeKey, out var value) && value is string text && !IdFormat.IsPlatformId(text) && !Literals.Contains(text);
}

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

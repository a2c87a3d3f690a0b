using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Nno.Core.Errors;
using Nno.Gateway.Pipeline;

namespace Nno.Gateway.Routing;

/// <summary>
/// Steps 3 of gateway.md §4.1 except CORS: path validation (400), route match against the fixed prefix table or the
/// gateway's own endpoints (404 for anything else, before authentication), method check (TRACE/CONNECT 405, upgrade
/// handshakes 501) and the internal-only IAM paths (404 to every caller).
/// </summary>
internal sealed class RouteMatchMiddleware(RequestDelegate next, GatewayRouteTable table)
{
    public Task InvokeAsync(HttpContext context)
    {
        var state = context.GetGatewayRequest()!;
        var problem = RequestPathValidator.FindProblem(RequestPathValidator.RawPath(context));
        if (problem is not null)
        {
            return GatewayErrors.WriteAsync(context, ErrorCodes.ValidationError, "The request path is malformed: it " + problem + ".",
                new { fields = new Dictionary<string, string[]> { ["path"] = [problem] } });
        }

        var request = context.Request;
        var path = request.Path.Value ?? "/";
        var route = table.Match(path);
        if (route is null && !GatewayRouteTable.IsOwnEndpoint(path))
        {
            return NotFound(context, path);
        }

        if (HttpMethods.IsTrace(request.Method) || (HttpMethods.IsConnect(request.Method) && !IsExtendedConnect(context)))
        {
            return GatewayErrors.WriteAsync(context, new GatewayFailure(ErrorCodes.MethodNotAllowed, $"Method {request.Method} is not allowed.")
            {
                Headers = [new("Allow", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")],
            });
        }

        if (IsUpgradeHandshake(context))
        {
            return GatewayErrors.WriteAsync(context, ErrorCodes.NotImplemented, "Protocol upgrades (WebSocket) are not supported.");
        }

        if (route is not null && route.IsInternalOnly(path))
        {
            return NotFound(context, path);
        }

        state.Route = route;
        state.IsOwnEndpoint = route is null;
        return next(context);
    }

    private static Task NotFound(HttpContext context, string path) =>
        GatewayErrors.WriteAsync(context, ErrorCodes.NotFound, $"No route matches {context.Request.Method} {path}.");

    private static bool IsExtendedConnect(HttpContext context) =>
        context.Features.Get<IHttpExtendedConnectFeature>()?.IsExtendedConnect == true;

    private static bool IsUpgradeHandshake(HttpContext context)
    {
        if (context.Features.Get<IHttpUpgradeFeature>()?.IsUpgradableRequest == true || IsExtendedConnect(context))
        {
            return true;
        }

        var headers = context.Request.Headers;
        if (!headers.ContainsKey("Upgrade"))
        {
            return false;
        }

        foreach (var token in headers.GetCommaSeparatedValues("Connection"))
        {
            if (string.Equals(token, "upgrade", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}

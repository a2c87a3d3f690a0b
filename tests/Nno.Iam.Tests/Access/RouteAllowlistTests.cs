using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Nno.Core.Services;
using Nno.Iam.Tests.Support;
using Nno.ServiceDefaults.Security;

namespace Nno.Iam.Tests.Access;

/// <summary>
/// iam.md §7 test 25, for every route IAM maps (read from its endpoint table, so a new route is covered the day it is
/// added): each service whose token is not on a route's allowlist gets 403, and a user session gets 404 on routes
/// that are internal (service-only).
/// </summary>
public sealed class RouteAllowlistTests : IAsyncLifetime
{
    private static readonly string[] ClientServices = ["gateway", "registry", "billing", "provisioning", "stack-registry", "cli"];

    private IamHost _iam = null!;

    public async Task InitializeAsync() => _iam = await IamHost.StartAsync();

    public async Task DisposeAsync() => await _iam.DisposeAsync();

    [Fact]
    public async Task EveryRoute_ServiceNotOnItsAllowlist_Forbidden_UserOnInternalRoute_NotFound()
    {
        var user = await _iam.CreateUserAsync();
        var routes = Routes().ToList();
        Assert.Contains(routes, r => r.Callers is { ServiceOnly: true });
        Assert.True(routes.Count > 60, $"only {routes.Count} routes found");

        var failures = new List<string>();
        foreach (var route in routes)
        {
            var allowed = route.Callers?.Services ?? new HashSet<string>();
            foreach (var service in ClientServices.Where(s => !allowed.Contains(s) && s != NnoServices.Gateway))
            {
                using var client = _iam.Service(service);
                var status = await SendAsync(client, route);
                if (status != HttpStatusCode.Forbidden)
                {
                    failures.Add($"{route.Method} {route.Path} as {service}: {(int)status}, expected 403");
                }
            }

            if (route.Callers is { ServiceOnly: true })
            {
                using var session = _iam.Session(user.Token);
                var status = await SendAsync(session, route);
                if (status != HttpStatusCode.NotFound)
                {
                    failures.Add($"{route.Method} {route.Path} as a user: {(int)status}, expected 404");
                }
            }
        }

        Assert.Empty(failures);
    }

    private static async Task<HttpStatusCode> SendAsync(HttpClient client, Route route)
    {
        using var request = new HttpRequestMessage(new HttpMethod(route.Method), route.Path);
        if (route.Method is "POST" or "PUT" or "PATCH")
        {
            request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
        }

        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    private sealed record Route(string Method, string Path, ServiceCallersMetadata? Callers);

    /// <summary>Every IAM route that needs a service token, with its parameters filled with well-formed ids.</summary>
    private IEnumerable<Route> Routes()
    {
        var app = (IEndpointRouteBuilder)_iam.Platform.Host.Apps[NnoServices.Iam];
        foreach (var endpoint in app.DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>())
        {
            if (endpoint.Metadata.GetMetadata<NoServiceTokenRequiredMetadata>() is not null)
            {
                continue;
            }

            var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? [];
            var path = "/" + string.Join('/', endpoint.RoutePattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
            {
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternLiteralPart literal => literal.Content,
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternParameterPart parameter => parameter.Name.Contains("role", StringComparison.OrdinalIgnoreCase) ? "member" : "a1b2c3d4e5",
                _ => string.Empty,
            }))));
            foreach (var method in methods)
            {
                yield return new Route(method, path, endpoint.Metadata.GetMetadata<ServiceCallersMetadata>());
            }
        }
    }
}

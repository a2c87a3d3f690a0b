using System.Collections.Frozen;
using Microsoft.AspNetCore.Http;
using Nno.Core.Errors;
using Nno.Core.Identity;
using Nno.Gateway.Pipeline;

namespace Nno.Gateway.Authentication;

/// <summary>
/// The API-key scope check of gateway.md §4.4 (step 5 of §4.1, right after authentication): an API key needs
/// <c>{area}:read</c> for <c>GET</c>/<c>HEAD</c> and <c>{area}:write</c> for every other method on its route's area
/// (§3.2); <c>write</c> implies <c>read</c>. Missing → 403 <c>FORBIDDEN</c> with <c>details.requiredScope</c>, nothing
/// forwarded. Sessions, the static key and public routes are not scoped.
/// </summary>
internal sealed class ScopeCheckMiddleware(RequestDelegate next)
{
    // The two scope strings of every area, built once so the hot path compares without concatenating.
    private static readonly FrozenDictionary<string, (string Read, string Write)> ScopesByArea =
        new[] { "iam", "platforms", "billing", "provisioning", "stacks", "cli" }.ToFrozenDictionary(a => a, a => (a + ":read", a + ":write"), StringComparer.Ordinal);

    public Task InvokeAsync(HttpContext context)
    {
        var state = context.GetGatewayRequest()!;
        if (state.Route is null || state.Identity is not { Kind: NnoIdentityHeaders.AuthKinds.ApiKey } principal)
        {
            return next(context);
        }

        var area = state.Route.ScopeArea;
        var (read, write) = ScopesByArea.TryGetValue(area, out var known) ? known : (area + ":read", area + ":write");
        var method = context.Request.Method;
        var reading = HttpMethods.IsGet(method) || HttpMethods.IsHead(method);
        var scopes = principal.Identity.Scopes;
        if (scopes.Contains(write) || (reading && scopes.Contains(read)))
        {
            return next(context);
        }

        var required = reading ? read : write;
        return GatewayErrors.WriteAsync(context, ErrorCodes.Forbidden, $"This API key lacks the scope {required} that {method} on this route needs.", new { requiredScope = required });
    }
}

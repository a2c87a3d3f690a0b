using Microsoft.AspNetCore.Http;
using Nno.Core.Errors;

namespace Nno.ServiceDefaults.Security;

/// <summary>
/// Checks handlers make on the principal of their request. The principal middleware lets anonymous gateway requests
/// through; endpoints that need someone in particular say so with these.
/// </summary>
public static class PrincipalRequirements
{
    /// <summary>The request's principal; 401 when there is none (a route reachable without a service token).</summary>
    public static NnoPrincipal RequirePrincipal(this HttpContext context) =>
        context.GetNnoPrincipal() ?? throw new ApiException(ErrorCodes.Unauthorized, "Authentication is required.");

    /// <summary>
    /// A signed-in user (session or API key): 401 for anonymous callers, 403 for services, the gateway's own calls and
    /// the static key (which is not a user).
    /// </summary>
    public static NnoPrincipal RequireUser(this HttpContext context)
    {
        var principal = context.RequirePrincipal();
        return principal.Kind switch
        {
            PrincipalKind.Session or PrincipalKind.ApiKey => principal,
            PrincipalKind.Anonymous => throw new ApiException(ErrorCodes.Unauthorized, "Sign in first: this route needs a user."),
            _ => throw new ApiException(ErrorCodes.Forbidden, "This route is for users only."),
        };
    }

    /// <summary>An operator: a <c>platform-admin</c> user or the static key (401 for anonymous callers, else 403).</summary>
    public static NnoPrincipal RequireOperator(this HttpContext context)
    {
        var principal = context.RequirePrincipal();
        if (principal.IsOperator)
        {
            return principal;
        }

        throw principal.Kind == PrincipalKind.Anonymous
            ? new ApiException(ErrorCodes.Unauthorized, "Sign in first: this route needs an operator.")
            : new ApiException(ErrorCodes.Forbidden, "This route is for operators only.");
    }
}

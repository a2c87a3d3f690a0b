using Microsoft.AspNetCore.Http;
using Nno.Core.Errors;
using Nno.Core.Ids;
using Nno.ServiceDefaults.Security;

namespace Nno.Billing.Api;

/// <summary>The principal rules of billing.md §3 for routes users may call.</summary>
internal static class BillingCallers
{
    public const string ReadScope = "billing:read";
    public const string WriteScope = "billing:write";

    /// <summary>
    /// The platform a user route acts on, checked against the caller before anything is revealed: the named services
    /// (the route's allowlist already refused others) and operators act on any platform; a user needs the platform in
    /// <c>X-Nno-Platforms</c> (else 404 <paramref name="resource"/>) as <c>owner</c> or <c>admin</c> (a member gets 403);
    /// API keys also need <see cref="ReadScope"/> (GET) or <see cref="WriteScope"/>. <paramref name="platformId"/> defaults
    /// to <c>X-Nno-Platform-Id</c>; absent both → 400.
    /// </summary>
    public static string RequirePlatform(HttpContext context, string? platformId, string resource)
    {
        var principal = context.RequirePrincipal();
        if (principal.Kind == PrincipalKind.Anonymous)
        {
            throw new ApiException(ErrorCodes.Unauthorized, "Sign in first.");
        }

        var pid = platformId ?? principal.PlatformId;
        if (pid is null)
        {
            throw ApiException.Validation("platformId", "is required (or X-Nno-Platform-Id)");
        }

        if (!IdFormat.IsPlatformId(pid))
        {
            throw ApiException.Validation("platformId", "must be 10 characters a-z 0-9");
        }

        if (principal.Kind == PrincipalKind.Service)
        {
            return pid;
        }

        if (principal.Kind == PrincipalKind.ApiKey)
        {
            var scope = HttpMethods.IsGet(context.Request.Method) ? ReadScope : WriteScope;
            if (!principal.Scopes.Contains(scope, StringComparer.Ordinal))
            {
                throw new ApiException(ErrorCodes.Forbidden, $"This API key lacks the scope {scope}.");
            }
        }

        if (principal.IsOperator)
        {
            return pid;
        }

        if (principal.Kind is not (PrincipalKind.Session or PrincipalKind.ApiKey))
        {
            throw new ApiException(ErrorCodes.Forbidden, "This route is for users, operators and the Registry.");
        }

        return principal.RoleOn(pid) switch
        {
            null => throw ApiException.NotFound(resource),
            "owner" or "admin" => pid,
            _ => throw new ApiException(ErrorCodes.Forbidden, "Billing needs the owner or admin role on the platform."),
        };
    }

    /// <summary>An operator or a named service (the route's allowlist refused the others); API keys need the scope.</summary>
    public static void RequireOperatorOrService(HttpContext context)
    {
        var principal = context.RequirePrincipal();
        if (principal.Kind == PrincipalKind.Service)
        {
            return;
        }

        principal = context.RequireOperator();
        if (principal.Kind == PrincipalKind.ApiKey && !principal.Scopes.Contains(ReadScope, StringComparer.Ordinal))
        {
            throw new ApiException(ErrorCodes.Forbidden, $"This API key lacks the scope {ReadScope}.");
        }
    }
}

using Microsoft.AspNetCore.Http;
using Nno.Core.Errors;
using Nno.ServiceDefaults.Idempotency;
using Nno.ServiceDefaults.Security;

namespace Nno.Provisioning.Api;

/// <summary>The principal rules of provisioning.md §3 for one request.</summary>
internal static class Callers
{
    public const string ReadScope = "provisioning:read";
    public const string WriteScope = "provisioning:write";

    /// <summary>
    /// P1–P9: the Registry (the route's allowlist already refused other services) or an operator; a user gets 403, an
    /// API key also needs <c>provisioning:write</c>.
    /// </summary>
    public static NnoPrincipal RequireMutation(HttpContext context)
    {
        var principal = context.RequirePrincipal();
        if (principal.Kind == PrincipalKind.Service)
        {
            return principal;
        }

        principal = context.RequireOperator();
        RequireScope(principal, WriteScope);
        return principal;
    }

    /// <summary>DLQ routes, P12, P14: operators only (API keys with <c>provisioning:write</c> for POST, <c>:read</c> for GET).</summary>
    public static NnoPrincipal RequireOperator(HttpContext context, string scope)
    {
        var principal = context.RequireOperator();
        RequireScope(principal, scope);
        return principal;
    }

    /// <summary>P10/P11: the Registry, operators, or users (for the platforms they hold); API keys need <c>provisioning:read</c>.</summary>
    public static NnoPrincipal RequireReader(HttpContext context)
    {
        var principal = context.RequirePrincipal();
        if (principal.Kind == PrincipalKind.Service)
        {
            return principal;
        }

        if (principal.Kind == PrincipalKind.Anonymous)
        {
            throw new ApiException(ErrorCodes.Unauthorized, "Sign in first.");
        }

        RequireScope(principal, ReadScope);
        return principal;
    }

    /// <summary>Whether the reader may see jobs of <paramref name="platformId"/>.</summary>
    public static bool MaySee(NnoPrincipal principal, string platformId) =>
        principal.Kind == PrincipalKind.Service || principal.MayActOn(platformId);

    /// <summary><c>svc:{name}</c> for services, <c>user:{id}</c> otherwise (the idempotency scope of a job).</summary>
    public static string RequestedBy(NnoPrincipal principal) =>
        principal.Kind == PrincipalKind.Service ? "svc:" + principal.CallerService : "user:" + principal.UserId;

    /// <summary>The request's <c>Idempotency-Key</c> (already validated by the idempotency middleware), or null.</summary>
    public static string? IdempotencyKey(HttpContext context) =>
        context.Request.Headers.TryGetValue(IdempotencyMiddleware.HeaderName, out var values) && values.Count == 1 && IdempotencyMiddleware.IsValidKey(values[0]) ? values[0] : null;

    private static void RequireScope(NnoPrincipal principal, string scope)
    {
        if (principal.Kind == PrincipalKind.ApiKey && !principal.Scopes.Contains(scope, StringComparer.Ordinal))
        {
            throw new ApiException(ErrorCodes.Forbidden, $"This API key lacks the scope {scope}.");
        }
    }
}

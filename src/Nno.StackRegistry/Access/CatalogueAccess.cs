using Microsoft.AspNetCore.Http;
using Nno.Core.Errors;
using Nno.ServiceDefaults.Security;

namespace Nno.StackRegistry.Access;

/// <summary>
/// The access rules of stack-registry.md §3.1. Service tokens are sorted out by the route allowlists (reads name
/// <c>registry</c> and <c>provisioning</c>; writes name nobody, so every service token is 403); these checks decide
/// for the principals the gateway forwards.
/// </summary>
internal static class CatalogueAccess
{
    /// <summary>The API-key scope writes need besides operator rights.</summary>
    public const string WriteScope = "stacks:write";

    /// <summary>Reads: any authenticated principal (401 for anonymous gateway requests).</summary>
    public static NnoPrincipal RequireReader(this HttpContext context)
    {
        var principal = context.RequirePrincipal();
        return principal.Kind == PrincipalKind.Anonymous
            ? throw new ApiException(ErrorCodes.Unauthorized, "Sign in first: the stack catalogue is for authenticated callers.")
            : principal;
    }

    /// <summary>Writes: an operator or the static key; an operator's API key also needs <c>stacks:write</c>. Returns the actor id.</summary>
    public static string RequireWriter(this HttpContext context)
    {
        var principal = context.RequireOperator();
        if (principal.Kind == PrincipalKind.ApiKey && !principal.Scopes.Contains(WriteScope, StringComparer.Ordinal))
        {
            throw new ApiException(ErrorCodes.Forbidden, $"This API key lacks the scope {WriteScope}.");
        }

        return principal.UserId ?? throw new ApiException(ErrorCodes.Forbidden, "The caller has no identity to record.");
    }
}

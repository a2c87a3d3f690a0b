using Microsoft.AspNetCore.Http;
using Nno.Core.Errors;
using Nno.Registry.Audit;
using Nno.Registry.Lifecycle;
using Nno.ServiceDefaults.RequestContext;
using Nno.ServiceDefaults.Security;

namespace Nno.Registry.Access;

/// <summary>
/// The caller of a Registry request (registry.md §3.1): the principal of 00-system §6 plus the actor fields the audit log
/// and lifecycle events record. Operators are <c>platform-admin</c> users and the gateway's static key; a service token
/// is that service (actor <c>svc:x</c>), with <c>X-Nno-Acting-User-Id</c> kept for attribution only.
/// </summary>
internal sealed class RegistryCaller
{
    private RegistryCaller(NnoPrincipal principal, RequestIds ids)
    {
        Principal = principal;
        RequestId = ids.RequestId;
        TraceId = ids.TraceId;
    }

    public NnoPrincipal Principal { get; }

    public string RequestId { get; }

    public string TraceId { get; }

    /// <summary>An operator: <c>platform-admin</c> user or the static key (every platform).</summary>
    public bool IsOperator => Principal.IsOperator;

    /// <summary>Another NNO service calling with its own token.</summary>
    public bool IsService => Principal.Kind == PrincipalKind.Service;

    public bool IsApiKey => Principal.Kind == PrincipalKind.ApiKey;

    /// <summary>A signed-in user (session or API key), operators included.</summary>
    public bool IsUser => Principal.IsAuthenticatedUser;

    /// <summary>The user id of session and API-key callers.</summary>
    public string? UserId => Principal.IsAuthenticatedUser ? Principal.UserId : null;

    /// <summary>For service callers: the user the service acts for (attribution only; grants nothing).</summary>
    public string? ActingUserId => IsService ? Principal.ActingUserId : null;

    /// <summary><c>operator</c>, <c>user</c> or <c>service</c>.</summary>
    public string ActorType => IsOperator ? ActorTypes.Operator : IsService ? ActorTypes.Service : ActorTypes.User;

    /// <summary>The user id, <c>static-key:…</c> or <c>svc:x</c>.</summary>
    public string ActorId => Principal.UserId ?? "svc:" + Principal.CallerService;

    /// <summary><c>session</c>, <c>apikey</c> or <c>service</c> (the static key and service tokens).</summary>
    public string ActorAuth => Principal.Kind switch
    {
        PrincipalKind.Session => ActorAuths.Session,
        PrincipalKind.ApiKey => ActorAuths.ApiKey,
        _ => ActorAuths.Service,
    };

    /// <summary>True when an API key carries <paramref name="scope"/> (<c>platforms:write</c> implies <c>platforms:read</c>).</summary>
    public bool HasScope(string scope) =>
        Principal.Scopes.Contains(scope, StringComparer.Ordinal)
        || (scope.EndsWith(":read", StringComparison.Ordinal) && Principal.Scopes.Contains(scope[..^":read".Length] + ":write", StringComparer.Ordinal));

    /// <summary>The caller of <paramref name="context"/>: anyone the principal middleware let through except anonymous callers (401).</summary>
    public static RegistryCaller From(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var principal = context.RequirePrincipal();
        return principal.Kind switch
        {
            PrincipalKind.Anonymous => throw new ApiException(ErrorCodes.Unauthorized, "Sign in first: the Registry needs a user, an operator or a service."),
            PrincipalKind.GatewaySelf => throw new ApiException(ErrorCodes.Forbidden, "The gateway's own calls do not reach the Registry."),
            _ => new RegistryCaller(principal, context.GetRequestIds()),
        };
    }
}

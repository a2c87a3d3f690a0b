using Microsoft.AspNetCore.Http;

namespace Nno.ServiceDefaults.Security;

/// <summary>How the caller of a request was authenticated (00-system §6, gateway.md §4.5).</summary>
public enum PrincipalKind
{
    /// <summary>Forwarded by the gateway from a public route (<c>X-Nno-Auth: anonymous</c>).</summary>
    Anonymous,

    /// <summary>A user session, forwarded by the gateway.</summary>
    Session,

    /// <summary>An NNO API key, forwarded by the gateway.</summary>
    ApiKey,

    /// <summary>The gateway's static service key (<c>X-Nno-Auth: service</c>, user id <c>static-key:…</c>): operator rights.</summary>
    StaticKey,

    /// <summary>The gateway's own call (<c>X-Nno-User-Id: svc:gateway</c>): allowed only where <c>gateway</c> is on the route's allowlist.</summary>
    GatewaySelf,

    /// <summary>Another NNO service calling with its own token (<c>svc:registry</c>, …); identity headers are ignored.</summary>
    Service,
}

/// <summary>The resolved caller of a request. Produced once per request by the principal middleware.</summary>
public sealed record NnoPrincipal
{
    public required PrincipalKind Kind { get; init; }

    /// <summary>User id (<c>usr_…</c>), <c>static-key:xxxxxxxx</c>, or <c>svc:&lt;service&gt;</c> for service callers.</summary>
    public string? UserId { get; init; }

    /// <summary><c>platform-admin</c>, <c>user</c> or <c>service</c>.</summary>
    public string? Role { get; init; }

    /// <summary>The active platform (a default only, never an authorisation).</summary>
    public string? PlatformId { get; init; }

    public string? PlatformRole { get; init; }

    /// <summary>Every platform the principal may act on, with its role (from <c>X-Nno-Platforms</c>).</summary>
    public IReadOnlyDictionary<string, string> Platforms { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    public string? SessionId { get; init; }

    public string? KeyId { get; init; }

    public IReadOnlyList<string> Scopes { get; init; } = [];

    public string? ClientIp { get; init; }

    /// <summary>The service whose token authenticated the request (<c>gateway</c>, <c>registry</c>, …).</summary>
    public required string CallerService { get; init; }

    /// <summary>For service callers: <c>X-Nno-Acting-User-Id</c>, for audit attribution only (grants nothing).</summary>
    public string? ActingUserId { get; init; }

    public bool IsAuthenticatedUser => Kind is PrincipalKind.Session or PrincipalKind.ApiKey;

    /// <summary>Operators (<c>platform-admin</c> users) and the static key act on every platform.</summary>
    public bool IsOperator => Kind == PrincipalKind.StaticKey || (IsAuthenticatedUser && Role == "platform-admin");

    /// <summary>The role this principal holds on <paramref name="platformId"/>, or null when it may not act on it.</summary>
    public string? RoleOn(string platformId) => Platforms.TryGetValue(platformId, out var role) ? role : null;

    /// <summary>True when the principal may act on <paramref name="platformId"/> (operators on every platform).</summary>
    public bool MayActOn(string platformId) => IsOperator || Platforms.ContainsKey(platformId);
}

/// <summary>Access to the principal of the current request.</summary>
public static class NnoPrincipalHttpContextExtensions
{
    private static readonly object Key = new();

    public static void SetNnoPrincipal(this HttpContext context, NnoPrincipal principal) => context.Items[Key] = principal;

    /// <summary>The principal resolved for this request, or null on routes that need no service token.</summary>
    public static NnoPrincipal? GetNnoPrincipal(this HttpContext context) =>
        context.Items.TryGetValue(Key, out var value) ? value as NnoPrincipal : null;
}

using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Errors;
using Nno.Iam.ApiKeys;
using Nno.Iam.Audit;
using Nno.Iam.Data;
using Nno.Iam.Sessions;
using Nno.ServiceDefaults.RequestContext;
using Nno.ServiceDefaults.Security;

namespace Nno.Iam.Access;

/// <summary>
/// The caller of an IAM request: the principal of 00-system §6 plus what IAM adds (iam.md §4.1): for session principals
/// the session itself, re-checked against the database (a revoked or expired one is 401 even inside the gateway's cache
/// window), and for API-key principals the key. Handlers get it from <see cref="IamCallers"/>.
/// </summary>
internal sealed class IamCaller
{
    public required NnoPrincipal Principal { get; init; }

    /// <summary>The live session of an <c>S</c> principal.</summary>
    public SessionRecord? Session { get; init; }

    /// <summary>The live key of a <c>K</c> principal.</summary>
    public ApiKeyRecord? ApiKey { get; init; }

    public required string? Ip { get; init; }

    public required string? UserAgent { get; init; }

    public required string? RequestId { get; init; }

    public PrincipalKind Kind => Principal.Kind;

    /// <summary>The user id of S/K principals (null for services, the static key and anonymous callers).</summary>
    public string? UserId => Principal.IsAuthenticatedUser ? Principal.UserId : null;

    /// <summary>Operator rights (the gateway already applied the second-factor rule to the forwarded role).</summary>
    public bool IsOperator => Principal.IsOperator;

    public bool IsService(string service) => Principal.Kind == PrincipalKind.Service && Principal.CallerService == service;

    /// <summary>The caller's role on <paramref name="platformId"/> as listed in <c>X-Nno-Platforms</c> (K: only the key's platform).</summary>
    public string? RoleOn(string platformId) => Principal.IsAuthenticatedUser ? Principal.RoleOn(platformId) : null;

    /// <summary>A new audit entry with the actor fields of this caller filled in.</summary>
    public AuditEntry Audit(string type, string outcome = "success") => new()
    {
        Type = type,
        Outcome = outcome,
        ActorKind = Principal.Kind switch
        {
            PrincipalKind.Session => "user",
            PrincipalKind.ApiKey => "apikey",
            PrincipalKind.Anonymous => "anonymous",
            _ => "service",
        },
        ActorUserId = Principal.Kind switch
        {
            PrincipalKind.Session or PrincipalKind.ApiKey => Principal.UserId,
            PrincipalKind.Service => Principal.ActingUserId,
            _ => null,
        },
        ActorKeyId = Principal.KeyId,
        Ip = Ip,
        UserAgent = UserAgent,
        RequestId = RequestId,
        Metadata = Principal.Kind is PrincipalKind.Service or PrincipalKind.StaticKey
            ? new Dictionary<string, object?> { ["caller"] = Principal.UserId }
            : new Dictionary<string, object?>(),
    };
}

/// <summary>Resolves the <see cref="IamCaller"/> of the current request once, and the checks handlers make on it.</summary>
internal sealed class IamCallers(IHttpContextAccessor http, IamDbContext db, TimeProvider time)
{
    private IamCaller? _caller;

    private HttpContext Context => http.HttpContext ?? throw new InvalidOperationException("No current request.");

    /// <summary>The caller; 401 when a forwarded session or key is no longer valid.</summary>
    public async Task<IamCaller> GetAsync(CancellationToken cancellationToken)
    {
        if (_caller is not null)
        {
            return _caller;
        }

        var context = Context;
        var principal = context.RequirePrincipal();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        SessionRecord? session = null;
        ApiKeyRecord? key = null;
        if (principal.Kind == PrincipalKind.Session)
        {
            session = await db.Sessions.AsNoTracking()
                .Where(s => s.Id == principal.SessionId && s.UserId == principal.UserId && s.RevokedAt == null && s.ExpiresAt > now && s.AbsoluteExpiresAt > now)
                .Where(s => db.Users.Any(u => u.Id == s.UserId && u.DisabledAt == null))
                .FirstOrDefaultAsync(cancellationToken)
                ?? throw new ApiException(ErrorCodes.Unauthorized, "The session is no longer valid.");
        }
        else if (principal.Kind == PrincipalKind.ApiKey)
        {
            key = await db.ApiKeys.AsNoTracking()
                .Where(k => k.Id == principal.KeyId && k.UserId == principal.UserId && k.RevokedAt == null && k.ExpiresAt > now)
                .Where(k => db.Users.Any(u => u.Id == k.UserId && u.DisabledAt == null))
                .FirstOrDefaultAsync(cancellationToken)
                ?? throw new ApiException(ErrorCodes.Unauthorized, "The API key is no longer valid.");
        }

        var userAgent = context.Request.Headers.UserAgent.ToString();
        _caller = new IamCaller
        {
            Principal = principal,
            Session = session,
            ApiKey = key,
            Ip = principal.ClientIp ?? context.Connection.RemoteIpAddress?.ToString(),
            UserAgent = userAgent.Length == 0 ? null : userAgent,
            RequestId = context.GetRequestIds().RequestId,
        };
        return _caller;
    }

    /// <summary>"S only" routes: a session user (403 for API keys and services, 401 for anonymous callers).</summary>
    public async Task<IamCaller> RequireSessionAsync(CancellationToken cancellationToken)
    {
        var caller = await GetAsync(cancellationToken);
        return caller.Kind switch
        {
            PrincipalKind.Session => caller,
            PrincipalKind.Anonymous => throw new ApiException(ErrorCodes.Unauthorized, "Sign in first: this route needs a session."),
            _ => throw new ApiException(ErrorCodes.Forbidden, "This route needs a signed-in session; API keys and services cannot use it."),
        };
    }

    /// <summary>A user by session or API key (403 for services and the static key, 401 for anonymous callers).</summary>
    public async Task<IamCaller> RequireUserAsync(CancellationToken cancellationToken)
    {
        var caller = await GetAsync(cancellationToken);
        return caller.Kind switch
        {
            PrincipalKind.Session or PrincipalKind.ApiKey => caller,
            PrincipalKind.Anonymous => throw new ApiException(ErrorCodes.Unauthorized, "Sign in first: this route needs a user."),
            _ => throw new ApiException(ErrorCodes.Forbidden, "This route is for users only."),
        };
    }

    /// <summary>Anonymous callers only get 401; everyone else passes (the route's own rules decide).</summary>
    public async Task<IamCaller> RequireAuthenticatedAsync(CancellationToken cancellationToken)
    {
        var caller = await GetAsync(cancellationToken);
        return caller.Kind == PrincipalKind.Anonymous ? throw new ApiException(ErrorCodes.Unauthorized, "Authentication is required.") : caller;
    }
}

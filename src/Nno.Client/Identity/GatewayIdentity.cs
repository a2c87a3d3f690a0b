using System.Net.Http.Headers;
using H = Nno.Core.Identity.NnoIdentityHeaders;

namespace Nno.Client.Identity;

/// <summary>
/// A principal as the gateway forwards it upstream (gateway.md §4.5). Build one with the factory methods and turn it
/// into headers with <see cref="GatewayIdentityHeaders"/>. The gateway uses this for real requests; tests use it to call
/// a service "as the gateway would" with the gateway's real service token (iam.md §7).
/// </summary>
public sealed record GatewayIdentity
{
    /// <summary><c>anonymous</c>, <c>session</c>, <c>apikey</c> or <c>service</c>.</summary>
    public required string Auth { get; init; }

    public string? UserId { get; init; }

    /// <summary><c>platform-admin</c>, <c>user</c> or <c>service</c>.</summary>
    public string? Role { get; init; }

    /// <summary>The active platform (empty header when null for session, API-key and static-key principals).</summary>
    public string? PlatformId { get; init; }

    public string? PlatformRole { get; init; }

    /// <summary>Every platform the principal may act on with its role; sent sorted by platform id.</summary>
    public IReadOnlyDictionary<string, string> Platforms { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    public string? SessionId { get; init; }

    public string? KeyId { get; init; }

    /// <summary>API-key scopes; sent comma-separated and sorted.</summary>
    public IReadOnlyCollection<string> Scopes { get; init; } = [];

    public string? ClientIp { get; init; }

    /// <summary>A request on a public route (<c>X-Nno-Auth: anonymous</c>).</summary>
    public static GatewayIdentity Anonymous(string? clientIp = "127.0.0.1") => new() { Auth = H.AuthKinds.Anonymous, ClientIp = clientIp };

    /// <summary>A user session.</summary>
    public static GatewayIdentity Session(
        string userId,
        string sessionId,
        string role = H.Roles.User,
        IReadOnlyDictionary<string, string>? platforms = null,
        string? activePlatformId = null,
        string? clientIp = "127.0.0.1") =>
        new()
        {
            Auth = H.AuthKinds.Session,
            UserId = userId,
            Role = role,
            SessionId = sessionId,
            Platforms = platforms ?? new Dictionary<string, string>(StringComparer.Ordinal),
            PlatformId = activePlatformId,
            PlatformRole = activePlatformId is not null && platforms is not null && platforms.TryGetValue(activePlatformId, out var r) ? r : null,
            ClientIp = clientIp,
        };

    /// <summary>An NNO API key (bound to <paramref name="platformId"/> with the owner's <paramref name="platformRole"/> there, or unbound).</summary>
    public static GatewayIdentity ApiKey(
        string userId,
        string keyId,
        IReadOnlyCollection<string> scopes,
        string role = H.Roles.User,
        string? platformId = null,
        string? platformRole = null,
        string? clientIp = "127.0.0.1") =>
        new()
        {
            Auth = H.AuthKinds.ApiKey,
            UserId = userId,
            Role = role,
            KeyId = keyId,
            Scopes = scopes,
            PlatformId = platformId,
            PlatformRole = platformRole,
            Platforms = platformId is not null && platformRole is not null
                ? new Dictionary<string, string>(StringComparer.Ordinal) { [platformId] = platformRole }
                : new Dictionary<string, string>(StringComparer.Ordinal),
            ClientIp = clientIp,
        };

    /// <summary>The static service key <c>AUTH_API_KEY</c>; <paramref name="keyFingerprint"/> is 8 lowercase hex characters.</summary>
    public static GatewayIdentity StaticKey(string keyFingerprint, string? clientIp = "127.0.0.1") =>
        new() { Auth = H.AuthKinds.Service, UserId = H.StaticKeyUserIdPrefix + keyFingerprint, Role = H.Roles.Service, ClientIp = clientIp };

    /// <summary>The gateway's own call (session validation, API-key verify): <c>svc:gateway</c> and no other identity header.</summary>
    public static GatewayIdentity GatewaySelf() => new() { Auth = H.AuthKinds.Service, UserId = H.GatewaySelfUserId };
}

/// <summary>Writes a <see cref="GatewayIdentity"/> as the <c>X-Nno-*</c> headers of gateway.md §4.5.</summary>
public static class GatewayIdentityHeaders
{
    /// <summary>The headers, in table order. Values the table marks "may be empty" are sent empty.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> For(GatewayIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var headers = new List<KeyValuePair<string, string>> { new(H.Auth, identity.Auth) };
        void Add(string name, string? value)
        {
            if (value is not null)
            {
                headers.Add(new(name, value));
            }
        }

        var user = identity.Auth is H.AuthKinds.Session or H.AuthKinds.ApiKey;
        var staticKey = identity.Auth == H.AuthKinds.Service && identity.UserId != H.GatewaySelfUserId;
        Add(H.UserId, identity.UserId);
        Add(H.Role, identity.Role);
        if (user || staticKey)
        {
            Add(H.PlatformId, identity.PlatformId ?? string.Empty);
            Add(H.PlatformRole, identity.PlatformRole ?? string.Empty);
            Add(H.Platforms, string.Join(',', identity.Platforms.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + ":" + p.Value)));
        }

        Add(H.SessionId, identity.SessionId);
        Add(H.KeyId, identity.KeyId);
        if (identity.Auth == H.AuthKinds.ApiKey)
        {
            Add(H.Scopes, string.Join(',', identity.Scopes.Order(StringComparer.Ordinal)));
        }

        Add(H.ClientIp, identity.ClientIp);
        return headers;
    }

    /// <summary>Removes every <c>X-Nno-*</c> header from <paramref name="headers"/>, then adds those of <paramref name="identity"/>.</summary>
    public static void Apply(HttpRequestHeaders headers, GatewayIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(headers);
        foreach (var name in headers.Select(h => h.Key).Where(k => k.StartsWith(H.Prefix, StringComparison.OrdinalIgnoreCase)).ToList())
        {
            headers.Remove(name);
        }

        foreach (var (name, value) in For(identity))
        {
            headers.TryAddWithoutValidation(name, value);
        }
    }
}

/// <summary>
/// Sends every request as the gateway would: <c>Authorization: Bearer &lt;gateway service token&gt;</c> plus the
/// identity headers of one principal. For tests of upstream services and for code that acts as the gateway.
/// </summary>
public sealed class GatewayIdentityHandler(Func<CancellationToken, ValueTask<string>> gatewayToken, GatewayIdentity identity) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await gatewayToken(cancellationToken));
        GatewayIdentityHeaders.Apply(request.Headers, identity);
        return await base.SendAsync(request, cancellationToken);
    }
}

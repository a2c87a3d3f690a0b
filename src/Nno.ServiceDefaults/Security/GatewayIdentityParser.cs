using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Nno.Core.Identity;
using Nno.Core.Services;
using H = Nno.Core.Identity.NnoIdentityHeaders;

namespace Nno.ServiceDefaults.Security;

/// <summary>
/// Reads the principal the gateway forwards in <c>X-Nno-*</c> headers (gateway.md §4.5). Only called for requests that
/// carry the gateway's own token. Headers that do not form one of the table's shapes are rejected (the gateway never
/// sends them, so they mean a bug or tampering): the caller answers 401.
/// </summary>
internal static partial class GatewayIdentityParser
{
    public static bool TryParse(IHeaderDictionary headers, out NnoPrincipal principal, out string problem)
    {
        principal = null!;
        problem = string.Empty;
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in (string[])[H.Auth, H.UserId, H.Role, H.PlatformId, H.PlatformRole, H.Platforms, H.SessionId, H.KeyId, H.Scopes, H.ClientIp])
        {
            var raw = headers[name];
            if (raw.Count > 1)
            {
                problem = name + " appears more than once";
                return false;
            }

            var value = raw.ToString().Trim();
            if (value.Length > 0)
            {
                values[name] = value;
            }
        }

        string? Get(string name) => values.GetValueOrDefault(name);

        string? clientIp = null;
        if (Get(H.ClientIp) is { } ip)
        {
            if (!IPAddress.TryParse(ip, out var parsed))
            {
                problem = H.ClientIp + " is not an IP address";
                return false;
            }

            clientIp = parsed.ToString();
        }

        switch (Get(H.Auth))
        {
            case H.AuthKinds.Anonymous:
                if (values.Keys.Any(k => k is not (H.Auth or H.ClientIp)))
                {
                    problem = "an anonymous request carries identity headers";
                    return false;
                }

                principal = new NnoPrincipal { Kind = PrincipalKind.Anonymous, CallerService = NnoServices.Gateway, ClientIp = clientIp };
                return true;

            case H.AuthKinds.Session:
            case H.AuthKinds.ApiKey:
                return TryParseUser(values, clientIp, out principal, out problem);

            case H.AuthKinds.Service:
                return TryParseService(values, clientIp, out principal, out problem);

            case null:
                problem = H.Auth + " is missing";
                return false;

            default:
                problem = H.Auth + " has an unknown value";
                return false;
        }
    }

    private static bool TryParseUser(Dictionary<string, string> values, string? clientIp, out NnoPrincipal principal, out string problem)
    {
        principal = null!;
        var session = values[H.Auth] == H.AuthKinds.Session;
        var userId = values.GetValueOrDefault(H.UserId);
        if (!IsId(userId) || userId!.StartsWith(H.StaticKeyUserIdPrefix, StringComparison.Ordinal) || userId.StartsWith(ServiceTokenProtocol.SubjectPrefix, StringComparison.Ordinal))
        {
            problem = H.UserId + " is missing or not a user id";
            return false;
        }

        var role = values.GetValueOrDefault(H.Role);
        if (role is not (H.Roles.PlatformAdmin or H.Roles.User))
        {
            problem = H.Role + " is missing or not a user role";
            return false;
        }

        var sessionId = values.GetValueOrDefault(H.SessionId);
        var keyId = values.GetValueOrDefault(H.KeyId);
        if (session ? !IsId(sessionId) || keyId is not null : !IsId(keyId) || sessionId is not null)
        {
            problem = session ? "a session principal needs " + H.SessionId + " and no " + H.KeyId : "an API-key principal needs " + H.KeyId + " and no " + H.SessionId;
            return false;
        }

        IReadOnlyList<string> scopes = [];
        if (values.GetValueOrDefault(H.Scopes) is { } scopeList)
        {
            if (session || !TryParseScopes(scopeList, out scopes))
            {
                problem = H.Scopes + " is malformed or not allowed here";
                return false;
            }
        }

        if (!TryParsePlatforms(values.GetValueOrDefault(H.Platforms), out var platforms, out problem)
            || !TryParseActivePlatform(values, out var platformId, out var platformRole, out problem))
        {
            return false;
        }

        principal = new NnoPrincipal
        {
            Kind = session ? PrincipalKind.Session : PrincipalKind.ApiKey,
            CallerService = NnoServices.Gateway,
            UserId = userId,
            Role = role,
            PlatformId = platformId,
            PlatformRole = platformRole,
            Platforms = platforms,
            SessionId = sessionId,
            KeyId = keyId,
            Scopes = scopes,
            ClientIp = clientIp,
        };
        return true;
    }

    private static bool TryParseService(Dictionary<string, string> values, string? clientIp, out NnoPrincipal principal, out string problem)
    {
        principal = null!;
        problem = string.Empty;
        var userId = values.GetValueOrDefault(H.UserId);
        var role = values.GetValueOrDefault(H.Role);
        if (role is not (null or H.Roles.Service))
        {
            problem = H.Role + " of a service principal must be 'service'";
            return false;
        }

        if (values.Keys.Any(k => k is not (H.Auth or H.UserId or H.Role or H.ClientIp)))
        {
            problem = "a service principal carries user identity headers";
            return false;
        }

        PrincipalKind kind;
        if (userId == H.GatewaySelfUserId)
        {
            kind = PrincipalKind.GatewaySelf;
        }
        else if (userId is not null && StaticKeyUserId().IsMatch(userId))
        {
            kind = PrincipalKind.StaticKey;
        }
        else
        {
            problem = H.UserId + " of a service principal must be 'svc:gateway' or 'static-key:<8 hex>'";
            return false;
        }

        principal = new NnoPrincipal
        {
            Kind = kind,
            CallerService = NnoServices.Gateway,
            UserId = userId,
            Role = H.Roles.Service,
            ClientIp = clientIp,
        };
        return true;
    }

    /// <summary>Parses <c>pid:role,pid:role</c> (gateway.md §4.5).</summary>
    internal static bool TryParsePlatforms(string? value, out IReadOnlyDictionary<string, string> platforms, out string problem)
    {
        problem = string.Empty;
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        platforms = result;
        if (string.IsNullOrEmpty(value))
        {
            return true;
        }

        foreach (var pair in value.Split(','))
        {
            var colon = pair.IndexOf(':', StringComparison.Ordinal);
            var pid = colon > 0 ? pair[..colon].Trim() : string.Empty;
            var role = colon > 0 ? pair[(colon + 1)..].Trim() : string.Empty;
            if (!PlatformIdPattern().IsMatch(pid) || !IsPlatformRole(role) || !result.TryAdd(pid, role))
            {
                problem = H.Platforms + " is malformed";
                return false;
            }
        }

        return true;
    }

    private static bool TryParseActivePlatform(Dictionary<string, string> values, out string? platformId, out string? platformRole, out string problem)
    {
        problem = string.Empty;
        platformId = values.GetValueOrDefault(H.PlatformId);
        platformRole = values.GetValueOrDefault(H.PlatformRole);
        if (platformId is not null && !PlatformIdPattern().IsMatch(platformId))
        {
            problem = H.PlatformId + " is not a platform id";
            return false;
        }

        if (platformRole is not null && (platformId is null || !IsPlatformRole(platformRole)))
        {
            problem = H.PlatformRole + " is malformed or has no platform";
            return false;
        }

        return true;
    }

    private static bool TryParseScopes(string value, out IReadOnlyList<string> scopes)
    {
        var list = new List<string>();
        scopes = list;
        foreach (var raw in value.Split(','))
        {
            var scope = raw.Trim();
            if (!ScopePattern().IsMatch(scope))
            {
                return false;
            }

            list.Add(scope);
        }

        return true;
    }

    private static bool IsPlatformRole(string role) => role is H.PlatformRoles.Owner or H.PlatformRoles.Admin or H.PlatformRoles.Member;

    private static bool IsId(string? value) => value is not null && IdPattern().IsMatch(value);

    [GeneratedRegex("^[A-Za-z0-9._:-]{1,128}$")]
    private static partial Regex IdPattern();

    [GeneratedRegex("^[a-z0-9]{10}$")]
    private static partial Regex PlatformIdPattern();

    [GeneratedRegex("^[a-z][a-z0-9-]*:(read|write)$")]
    private static partial Regex ScopePattern();

    [GeneratedRegex("^static-key:[0-9a-fA-F]{8}$")]
    private static partial Regex StaticKeyUserId();

    /// <summary>Reads a single-valued header, or null when absent, empty or repeated.</summary>
    internal static string? Single(StringValues values) => values.Count == 1 && !string.IsNullOrWhiteSpace(values[0]) ? values[0]!.Trim() : null;
}

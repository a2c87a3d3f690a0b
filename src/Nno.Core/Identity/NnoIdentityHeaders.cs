namespace Nno.Core.Identity;

/// <summary>
/// The identity headers the gateway sends upstream (gateway.md §4.5) and the values they take. Shared by the gateway,
/// the principal middleware that reads them and the test helpers that build them, so the names exist once.
/// </summary>
public static class NnoIdentityHeaders
{
    /// <summary>Every header whose name starts with this prefix is stripped from client requests by the gateway.</summary>
    public const string Prefix = "X-Nno-";

    public const string Auth = "X-Nno-Auth";
    public const string UserId = "X-Nno-User-Id";
    public const string Role = "X-Nno-Role";
    public const string PlatformId = "X-Nno-Platform-Id";
    public const string PlatformRole = "X-Nno-Platform-Role";
    public const string Platforms = "X-Nno-Platforms";
    public const string SessionId = "X-Nno-Session-Id";
    public const string KeyId = "X-Nno-Key-Id";
    public const string Scopes = "X-Nno-Scopes";
    public const string ClientIp = "X-Nno-Client-Ip";

    /// <summary>The session token the gateway asks IAM to validate (<c>GET /api/nno/session</c>); read only from the gateway's own call.</summary>
    public const string SessionToken = "X-Nno-Session-Token";

    /// <summary>Sent by a service (not the gateway) to name the user it acts for; audit attribution only, grants nothing.</summary>
    public const string ActingUserId = "X-Nno-Acting-User-Id";

    /// <summary>Values of <see cref="Auth"/>.</summary>
    public static class AuthKinds
    {
        public const string Anonymous = "anonymous";
        public const string Session = "session";
        public const string ApiKey = "apikey";
        public const string Service = "service";
    }

    /// <summary>Values of <see cref="Role"/>.</summary>
    public static class Roles
    {
        public const string PlatformAdmin = "platform-admin";
        public const string User = "user";
        public const string Service = "service";
    }

    /// <summary>Values of <see cref="PlatformRole"/> and of the roles in <see cref="Platforms"/>.</summary>
    public static class PlatformRoles
    {
        public const string Owner = "owner";
        public const string Admin = "admin";
        public const string Member = "member";
    }

    /// <summary><see cref="UserId"/> prefix of the gateway's static service key principal (<c>static-key:{8 hex}</c>).</summary>
    public const string StaticKeyUserIdPrefix = "static-key:";

    /// <summary><see cref="UserId"/> of the gateway's own calls (<c>svc:gateway</c>).</summary>
    public const string GatewaySelfUserId = "svc:gateway";
}

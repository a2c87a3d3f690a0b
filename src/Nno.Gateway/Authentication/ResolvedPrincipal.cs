using Nno.Client.Identity;
using H = Nno.Core.Identity.NnoIdentityHeaders;

namespace Nno.Gateway.Authentication;

/// <summary>
/// An authenticated caller as the gateway holds it (gateway.md §2 credential cache value): the identity of §4.5, its
/// upstream headers computed once (everything but <c>X-Nno-Client-Ip</c>), the ids the eviction index uses, and when
/// the credential itself expires (null: no expiry, e.g. the static key or a key without expiry).
/// </summary>
internal sealed class ResolvedPrincipal
{
    private ResolvedPrincipal(GatewayIdentity identity, IReadOnlyList<KeyValuePair<string, string>> headers, DateTimeOffset? credentialExpiresAt)
    {
        Identity = identity;
        Headers = headers;
        CredentialExpiresAt = credentialExpiresAt;
    }

    public GatewayIdentity Identity { get; }

    /// <summary><c>anonymous</c>, <c>session</c>, <c>apikey</c> or <c>service</c>.</summary>
    public string Kind => Identity.Auth;

    public string? UserId => Identity.UserId;

    public string? SessionId => Identity.SessionId;

    public string? KeyId => Identity.KeyId;

    /// <summary>The <c>X-Nno-*</c> headers of §4.5 in table order, without <c>X-Nno-Client-Ip</c>.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    public DateTimeOffset? CredentialExpiresAt { get; }

    /// <summary>The principal of a public route: <c>X-Nno-Auth: anonymous</c> and nothing else.</summary>
    public static ResolvedPrincipal Anonymous { get; } = Create(new GatewayIdentity { Auth = H.AuthKinds.Anonymous }, null)!;

    /// <summary>
    /// The principal for <paramref name="identity"/>, or null when a value IAM sent cannot travel as a header (outside
    /// visible ASCII) or claims an identity no client may have (<c>svc:…</c>, <c>static-key:…</c>).
    /// </summary>
    public static ResolvedPrincipal? Create(GatewayIdentity identity, DateTimeOffset? credentialExpiresAt)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var headers = GatewayIdentityHeaders.For(identity with { ClientIp = null });
        foreach (var (_, value) in headers)
        {
            if (value.AsSpan().ContainsAnyExceptInRange(' ', '~'))
            {
                return null;
            }
        }

        return new ResolvedPrincipal(identity, headers.ToArray(), credentialExpiresAt);
    }

    /// <summary>True for user ids reserved to the gateway itself and the static key: IAM never issues them to users.</summary>
    public static bool IsReservedUserId(string? userId) =>
        userId is not null
        && (userId.StartsWith(Nno.ServiceDefaults.Security.ServiceTokenProtocol.SubjectPrefix, StringComparison.OrdinalIgnoreCase)
            || userId.StartsWith(H.StaticKeyUserIdPrefix, StringComparison.OrdinalIgnoreCase));
}

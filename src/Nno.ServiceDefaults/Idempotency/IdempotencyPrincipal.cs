using Nno.ServiceDefaults.Security;

namespace Nno.ServiceDefaults.Idempotency;

/// <summary>Whose keys a request's <c>Idempotency-Key</c> belongs to: keys are kept per principal (00-system §7).</summary>
public static class IdempotencyPrincipal
{
    /// <summary>
    /// The key namespace of <paramref name="principal"/>: <c>user:&lt;id&gt;</c> for sessions (every session of a user
    /// shares it), <c>apikey:&lt;key id&gt;</c>, the static key's <c>static-key:…</c> id, <c>svc:&lt;service&gt;</c> for
    /// service callers (the gateway's own calls included). Null for anonymous or unidentified callers, whose requests do
    /// not take the header.
    /// </summary>
    public static string? KeyOf(NnoPrincipal? principal) => principal switch
    {
        null => null,
        { Kind: PrincipalKind.Session, UserId: { Length: > 0 } user } => "user:" + user,
        { Kind: PrincipalKind.ApiKey, KeyId: { Length: > 0 } key } => "apikey:" + key,
        { Kind: PrincipalKind.StaticKey, UserId: { Length: > 0 } id } => id.StartsWith("static-key:", StringComparison.Ordinal) ? id : "static-key:" + id,
        { Kind: PrincipalKind.Service or PrincipalKind.GatewaySelf, CallerService: { Length: > 0 } service } => "svc:" + service,
        _ => null,
    };
}

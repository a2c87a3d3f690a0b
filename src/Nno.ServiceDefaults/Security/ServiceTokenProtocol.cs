using Nno.Core.Services;

namespace Nno.ServiceDefaults.Security;

/// <summary>The fixed facts of NNO service tokens (00-system §6, iam.md §4.8): issuer, audience, algorithm, claims, paths.</summary>
public static class ServiceTokenProtocol
{
    /// <summary>The <c>iss</c> of every service token.</summary>
    public const string Issuer = "nno-iam";

    /// <summary>The <c>aud</c> of every service token.</summary>
    public const string Audience = "nno-services";

    /// <summary>The only accepted signature algorithm (ECDSA P-256 with SHA-256).</summary>
    public const string Algorithm = "ES256";

    /// <summary>Prefix of the <c>sub</c> claim: <c>svc:&lt;service&gt;</c>.</summary>
    public const string SubjectPrefix = "svc:";

    /// <summary>The claim naming the service.</summary>
    public const string ServiceClaim = "svc";

    /// <summary>IAM's token endpoint.</summary>
    public const string IssuePath = "/api/nno/service-token";

    /// <summary>IAM's key set.</summary>
    public const string JwksPath = "/api/nno/jwks";

    /// <summary>The well-known alias of <see cref="JwksPath"/>.</summary>
    public const string JwksAliasPath = "/.well-known/jwks.json";

    /// <summary>
    /// The named client that reaches IAM through its binding without a service token attached: used to fetch the JWKS and
    /// to obtain tokens (attaching a token to those calls would recurse).
    /// </summary>
    public const string AnonymousIamClient = "NNO_IAM_ANON";

    /// <summary>The services that obtain tokens with a client secret (iam.md §3.5).</summary>
    public static IReadOnlyList<string> ClientServices { get; } =
        [NnoServices.Gateway, NnoServices.Registry, NnoServices.Billing, NnoServices.Provisioning, NnoServices.StackRegistry, NnoServices.Cli];

    /// <summary>True when <paramref name="service"/> may appear in a token (the client services and IAM itself).</summary>
    public static bool IsTokenService(string? service) =>
        service is not null && (service == NnoServices.Iam || ClientServices.Contains(service, StringComparer.Ordinal));
}

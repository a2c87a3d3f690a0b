using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Nno.Iam.SigningKeys;
using Nno.ServiceDefaults.Security;

namespace Nno.Iam.ServiceTokens;

/// <summary>A freshly issued service token.</summary>
internal sealed record IssuedServiceToken(string Token, DateTimeOffset ExpiresAt, TimeSpan Lifetime);

/// <summary>
/// Mints service tokens (iam.md §4.8): header <c>{alg:ES256, kid, typ:JWT}</c>; claims <c>iss</c>, <c>aud</c>,
/// <c>sub</c> <c>svc:&lt;service&gt;</c>, <c>svc</c>, <c>iat</c>, <c>nbf</c>, <c>exp</c>, <c>jti</c>. No database write.
/// </summary>
internal sealed class ServiceTokenIssuer(SigningKeyRing ring, TimeProvider time, IOptions<ServiceTokenOptions> options)
{
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };

    public async ValueTask<IssuedServiceToken> IssueAsync(string service, CancellationToken cancellationToken)
    {
        var key = await ring.GetSigningKeyAsync(cancellationToken);
        var lifetime = options.Value.Lifetime;
        // Whole seconds: JWT times are seconds, so expiresAt in the response equals the token's exp exactly.
        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(time.GetUtcNow().ToUnixTimeSeconds());
        var expiresAt = issuedAt + lifetime;
        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = ServiceTokenProtocol.Issuer,
            Audience = ServiceTokenProtocol.Audience,
            IssuedAt = issuedAt.UtcDateTime,
            NotBefore = issuedAt.UtcDateTime,
            Expires = expiresAt.UtcDateTime,
            TokenType = "JWT",
            SigningCredentials = key.Credentials,
            Claims = new Dictionary<string, object>(StringComparer.Ordinal)
            {
                [JwtRegisteredClaimNames.Sub] = ServiceTokenProtocol.SubjectPrefix + service,
                [ServiceTokenProtocol.ServiceClaim] = service,
                [JwtRegisteredClaimNames.Jti] = IamIds.NewTokenId(),
            },
        });
        return new IssuedServiceToken(token, expiresAt, lifetime);
    }
}

/// <summary>IAM's own token (<c>svc:iam</c>) for its outgoing binding calls: minted locally, cached like everyone else's.</summary>
internal sealed class IamServiceTokenProvider(
    ServiceTokenIssuer issuer,
    TimeProvider time,
    IOptions<ServiceAuthenticationOptions> options,
    ILogger<IamServiceTokenProvider> logger) : CachingServiceTokenProvider(time, options, logger)
{
    protected override async Task<ServiceTokenGrant> RequestTokenAsync(CancellationToken cancellationToken)
    {
        var issued = await issuer.IssueAsync(Core.Services.NnoServices.Iam, cancellationToken);
        return new ServiceTokenGrant(issued.Token, issued.Lifetime);
    }
}

using Microsoft.IdentityModel.Tokens;
using Nno.ServiceDefaults.Security;

namespace Nno.Iam.SigningKeys;

/// <summary>One signing key held in memory: its public JWK, verification key, and (when it could be decrypted) its signing credentials.</summary>
internal sealed record SigningKey
{
    public required string Kid { get; init; }

    public required EcJsonWebKey PublicJwk { get; init; }

    public required SecurityKey VerificationKey { get; init; }

    /// <summary>Null when the private key could not be decrypted (lost Data Protection key ring): the key then only verifies.</summary>
    public SigningCredentials? Credentials { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset ActivatesAt { get; init; }

    public required DateTimeOffset RetiresAt { get; init; }

    public required DateTimeOffset PurgeAt { get; init; }

    public bool CanSign => Credentials is not null;

    /// <summary>True while the key is in the JWKS: from its publish time (activation minus <paramref name="publishLead"/>) until purge.</summary>
    public bool IsPublished(DateTimeOffset now, TimeSpan publishLead) => ActivatesAt - publishLead <= now && now < PurgeAt;

    /// <summary>True while the key may sign.</summary>
    public bool IsActive(DateTimeOffset now) => CanSign && ActivatesAt <= now && now < RetiresAt;
}

using Microsoft.IdentityModel.Tokens;

namespace Nno.ServiceDefaults.Security;

/// <summary>Outcome of looking up a token's signing key.</summary>
public enum ServiceTokenKeyStatus
{
    /// <summary>The key is known: verify the signature with it.</summary>
    Found,

    /// <summary>A current key set was consulted and does not hold the key: the token is invalid.</summary>
    Unknown,

    /// <summary>No key set could be had (IAM starting or unreachable): the token is not proven invalid (503, never 401).</summary>
    Unavailable,
}

/// <summary>The result of <see cref="IServiceTokenKeySource.FindAsync"/>.</summary>
public sealed record ServiceTokenKeyLookup(ServiceTokenKeyStatus Status, SecurityKey? Key, TimeSpan RetryAfter)
{
    public static ServiceTokenKeyLookup Unknown { get; } = new(ServiceTokenKeyStatus.Unknown, null, TimeSpan.Zero);

    public static ServiceTokenKeyLookup Found(SecurityKey key) => new(ServiceTokenKeyStatus.Found, key, TimeSpan.Zero);

    public static ServiceTokenKeyLookup Unavailable(TimeSpan retryAfter) => new(ServiceTokenKeyStatus.Unavailable, null, retryAfter);
}

/// <summary>
/// Where a service finds the public keys that verify service tokens: IAM uses its own in-memory key ring (so it never
/// answers 503 for missing keys); every other service uses IAM's JWKS, fetched through the binding and cached.
/// </summary>
public interface IServiceTokenKeySource
{
    /// <summary>The verification key with id <paramref name="kid"/>.</summary>
    ValueTask<ServiceTokenKeyLookup> FindAsync(string kid, CancellationToken cancellationToken);
}

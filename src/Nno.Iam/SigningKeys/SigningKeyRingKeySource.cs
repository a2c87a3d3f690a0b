using Nno.ServiceDefaults.Security;

namespace Nno.Iam.SigningKeys;

/// <summary>IAM verifies service tokens against its own key ring (iam.md §4.1), so it never answers 503 for missing keys.</summary>
internal sealed class SigningKeyRingKeySource(SigningKeyRing ring) : IServiceTokenKeySource
{
    public async ValueTask<ServiceTokenKeyLookup> FindAsync(string kid, CancellationToken cancellationToken) =>
        await ring.FindPublishedAsync(kid, cancellationToken) is { } key
            ? ServiceTokenKeyLookup.Found(key.VerificationKey)
            : ServiceTokenKeyLookup.Unknown;
}

using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Nno.Iam.Data;
using Nno.ServiceDefaults.Security;

namespace Nno.Iam.SigningKeys;

/// <summary>
/// IAM's ES256 signing keys (iam.md §4.8), held in memory so issuing and verifying tokens never touches the database.
/// Maintenance (load, create, rotate, purge) writes <c>signing_keys</c>; it runs at start, on a background interval and
/// whenever a use finds it due. Lifecycle of a key: published <see cref="SigningKeyOptions.PublishLead"/> before it
/// activates, signs for <see cref="SigningKeyOptions.RotationInterval"/>, stays published
/// <see cref="SigningKeyOptions.RetainAfterRetirement"/> after retiring, then is purged.
/// </summary>
/// <remarks>
/// One IAM replica per database is assumed: two replicas starting at once could each create a key. Both keys would be
/// valid and published, so tokens still verify everywhere, but each replica would only know its own until it reloads.
/// Distributed mode will take a database lease around maintenance and reload the ring from the table.
/// </remarks>
internal sealed class SigningKeyRing(
    IServiceScopeFactory scopes,
    IDataProtectionProvider dataProtection,
    TimeProvider time,
    IOptions<SigningKeyOptions> options,
    ILogger<SigningKeyRing> logger) : IDisposable
{
    private const string ProtectorPurpose = "Nno.Iam.SigningKeys.PrivateKey.v1";
    private readonly SemaphoreSlim _maintenance = new(1, 1);
    private readonly IDataProtector _protector = dataProtection.CreateProtector(ProtectorPurpose);
    private volatile IReadOnlyList<SigningKey>? _keys;

    /// <summary>The key that signs now (created or rotated first when due).</summary>
    public async ValueTask<SigningKey> GetSigningKeyAsync(CancellationToken cancellationToken)
    {
        var (keys, now) = await CurrentAsync(cancellationToken);
        return Active(keys, now) ?? throw new InvalidOperationException("Key maintenance left no active signing key.");
    }

    /// <summary>The keys in the JWKS now, oldest first.</summary>
    public async ValueTask<IReadOnlyList<SigningKey>> GetPublishedKeysAsync(CancellationToken cancellationToken)
    {
        var (keys, now) = await CurrentAsync(cancellationToken);
        var lead = options.Value.PublishLead;
        return keys.Where(k => k.IsPublished(now, lead)).OrderBy(k => k.ActivatesAt).ToList();
    }

    /// <summary>The published key with id <paramref name="kid"/>, or null.</summary>
    public async ValueTask<SigningKey?> FindPublishedAsync(string kid, CancellationToken cancellationToken)
    {
        var (keys, now) = await CurrentAsync(cancellationToken);
        var key = keys.FirstOrDefault(k => k.Kid == kid);
        return key is not null && key.IsPublished(now, options.Value.PublishLead) ? key : null;
    }

    /// <summary>Loads the keys (first call), purges expired ones, creates a key when none is active and a successor when rotation is due.</summary>
    public async Task MaintainAsync(CancellationToken cancellationToken)
    {
        await _maintenance.WaitAsync(cancellationToken);
        try
        {
            var settings = options.Value;
            var now = time.GetUtcNow();
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<IamDbContext>();
            var keys = _keys?.ToList() ?? await LoadAsync(db, cancellationToken);

            var expired = keys.Where(k => k.PurgeAt <= now).ToList();
            if (expired.Count > 0)
            {
                var kids = expired.Select(k => k.Kid).ToList();
                await db.SigningKeys.Where(r => kids.Contains(r.Kid)).ExecuteDeleteAsync(cancellationToken);
                // Purged keys are dropped, not disposed: a request that already holds one may still be verifying with it.
                keys.RemoveAll(k => k.PurgeAt <= now);
                logger.LogInformation("Purged {Count} signing key(s): {Kids}", kids.Count, string.Join(", ", kids));
            }

            var active = Active(keys, now);
            if (active is null)
            {
                var created = await CreateAsync(db, now, now, cancellationToken);
                keys.Add(created);
                logger.LogInformation("Created signing key {Kid}, signing from now until {RetiresAt:O}", created.Kid, created.RetiresAt);
            }
            else if (RotationDue(keys, active, now, settings.PublishLead))
            {
                // The successor is published for the full lead before it signs; the current key signs until then.
                var activatesAt = Max(active.RetiresAt, now + settings.PublishLead);
                if (activatesAt > active.RetiresAt)
                {
                    var extended = active with { RetiresAt = activatesAt, PurgeAt = activatesAt + settings.RetainAfterRetirement };
                    await db.SigningKeys.Where(r => r.Kid == active.Kid).ExecuteUpdateAsync(
                        s => s.SetProperty(r => r.RetiresAt, extended.RetiresAt.ToUnixTimeMilliseconds())
                              .SetProperty(r => r.PurgeAt, extended.PurgeAt.ToUnixTimeMilliseconds()),
                        cancellationToken);
                    keys[keys.IndexOf(active)] = extended;
                }

                var successor = await CreateAsync(db, now, activatesAt, cancellationToken);
                keys.Add(successor);
                logger.LogInformation("Created signing key {Kid} (published now, signing from {ActivatesAt:O}); key {Previous} retires then",
                    successor.Kid, successor.ActivatesAt, active.Kid);
            }

            _keys = keys.OrderBy(k => k.ActivatesAt).ToList();
        }
        finally
        {
            _maintenance.Release();
        }
    }

    public void Dispose() => _maintenance.Dispose();

    private async ValueTask<(IReadOnlyList<SigningKey> Keys, DateTimeOffset Now)> CurrentAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var keys = _keys;
        if (keys is null || MaintenanceDue(keys, now))
        {
            await MaintainAsync(cancellationToken);
            keys = _keys!;
        }

        return (keys, now);
    }

    private bool MaintenanceDue(IReadOnlyList<SigningKey> keys, DateTimeOffset now)
    {
        var active = Active(keys, now);
        return active is null || RotationDue(keys, active, now, options.Value.PublishLead) || keys.Any(k => k.PurgeAt <= now);
    }

    private static SigningKey? Active(IReadOnlyList<SigningKey> keys, DateTimeOffset now) =>
        keys.Where(k => k.IsActive(now)).MaxBy(k => k.ActivatesAt);

    private static bool RotationDue(IReadOnlyList<SigningKey> keys, SigningKey active, DateTimeOffset now, TimeSpan publishLead) =>
        now >= active.RetiresAt - publishLead && !keys.Any(k => k.CanSign && k.ActivatesAt > active.ActivatesAt);

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private async Task<List<SigningKey>> LoadAsync(IamDbContext db, CancellationToken cancellationToken)
    {
        var records = await db.SigningKeys.AsNoTracking().OrderBy(r => r.ActivatesAt).ToListAsync(cancellationToken);
        var keys = new List<SigningKey>(records.Count);
        foreach (var record in records)
        {
            var jwk = JsonSerializer.Deserialize<EcJsonWebKey>(record.PublicJwk);
            if (jwk is null || !jwk.TryCreateSecurityKey(out var verification))
            {
                logger.LogError("Signing key {Kid} has an unreadable public key; it is ignored", record.Kid);
                continue;
            }

            SigningCredentials? credentials = null;
            try
            {
                var privateKey = _protector.Unprotect(record.PrivateKey);
                try
                {
                    var ecdsa = ECDsa.Create();
                    ecdsa.ImportECPrivateKey(privateKey, out _);
                    credentials = new SigningCredentials(new ECDsaSecurityKey(ecdsa) { KeyId = record.Kid }, SecurityAlgorithms.EcdsaSha256);
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(privateKey);
                }
            }
            catch (CryptographicException ex)
            {
                // Typically a lost Data Protection key ring: the key can still verify, and a new one will sign.
                logger.LogError("Signing key {Kid} cannot be decrypted ({Reason}); it will only verify tokens", record.Kid, ex.Message);
            }

            keys.Add(new SigningKey
            {
                Kid = record.Kid,
                PublicJwk = jwk,
                VerificationKey = verification,
                Credentials = credentials,
                CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(record.CreatedAt),
                ActivatesAt = DateTimeOffset.FromUnixTimeMilliseconds(record.ActivatesAt),
                RetiresAt = DateTimeOffset.FromUnixTimeMilliseconds(record.RetiresAt),
                PurgeAt = DateTimeOffset.FromUnixTimeMilliseconds(record.PurgeAt),
            });
        }

        logger.LogInformation("Loaded {Count} signing key(s)", keys.Count);
        return keys;
    }

    private async Task<SigningKey> CreateAsync(IamDbContext db, DateTimeOffset now, DateTimeOffset activatesAt, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var jwk = EcJsonWebKey.FromPublicKey(ecdsa.ExportParameters(includePrivateParameters: false));
        if (!jwk.TryCreateSecurityKey(out var verification))
        {
            throw new CryptographicException("A freshly generated P-256 key could not be expressed as a JWK.");
        }

        var privateKey = ecdsa.ExportECPrivateKey();
        byte[] protectedKey;
        try
        {
            protectedKey = _protector.Protect(privateKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(privateKey);
        }

        var retiresAt = activatesAt + settings.RotationInterval;
        var key = new SigningKey
        {
            Kid = jwk.Kid,
            PublicJwk = jwk,
            VerificationKey = verification,
            Credentials = new SigningCredentials(new ECDsaSecurityKey(ecdsa) { KeyId = jwk.Kid }, SecurityAlgorithms.EcdsaSha256),
            CreatedAt = now,
            ActivatesAt = activatesAt,
            RetiresAt = retiresAt,
            PurgeAt = retiresAt + settings.RetainAfterRetirement,
        };
        db.SigningKeys.Add(new SigningKeyRecord
        {
            Kid = key.Kid,
            Alg = ServiceTokenProtocol.Algorithm,
            PublicJwk = JsonSerializer.Serialize(jwk),
            PrivateKey = protectedKey,
            CreatedAt = key.CreatedAt.ToUnixTimeMilliseconds(),
            ActivatesAt = key.ActivatesAt.ToUnixTimeMilliseconds(),
            RetiresAt = key.RetiresAt.ToUnixTimeMilliseconds(),
            PurgeAt = key.PurgeAt.ToUnixTimeMilliseconds(),
        });
        await db.SaveChangesAsync(cancellationToken);
        return key;
    }
}

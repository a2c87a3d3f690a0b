using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Nno.Client.Identity;

namespace Nno.Gateway.Authentication;

/// <summary>
/// Auth path 1 of gateway.md §4.3: the static service keys <c>AUTH_API_KEY</c> and <c>AUTH_API_KEY_NEXT</c>. The
/// presented value and each key are HMAC-SHA256'd with a per-process random key and compared with
/// <see cref="CryptographicOperations.FixedTimeEquals"/>, every configured key every time, so neither the length nor the
/// content of a key leaks through timing.
/// </summary>
internal sealed class StaticKeyAuthenticator
{
    /// <summary>Longest presented value compared (the bearer limit of gateway.md §6 is 4 KiB).</summary>
    private const int MaxPresentedBytes = 4096;

    private readonly byte[] _hmacKey = RandomNumberGenerator.GetBytes(32);
    private readonly (byte[] Mac, ResolvedPrincipal Principal)[] _keys;

    public StaticKeyAuthenticator(IOptions<GatewayAuthOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Value;
        _keys = !settings.StaticKeyEnabled
            ? []
            : new[] { settings.StaticKey, settings.NextStaticKey }
                .Where(k => !string.IsNullOrEmpty(k))
                .Select(k => (Mac(Encoding.UTF8.GetBytes(k!)), ResolvedPrincipal.Create(GatewayIdentity.StaticKey(Fingerprint(k!)), null)!))
                .ToArray();
    }

    /// <summary>False when <c>Gateway:StaticKeyEnabled</c> is false (or no key is configured).</summary>
    public bool Enabled => _keys.Length > 0;

    /// <summary>The first 8 lowercase hex characters of SHA-256(<paramref name="key"/>): the static-key principal's id.</summary>
    public static string Fingerprint(string key) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..8];

    /// <summary>The static-key principal when <paramref name="presented"/> is one of the keys; otherwise null.</summary>
    public ResolvedPrincipal? Match(string presented)
    {
        if (_keys.Length == 0 || presented.Length > MaxPresentedBytes)
        {
            return null;
        }

        Span<byte> bytes = stackalloc byte[Encoding.UTF8.GetMaxByteCount(presented.Length)];
        var length = Encoding.UTF8.GetBytes(presented, bytes);
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_hmacKey, bytes[..length], mac);
        ResolvedPrincipal? match = null;
        foreach (var (keyMac, principal) in _keys)
        {
            // No early exit: both keys are always compared.
            if (CryptographicOperations.FixedTimeEquals(mac, keyMac))
            {
                match = principal;
            }
        }

        return match;
    }

    private byte[] Mac(byte[] value) => HMACSHA256.HashData(_hmacKey, value);
}

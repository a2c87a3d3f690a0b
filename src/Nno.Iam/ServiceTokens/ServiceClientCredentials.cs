using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nno.ServiceDefaults.Security;

namespace Nno.Iam.ServiceTokens;

/// <summary>
/// Checks a presented client secret against the configured one (iam.md §4.8): both are HMAC-SHA256'd with a key drawn
/// at random per process and compared with <see cref="CryptographicOperations.FixedTimeEquals"/>, so neither timing nor
/// length reveals anything about the secret. The secrets themselves are not kept.
/// </summary>
internal sealed class ServiceClientCredentials
{
    private readonly byte[] _macKey = RandomNumberGenerator.GetBytes(32);
    private readonly byte[] _unmatchable = RandomNumberGenerator.GetBytes(32);
    private readonly Dictionary<string, byte[]> _expected = new(StringComparer.Ordinal);

    public ServiceClientCredentials(IOptions<ServiceClientOptions> options)
    {
        var configured = options.Value.ServiceClients;
        var missing = new List<string>();
        foreach (var service in ServiceTokenProtocol.ClientServices)
        {
            if (configured.TryGetValue(service, out var secret) && secret is { Length: >= ServiceClientOptions.MinimumSecretLength })
            {
                _expected[service] = Mac(secret);
            }
            else
            {
                missing.Add(service);
            }
        }

        ServicesWithoutSecret = missing;
    }

    /// <summary>Client services with no usable secret: they cannot obtain tokens.</summary>
    public IReadOnlyList<string> ServicesWithoutSecret { get; }

    /// <summary>True when <paramref name="presented"/> is <paramref name="service"/>'s secret.</summary>
    public bool Verify(string service, string? presented)
    {
        var known = _expected.TryGetValue(service, out var expected);
        // Compute and compare even when nothing can match, so unknown or unconfigured services take the same time.
        var equal = CryptographicOperations.FixedTimeEquals(Mac(presented ?? string.Empty), known ? expected! : _unmatchable);
        return equal && known && presented is not null;
    }

    private byte[] Mac(string value) => HMACSHA256.HashData(_macKey, Encoding.UTF8.GetBytes(value));
}

/// <summary>Says at start which services cannot obtain tokens (never the secrets).</summary>
internal sealed class ServiceClientCredentialsReport(ServiceClientCredentials credentials, ILogger<ServiceClientCredentialsReport> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (credentials.ServicesWithoutSecret.Count > 0)
        {
            logger.LogWarning("No usable client secret (Iam:ServiceClients:<service>, at least {Length} characters) for: {Services}; these services cannot obtain service tokens",
                ServiceClientOptions.MinimumSecretLength, string.Join(", ", credentials.ServicesWithoutSecret));
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Nno.Gateway.Authentication;

/// <summary>
/// How the gateway authenticates callers (gateway.md §2, §4.3): the static service keys <c>AUTH_API_KEY</c> and
/// <c>AUTH_API_KEY_NEXT</c> (top-level variables), <c>Gateway:StaticKeyEnabled</c>, the credential caches
/// (<c>Gateway:Caches:*</c>) and the IAM call timeout (<c>Gateway:Timeouts:IamCall</c>).
/// </summary>
internal sealed class GatewayAuthOptions
{
    public const string StaticKeyVariable = "AUTH_API_KEY";
    public const string NextStaticKeyVariable = "AUTH_API_KEY_NEXT";

    /// <summary>Set by the all-in-one host when it generated the static key into a file; only this path is logged.</summary>
    public const string StaticKeyFileKey = "Gateway:StaticKeyFile";

    public const int MinStaticKeyLength = 32;

    public bool StaticKeyEnabled { get; set; } = true;

    public string? StaticKey { get; set; }

    public string? NextStaticKey { get; set; }

    public string? StaticKeyFile { get; set; }

    /// <summary>Time limit of one session-validation or API-key-verify call to IAM (gateway.md §4.3: 5 s).</summary>
    public TimeSpan IamCallTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Positive credential cache: entry bound and longest lifetime (gateway.md §2: 100,000, 30 s).</summary>
    public CacheLimits Credentials { get; } = new() { SizeLimit = 100_000, Ttl = TimeSpan.FromSeconds(30) };

    /// <summary>Negative credential cache (gateway.md §2: 20,000, 5 s).</summary>
    public CacheLimits NegativeCredentials { get; } = new() { SizeLimit = 20_000, Ttl = TimeSpan.FromSeconds(5) };

    /// <summary>Reads the settings from <paramref name="configuration"/>.</summary>
    public void Read(IConfiguration configuration)
    {
        StaticKeyEnabled = configuration.GetValue("Gateway:StaticKeyEnabled", StaticKeyEnabled);
        StaticKey = NullIfEmpty(configuration[StaticKeyVariable]);
        NextStaticKey = NullIfEmpty(configuration[NextStaticKeyVariable]);
        StaticKeyFile = NullIfEmpty(configuration[StaticKeyFileKey]);
        IamCallTimeout = configuration.GetValue("Gateway:Timeouts:IamCall", IamCallTimeout);
        configuration.GetSection("Gateway:Caches:Credentials").Bind(Credentials);
        configuration.GetSection("Gateway:Caches:NegativeCredentials").Bind(NegativeCredentials);
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}

/// <summary>Bound and lifetime of one cache (<c>Gateway:Caches:&lt;name&gt;:SizeLimit|Ttl</c>).</summary>
internal sealed class CacheLimits
{
    public long SizeLimit { get; set; }

    public TimeSpan Ttl { get; set; }
}

/// <summary>Refuses to start without a usable static key while it is enabled, and with non-positive cache settings.</summary>
internal sealed class GatewayAuthOptionsValidator : IValidateOptions<GatewayAuthOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayAuthOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.StaticKeyEnabled)
        {
            if (options.StaticKey is null)
            {
                failures.Add($"{GatewayAuthOptions.StaticKeyVariable} is required while Gateway:StaticKeyEnabled is true (the all-in-one host generates it in local); set it (>= {GatewayAuthOptions.MinStaticKeyLength} characters) or set Gateway:StaticKeyEnabled=false.");
            }
            else if (options.StaticKey.Length < GatewayAuthOptions.MinStaticKeyLength)
            {
                failures.Add($"{GatewayAuthOptions.StaticKeyVariable} must be at least {GatewayAuthOptions.MinStaticKeyLength} characters.");
            }

            if (options.NextStaticKey is { Length: < GatewayAuthOptions.MinStaticKeyLength })
            {
                failures.Add($"{GatewayAuthOptions.NextStaticKeyVariable} must be at least {GatewayAuthOptions.MinStaticKeyLength} characters.");
            }
        }

        if (options.IamCallTimeout <= TimeSpan.Zero)
        {
            failures.Add("Gateway:Timeouts:IamCall must be positive.");
        }

        foreach (var (section, limits) in new[] { ("Credentials", options.Credentials), ("NegativeCredentials", options.NegativeCredentials) })
        {
            if (limits.SizeLimit <= 0)
            {
                failures.Add($"Gateway:Caches:{section}:SizeLimit must be positive.");
            }

            if (limits.Ttl <= TimeSpan.Zero)
            {
                failures.Add($"Gateway:Caches:{section}:Ttl must be positive.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

using Microsoft.Extensions.Configuration;
using Nno.Core.Ids;

namespace Nno.Registry.Data;

/// <summary>
/// Registry ids (registry.md §2): 10-character <c>[a-z0-9]</c> platform, entity and stack ids, and prefixed ids
/// <c>{prefix}_</c> + 16 characters. Characters come from <see cref="IIdGenerator"/> (cryptographically random in
/// production); the platform generator never issues IAM's operator platform id (<c>Iam:OperatorPlatformId</c>).
/// </summary>
internal sealed class RegistryIds(IIdGenerator generator, IConfiguration configuration)
{
    public const string LifecycleEvent = "ple";
    public const string Audit = "aud";
    public const string Outbox = "obx";
    public const string Resource = "res";
    public const string DnsRecord = "dns";
    public const string CustomDomain = "dom";
    public const string Secret = "sec";
    public const string FeatureActivation = "fa";
    public const string Onboarding = "onb";

    /// <summary>Length of the random part of a Registry prefixed id.</summary>
    public const int PrefixedBodyLength = 16;

    private readonly string _operatorPlatformId = configuration["Iam:OperatorPlatformId"] is { Length: > 0 } configured ? configured : IdFormat.OperatorPlatformId;

    /// <summary>A new platform id, never the operator platform's.</summary>
    public string NewPlatformId()
    {
        while (true)
        {
            var id = generator.NewId();
            if (!string.Equals(id, _operatorPlatformId, StringComparison.Ordinal))
            {
                return id;
            }
        }
    }

    public string NewEntityId() => generator.NewId();

    public string NewStackId() => generator.NewId();

    /// <summary>
    /// A new <c>{prefix}_</c> + 16-character id. Core's prefixed ids carry 20 random characters; the first 16 of them are
    /// just as uniformly random, so cutting keeps the distribution.
    /// </summary>
    public string New(string prefix) => generator.NewPrefixedId(prefix)[..(prefix.Length + 1 + PrefixedBodyLength)];

    /// <summary>True for a well-formed Registry prefixed id of <paramref name="prefix"/>.</summary>
    public static bool IsPrefixed(string? value, string prefix)
    {
        if (value is null || value.Length != prefix.Length + 1 + PrefixedBodyLength || !value.StartsWith(prefix + "_", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var c in value.AsSpan(prefix.Length + 1))
        {
            if (!IdFormat.Alphabet.Contains(c, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}

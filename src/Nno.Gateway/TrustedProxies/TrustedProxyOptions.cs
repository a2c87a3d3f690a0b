using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Nno.Gateway.Pipeline;

namespace Nno.Gateway.TrustedProxies;

/// <summary>
/// The proxies whose <c>X-Forwarded-For</c> the gateway believes (gateway.md §2 <c>Gateway:TrustedProxies</c>, §4.1 step 1):
/// CIDRs, IPv4 or IPv6 (a bare address is its own /32 or /128). Empty by default: the socket address is the client IP.
/// Read from a list (<c>Gateway:TrustedProxies:0</c>, <c>:1</c> …) or one comma-separated value (convenient in an
/// environment variable).
/// </summary>
internal sealed class TrustedProxyOptions
{
    public const string Key = "Gateway:TrustedProxies";

    /// <summary>The entries as configured.</summary>
    public IReadOnlyList<string> Entries { get; set; } = [];

    /// <summary>The parsed networks; entries that do not parse are left out (the validator refuses them at start).</summary>
    public List<IPNetwork> ParseNetworks()
    {
        var networks = new List<IPNetwork>(Entries.Count);
        foreach (var entry in Entries)
        {
            if (TryParse(entry, out var network))
            {
                networks.Add(network);
            }
        }

        return networks;
    }

    public void Read(IConfiguration configuration) => Entries = ConfigurationList.Read(configuration.GetSection(Key)) ?? [];

    /// <summary>Parses <c>address/prefix</c> or a bare address; false for anything else, host bits set after the prefix included.</summary>
    public static bool TryParse(string entry, out IPNetwork network)
    {
        var text = entry.Trim();
        if (!text.Contains('/', StringComparison.Ordinal) && IPAddress.TryParse(text, out var address))
        {
            network = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }

        // The base address must be the network's own: 10.0.0.1/8 is more likely a typo for /32 than a wish to trust a /8.
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        return IPNetwork.TryParse(text, out network)
            && slash > 0
            && IPAddress.TryParse(text.AsSpan(0, slash), out var written)
            && written.Equals(network.BaseAddress);
    }
}

/// <summary>Refuses to start with an entry of <c>Gateway:TrustedProxies</c> that is not a CIDR.</summary>
internal sealed class TrustedProxyOptionsValidator : IValidateOptions<TrustedProxyOptions>
{
    public ValidateOptionsResult Validate(string? name, TrustedProxyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = options.Entries
            .Where(e => !TrustedProxyOptions.TryParse(e, out _))
            .Select(e => $"{TrustedProxyOptions.Key}: '{e}' is not a CIDR (address/prefix length, e.g. 10.0.0.0/8 or fd00::/8, with no bits set after the prefix).")
            .ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

using System.Globalization;
using Nno.Core.Environments;
using Nno.Core.Ids;
using Nno.Core.Naming;

namespace Nno.Registry.Objects;

/// <summary>
/// The hostname rules of registry.md §3.2 and §6: lower-case ASCII, at most 253 characters, at least two labels of
/// <c>[a-z0-9-]{1,63}</c> without edge hyphens, IDNs only as valid <c>xn--</c> punycode, no IP literal, no <c>*</c>. An NNO
/// hostname (<c>custom_hostname</c>) is exactly <c>&lt;name&gt;.&lt;type&gt;.[stg.|dev.]&lt;stackId&gt;.&lt;platformId&gt;.&lt;platform domain&gt;</c>;
/// a customer domain lies under neither the platform nor the core domain.
/// </summary>
internal static class HostnameRules
{
    private static readonly IdnMapping Idn = new() { AllowUnassigned = false, UseStd3AsciiRules = true };

    /// <summary>What is wrong with <paramref name="hostname"/> as any hostname; null when it is fine.</summary>
    public static string? Problem(string? hostname)
    {
        if (Hostnames.Problem(hostname) is { } problem)
        {
            return problem + " (lower-case a-z, 0-9 and '-' labels; Unicode names as xn-- punycode; no '*')";
        }

        var labels = hostname!.Split('.');
        if (labels.Length < 2)
        {
            return "must have at least two labels";
        }

        if (labels[^1].All(char.IsAsciiDigit))
        {
            return "must be a name, not an IP address";
        }

        foreach (var label in labels)
        {
            if (label.StartsWith("xn--", StringComparison.Ordinal) && !IsPunycode(label))
            {
                return $"has the label {label}, which is not valid punycode";
            }
        }

        return null;
    }

    /// <summary>
    /// The stack id of an NNO hostname of platform <paramref name="platformId"/> in <paramref name="environment"/>, or null
    /// when <paramref name="hostname"/> does not have that exact shape.
    /// </summary>
    public static string? PlatformHostnameStack(HostnameBuilder hostnames, string hostname, string platformId, NnoEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(hostnames);
        var tail = "." + platformId + "." + hostnames.PlatformDomain;
        if (!hostname.EndsWith(tail, StringComparison.Ordinal))
        {
            return null;
        }

        var head = hostname[..^tail.Length];
        var dot = head.LastIndexOf('.');
        var stackId = dot < 0 ? null : head[(dot + 1)..];
        return IdFormat.IsStackId(stackId) && hostnames.IsPlatformHostname(hostname, stackId!, platformId, environment) ? stackId : null;
    }

    private static bool IsPunycode(string label)
    {
        try
        {
            var unicode = Idn.GetUnicode(label);
            return !string.Equals(unicode, label, StringComparison.Ordinal) && string.Equals(Idn.GetAscii(unicode), label, StringComparison.Ordinal);
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}

using Nno.Core.Environments;
using Nno.Core.Errors;
using Nno.Core.Ids;

namespace Nno.Core.Naming;

/// <summary>
/// Builds NNO's hostnames (00-system §8) from the two configured base domains: NNO core
/// <c>&lt;name&gt;.&lt;type&gt;[.stg|.dev].&lt;coreDomain&gt;</c> and customer platforms
/// <c>&lt;name&gt;.&lt;type&gt;[.stg|.dev].&lt;stackId&gt;.&lt;platformId&gt;.&lt;platformDomain&gt;</c>
/// (for example <c>auth.svc.default.k3m9p2xw7q.nno.run</c>). <c>prod</c> and <c>local</c> insert no environment label.
/// </summary>
/// <remarks>
/// The two domains must be disjoint: code customers deploy must never be same-site with NNO's own console and API, so a
/// platform domain equal to or under the core domain (or the reverse) is refused.
/// </remarks>
public sealed class HostnameBuilder
{
    /// <summary>Default of <c>Nno:CoreDomain</c>.</summary>
    public const string DefaultCoreDomain = "nno.app";

    /// <summary>Default of <c>Nno:PlatformDomain</c>.</summary>
    public const string DefaultPlatformDomain = "nno.run";

    /// <summary>Creates a builder; throws <see cref="ArgumentException"/> when the domains are invalid or overlap (a configuration error).</summary>
    public HostnameBuilder(string coreDomain, string platformDomain)
    {
        if (DomainProblem(coreDomain, platformDomain) is { } problem)
        {
            throw new ArgumentException(problem, nameof(platformDomain));
        }

        CoreDomain = coreDomain;
        PlatformDomain = platformDomain;
    }

    /// <summary>NNO's own base domain (<c>Nno:CoreDomain</c>).</summary>
    public string CoreDomain { get; }

    /// <summary>Customer platforms' base domain (<c>Nno:PlatformDomain</c>).</summary>
    public string PlatformDomain { get; }

    /// <summary>
    /// What is wrong with this pair of base domains, for start-up options validation; null when they are usable.
    /// </summary>
    public static string? DomainProblem(string? coreDomain, string? platformDomain)
    {
        if (Hostnames.Problem(coreDomain) is { } core)
        {
            return $"The core domain \"{coreDomain}\" {core}.";
        }

        if (Hostnames.Problem(platformDomain) is { } platform)
        {
            return $"The platform domain \"{platformDomain}\" {platform}.";
        }

        if (Hostnames.IsSameOrUnder(platformDomain!, coreDomain!) || Hostnames.IsSameOrUnder(coreDomain!, platformDomain!))
        {
            return $"The platform domain \"{platformDomain}\" and the core domain \"{coreDomain}\" must be separate sites: " +
                "neither may equal or lie under the other, so customer code is never same-site with NNO's console and API.";
        }

        return null;
    }

    /// <summary>An NNO core hostname <c>&lt;name&gt;.&lt;type&gt;[.stg|.dev].&lt;coreDomain&gt;</c>.</summary>
    public string Core(string name, string type, NnoEnvironment environment) =>
        Compose([name, type, environment.HostnameLabel()], CoreDomain);

    /// <summary>A customer platform hostname <c>&lt;name&gt;.&lt;type&gt;[.stg|.dev].&lt;stackId&gt;.&lt;platformId&gt;.&lt;platformDomain&gt;</c>.</summary>
    public string Platform(string name, string type, string stackId, string platformId, NnoEnvironment environment)
    {
        RequireIds(stackId, platformId);
        return Compose([name, type, environment.HostnameLabel(), stackId, platformId], PlatformDomain);
    }

    /// <summary>The platform's auth Worker: <c>auth.svc[.stg|.dev].default.{platformId}.{platformDomain}</c>.</summary>
    public string PlatformAuth(string platformId, NnoEnvironment environment) =>
        Platform("auth", "svc", IdFormat.DefaultStackId, platformId, environment);

    /// <summary>The platform's console (shell): <c>console.app[.stg|.dev].default.{platformId}.{platformDomain}</c>.</summary>
    public string PlatformConsole(string platformId, NnoEnvironment environment) =>
        Platform("console", "app", IdFormat.DefaultStackId, platformId, environment);

    /// <summary>A feature Worker: <c>{featureId}.svc[.stg|.dev].{stackId}.{platformId}.{platformDomain}</c>.</summary>
    public string Feature(string featureId, string stackId, string platformId, NnoEnvironment environment) =>
        Platform(featureId, "svc", stackId, platformId, environment);

    /// <summary>True when <paramref name="hostname"/> is, or lies under, the core or the platform domain (customer custom domains may not).</summary>
    public bool IsUnderReservedDomain(string hostname) =>
        Hostnames.IsSameOrUnder(hostname, CoreDomain) || Hostnames.IsSameOrUnder(hostname, PlatformDomain);

    /// <summary>
    /// True when <paramref name="hostname"/> has exactly the shape of <see cref="Platform"/> for this platform, stack and
    /// environment (any valid name and type labels): how reported hostnames are checked before they are stored.
    /// </summary>
    public bool IsPlatformHostname(string? hostname, string stackId, string platformId, NnoEnvironment environment)
    {
        if (!Hostnames.IsValid(hostname))
        {
            return false;
        }

        var envLabel = environment.HostnameLabel();
        var tail = (envLabel is null ? "" : "." + envLabel) + "." + stackId + "." + platformId + "." + PlatformDomain;
        if (!hostname!.EndsWith(tail, StringComparison.Ordinal))
        {
            return false;
        }

        // What remains must be exactly "<name>.<type>".
        var head = hostname.AsSpan(0, hostname.Length - tail.Length);
        var dot = head.IndexOf('.');
        return dot > 0 && head[(dot + 1)..].IndexOf('.') < 0 && dot < head.Length - 1;
    }

    private static void RequireIds(string stackId, string platformId)
    {
        if (!IdFormat.IsStackId(stackId))
        {
            throw ApiException.Validation("stackId", "must be a 10-character id [a-z0-9] or 'default'");
        }

        if (!IdFormat.IsPlatformId(platformId))
        {
            throw ApiException.Validation("platformId", "must be a 10-character id [a-z0-9]");
        }
    }

    private static string Compose(ReadOnlySpan<string?> labels, string domain)
    {
        var parts = new List<string>(labels.Length + 1);
        foreach (var label in labels)
        {
            if (label is null)
            {
                continue;
            }

            if (Hostnames.LabelProblem(label) is { } problem)
            {
                throw ApiException.Validation("hostname", $"label \"{label}\" {problem}");
            }

            parts.Add(label);
        }

        parts.Add(domain);
        var hostname = string.Join('.', parts);
        return hostname.Length <= Hostnames.MaxLength
            ? hostname
            : throw ApiException.Validation("hostname", $"must be at most {Hostnames.MaxLength} characters");
    }
}

using Microsoft.Extensions.Options;
using Nno.Core.Environments;
using Nno.Core.Naming;
using Nno.ServiceDefaults.Hosting;

namespace Nno.Provisioning.Cloudflare;

/// <summary>
/// The deterministic names of provisioning.md §4.2 for one platform environment (callers never supply Cloudflare
/// names). Built on <see cref="ResourceNames"/> and <see cref="HostnameBuilder"/> of Nno.Core, so a derived name over
/// 63 characters or outside <c>[a-z0-9-]</c> is a 400 <c>VALIDATION_ERROR</c>.
/// </summary>
public sealed class CloudflareNames
{
    private readonly HostnameBuilder _hostnames;

    /// <summary>Names under the configured domains (<c>Nno:CoreDomain</c>, <c>Nno:PlatformDomain</c>).</summary>
    public CloudflareNames(IOptions<NnoOptions> options)
        : this(new HostnameBuilder((options ?? throw new ArgumentNullException(nameof(options))).Value.CoreDomain, options.Value.PlatformDomain))
    {
    }

    /// <summary>Names under the domains of <paramref name="hostnames"/>.</summary>
    public CloudflareNames(HostnameBuilder hostnames) => _hostnames = hostnames;

    /// <summary>The platform domain (<c>{base}</c>).</summary>
    public string PlatformDomain => _hostnames.PlatformDomain;

    /// <summary>Auth Worker <c>{pid}-default-auth{sfx}</c>.</summary>
    public static string AuthWorker(string platformId, PlatformEnvironment environment) =>
        ResourceNames.AuthWorker(platformId, environment.ToNnoEnvironment());

    /// <summary>Auth D1 <c>{pid}-default-auth-db{sfx}</c>.</summary>
    public static string AuthDatabase(string platformId, PlatformEnvironment environment) =>
        ResourceNames.AuthDatabase(platformId, environment.ToNnoEnvironment());

    /// <summary>Stack D1 <c>{pid}-{sid}-db{sfx}</c>.</summary>
    public static string StackDatabase(string platformId, string stackId, PlatformEnvironment environment) =>
        ResourceNames.StackDatabase(platformId, stackId, environment.ToNnoEnvironment());

    /// <summary>Stack R2 bucket <c>{pid}-{sid}-storage{sfx}</c>.</summary>
    public static string StackStorage(string platformId, string stackId, PlatformEnvironment environment) =>
        ResourceNames.StackStorage(platformId, stackId, environment.ToNnoEnvironment());

    /// <summary>Stack KV namespace <c>{pid}-{sid}-kv{sfx}</c>.</summary>
    public static string StackKv(string platformId, string stackId, PlatformEnvironment environment) =>
        ResourceNames.StackKv(platformId, stackId, environment.ToNnoEnvironment());

    /// <summary>Stack queue <c>{pid}-{sid}-queue{sfx}</c>.</summary>
    public static string StackQueue(string platformId, string stackId, PlatformEnvironment environment) =>
        ResourceNames.StackQueue(platformId, stackId, environment.ToNnoEnvironment());

    /// <summary>Feature Worker <c>{pid}-{sid}-{fid}{sfx}</c>.</summary>
    public static string FeatureWorker(string platformId, string stackId, string featureId, PlatformEnvironment environment) =>
        ResourceNames.FeatureWorker(platformId, stackId, featureId, environment.ToNnoEnvironment());

    /// <summary>Shell Pages project <c>{pid}-{env}-portal</c>.</summary>
    public static string PagesProject(string platformId, PlatformEnvironment environment) =>
        ResourceNames.PagesProject(platformId, environment.ToNnoEnvironment());

    /// <summary><c>auth.svc.{inf}default.{pid}.{base}</c>.</summary>
    public string AuthHostname(string platformId, PlatformEnvironment environment) =>
        _hostnames.PlatformAuth(platformId, environment.ToNnoEnvironment());

    /// <summary><c>console.app.{inf}default.{pid}.{base}</c>.</summary>
    public string ConsoleHostname(string platformId, PlatformEnvironment environment) =>
        _hostnames.PlatformConsole(platformId, environment.ToNnoEnvironment());

    /// <summary><c>{fid}.svc.{inf}{sid}.{pid}.{base}</c>.</summary>
    public string FeatureHostname(string featureId, string stackId, string platformId, PlatformEnvironment environment) =>
        _hostnames.Feature(featureId, stackId, platformId, environment.ToNnoEnvironment());

    /// <summary>The auth Worker's public base URL <c>https://auth.svc.{inf}default.{pid}.{base}</c> (AUTH_BASE_URL / AUTH_URL).</summary>
    public string AuthBaseUrl(string platformId, PlatformEnvironment environment) => "https://" + AuthHostname(platformId, environment);

    /// <summary>The zone route pattern of a hostname: <c>{h}/*</c>.</summary>
    public static string RoutePattern(string hostname)
    {
        ArgumentException.ThrowIfNullOrEmpty(hostname);
        return hostname + "/*";
    }
}

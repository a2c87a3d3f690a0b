using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Nno.Gateway.Pipeline;
using Nno.ServiceDefaults.Hosting;

namespace Nno.Gateway.Cors;

/// <summary>
/// CORS settings (gateway.md §2 <c>Gateway:Cors:AllowedOrigins</c>, §4.11): exact origins (scheme, host, port), as a list
/// (<c>Gateway:Cors:AllowedOrigins:0</c> …) or one comma-separated value; when unset, the console origins of the
/// environment. An empty value allows no origin. <c>Gateway:Cors:MaxAgeSeconds</c> is the preflight cache lifetime.
/// </summary>
internal sealed class GatewayCorsOptions
{
    public const string Section = "Gateway:Cors";
    public const string AllowedOriginsKey = Section + ":AllowedOrigins";

    /// <summary>The local console (Vite dev server) origins.</summary>
    public static readonly string[] LocalOrigins = ["http://localhost:5174", "http://127.0.0.1:5174"];

    /// <summary>The allowed origins as configured (or the environment's defaults).</summary>
    public IReadOnlyList<string> AllowedOrigins { get; set; } = [];

    /// <summary><c>Access-Control-Max-Age</c> of a successful preflight (gateway.md §4.11: 600 s).</summary>
    public int MaxAgeSeconds { get; set; } = 600;

    /// <summary>Customer platforms' base domain (<c>Nno:PlatformDomain</c>); no origin may lie under it.</summary>
    public string PlatformDomain { get; set; } = "";

    public void Read(IConfiguration configuration, NnoOptions nno)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(nno);
        AllowedOrigins = ConfigurationList.Read(configuration.GetSection(AllowedOriginsKey)) ?? Defaults(nno.Environment, nno.CoreDomain);
        MaxAgeSeconds = configuration.GetValue(Section + ":MaxAgeSeconds", MaxAgeSeconds);
        PlatformDomain = nno.PlatformDomain;
    }

    /// <summary>The console origins of <paramref name="environment"/> (gateway.md §2), under <paramref name="coreDomain"/>.</summary>
    public static IReadOnlyList<string> Defaults(string environment, string coreDomain) => environment switch
    {
        "local" => LocalOrigins,
        "dev" => [$"https://console.app.dev.{coreDomain}", .. LocalOrigins],
        "stg" => [$"https://console.app.stg.{coreDomain}"],
        "prod" => [$"https://console.app.{coreDomain}", $"https://console.{coreDomain}"],
        _ => [],
    };
}

/// <summary>
/// Refuses to start with an allowed origin that is not an exact http(s) origin (a wildcard, a path, user info, <c>null</c>)
/// or that lies under <c>Nno:PlatformDomain</c>: code customers deploy there must never be trusted by the API.
/// </summary>
internal sealed class GatewayCorsOptionsValidator : IValidateOptions<GatewayCorsOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayCorsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var platformDomain = options.PlatformDomain.Trim().TrimEnd('.').ToLowerInvariant();
        foreach (var entry in options.AllowedOrigins)
        {
            if (CorsOrigin.Normalise(entry, out _, out var host) is { } problem)
            {
                failures.Add($"{GatewayCorsOptions.AllowedOriginsKey}: '{entry}' {problem}.");
            }
            else if (platformDomain.Length > 0
                && (host == platformDomain || host.EndsWith("." + platformDomain, StringComparison.Ordinal)))
            {
                failures.Add($"{GatewayCorsOptions.AllowedOriginsKey}: '{entry}' lies under Nno:PlatformDomain ({platformDomain}), where customer code runs; it can never be an allowed origin.");
            }
        }

        if (options.MaxAgeSeconds < 0)
        {
            failures.Add($"{GatewayCorsOptions.Section}:MaxAgeSeconds must not be negative.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

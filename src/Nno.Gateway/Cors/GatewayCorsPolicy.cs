using System.Collections.Frozen;
using System.Globalization;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Nno.Gateway.Cors;

/// <summary>The allowed origins, normalised once, and the fixed header values of gateway.md §4.11.</summary>
internal sealed class GatewayCorsPolicy
{
    /// <summary>Methods a preflight may ask for; anything else (lower-case <c>patch</c> included) is refused.</summary>
    public const string AllowedMethods = "GET, HEAD, POST, PUT, PATCH, DELETE";

    public const string AllowedHeaders = "Authorization, Content-Type, Idempotency-Key, X-Request-Id, X-Trace-Id, traceparent, tracestate";

    public const string ExposedHeaders = "X-Request-Id, X-Trace-Id, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After, Location";

    private static readonly FrozenSet<string> PreflightMethods =
        FrozenSet.Create(StringComparer.Ordinal, "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE");

    private readonly FrozenSet<string> _origins;

    public GatewayCorsPolicy(IOptions<GatewayCorsOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Value;
        var origins = new List<string>(settings.AllowedOrigins.Count);
        foreach (var entry in settings.AllowedOrigins)
        {
            if (CorsOrigin.Normalise(entry, out var origin, out _) is null)
            {
                origins.Add(origin);
            }
        }

        _origins = origins.ToFrozenSet(StringComparer.Ordinal);
        MaxAge = settings.MaxAgeSeconds.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The <c>Access-Control-Max-Age</c> value.</summary>
    public string MaxAge { get; }

    /// <summary>The allowed origin equal to <paramref name="origin"/> (the stored instance, so nothing is allocated), else null.</summary>
    public string? Match(StringValues origin) =>
        origin.Count == 1 && origin[0] is { } value && _origins.TryGetValue(value, out var allowed) ? allowed : null;

    /// <summary>Whether a preflight may ask for <paramref name="method"/> (exact, case-sensitive: methods are).</summary>
    public static bool IsAllowedMethod(StringValues method) =>
        method.Count == 1 && method[0] is { } value && PreflightMethods.Contains(value);
}

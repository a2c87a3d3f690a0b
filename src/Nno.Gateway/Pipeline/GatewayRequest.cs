using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Nno.Gateway.Routing;

namespace Nno.Gateway.Pipeline;

/// <summary>
/// What the gateway learns about one request as it passes the pipeline (gateway.md §4.1): set by the first gateway
/// middleware, filled by the later steps and the forwarding transforms, read by the access log at completion.
/// </summary>
internal sealed class GatewayRequest(long startTimestamp, string? clientIp) : Nno.ServiceDefaults.Limits.IRequestBodyObserver
{
    public long StartTimestamp { get; } = startTimestamp;

    /// <summary>The resolved client IP (the socket address until trusted-proxy handling replaces it).</summary>
    public string? ClientIp { get; set; } = clientIp;

    /// <summary>The matched routing-table row; null for the gateway's own endpoints and rejected paths.</summary>
    public GatewayRoute? Route { get; set; }

    /// <summary>True for the gateway's own endpoints (<c>/health</c>, <c>/health/ready</c>, <c>/openapi/v1.json</c>).</summary>
    public bool IsOwnEndpoint { get; set; }

    /// <summary>The authenticated caller (gateway.md §4.3); null until authentication ran (own endpoints, rejected requests).</summary>
    public Authentication.ResolvedPrincipal? Identity { get; set; }

    /// <summary>How the caller was authenticated: <c>anonymous</c>, <c>session</c>, <c>apikey</c> or <c>service</c>.</summary>
    public string Principal => Identity?.Kind ?? Nno.Core.Identity.NnoIdentityHeaders.AuthKinds.Anonymous;

    /// <summary>
    /// The platform the request names in its path (gateway.md §4.6: <c>/api/v1/platforms/{pid}…</c> or
    /// <c>/api/v1/cli/{pid}…</c>); null when the route names none. Keys the status check and the <c>platform</c> bucket.
    /// </summary>
    public string? TargetPlatformId { get; set; }

    /// <summary>The target platform's tier from its status record (<c>starter</c> when unknown); null when not looked up.</summary>
    public string? TargetTier { get; set; }

    /// <summary>The request's <c>Origin</c> when it is an allowed CORS origin (gateway.md §4.11): the response carries the CORS headers.</summary>
    public string? AllowedOrigin { get; set; }

    /// <summary>The public route (gateway.md §3.3) the request is, or null.</summary>
    public Authentication.PublicRoute? PublicRoute { get; set; }

    /// <summary>The bucket the response's <c>RateLimit-*</c> headers report (gateway.md §4.7); null when no bucket applied.</summary>
    public RateLimiting.RateLimitResult? RateLimit { get; set; }

    /// <summary>
    /// True for a CORS preflight (<c>OPTIONS</c> with <c>Origin</c> and <c>Access-Control-Request-Method</c>): answered by
    /// the gateway, never authenticated, rate limited or forwarded (gateway.md §4.11).
    /// </summary>
    public bool IsPreflight { get; set; }

    /// <summary>The error code when the gateway itself produced the response.</summary>
    public string? ErrorCode { get; set; }

    /// <summary>Request body bytes read from the client.</summary>
    public long RequestBytes { get; set; }

    /// <summary>Set when the request body outgrew the route's limit while streaming.</summary>
    public bool BodyLimitExceeded { get; set; }

    void Nno.ServiceDefaults.Limits.IRequestBodyObserver.OnBodyRead(int bytes) => RequestBytes += bytes;

    void Nno.ServiceDefaults.Limits.IRequestBodyObserver.OnBodyLimitExceeded() => BodyLimitExceeded = true;

    public long UpstreamStartTimestamp { get; set; }

    /// <summary>The upstream's status code, once its response headers arrived.</summary>
    public int? UpstreamStatus { get; set; }

    /// <summary>Milliseconds from the start of forwarding until the upstream's response headers arrived.</summary>
    public double? UpstreamMs { get; set; }

    /// <summary>A failure the response transform found in an upstream response; written once forwarding returns.</summary>
    public GatewayFailure? Failure { get; set; }

    public void MarkUpstreamResponse(int status)
    {
        UpstreamStatus = status;
        UpstreamMs = Stopwatch.GetElapsedTime(UpstreamStartTimestamp).TotalMilliseconds;
    }
}

/// <summary>An error response the gateway owes the client instead of the upstream's response.</summary>
internal sealed record GatewayFailure(string Code, string Message, object? Details = null, int? RetryAfterSeconds = null)
{
    /// <summary>Headers the error response carries besides <c>Retry-After</c> (e.g. <c>Allow</c> on a 405).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];
}

/// <summary>Access to the request's <see cref="GatewayRequest"/>.</summary>
internal static class GatewayRequestExtensions
{
    public static GatewayRequest? GetGatewayRequest(this HttpContext context) => context.Features.Get<GatewayRequest>();
}

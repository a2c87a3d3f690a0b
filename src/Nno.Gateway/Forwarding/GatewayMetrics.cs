using System.Diagnostics.Metrics;
using Nno.ServiceDefaults;

namespace Nno.Gateway.Forwarding;

/// <summary>The gateway's own metrics on the <c>Nno</c> meter (gateway.md §4.12).</summary>
internal sealed class GatewayMetrics
{
    private readonly Counter<long> _upstreamErrors;
    private readonly Counter<long> _credentialCache;
    private readonly Counter<long> _rateLimited;

    public GatewayMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(NnoServiceDefaults.TelemetryName);
        _upstreamErrors = meter.CreateCounter<long>("nno_gateway_upstream_errors_total", description: "Upstream calls that failed, by service and kind.");
        _credentialCache = meter.CreateCounter<long>("nno_gateway_credential_cache_total", description: "Credential cache lookups, by credential kind and result.");
        _rateLimited = meter.CreateCounter<long>("nno_gateway_rate_limited_total", description: "Requests answered 429, by rejecting bucket.");
    }

    /// <summary>Counts one credential cache lookup; <paramref name="result"/> is one of <see cref="Authentication.CredentialCacheResult"/>.</summary>
    public void CredentialCache(Authentication.CredentialKind kind, string result) =>
        _credentialCache.Add(1, new KeyValuePair<string, object?>("kind", kind == Authentication.CredentialKind.Session ? "session" : "apikey"), new KeyValuePair<string, object?>("result", result));

    /// <summary>Counts one request rejected by <paramref name="bucket"/>.</summary>
    public void RateLimited(string bucket) => _rateLimited.Add(1, new KeyValuePair<string, object?>("bucket", bucket));

    /// <summary>Counts one failed upstream call; <paramref name="kind"/> is one of <see cref="UpstreamErrorKind"/>.</summary>
    public void UpstreamError(string service, string kind) =>
        _upstreamErrors.Add(1, new KeyValuePair<string, object?>("service", service), new KeyValuePair<string, object?>("kind", kind));
}

/// <summary>The <c>kind</c> label of <c>nno_gateway_upstream_errors_total</c>.</summary>
internal static class UpstreamErrorKind
{
    /// <summary>The upstream could not be reached (refused, DNS, connect timeout, not running in this process).</summary>
    public const string Connect = "connect";

    /// <summary>No response headers within the route's timeout.</summary>
    public const string Timeout = "timeout";

    /// <summary>Reset, malformed response or invalid headers before the response started.</summary>
    public const string BadResponse = "bad_response";

    /// <summary>A 5xx without the error envelope.</summary>
    public const string Invalid5xx = "invalid_5xx";

    /// <summary>The response body failed after the headers were sent (connection aborted).</summary>
    public const string ResponseBody = "response_body";

    /// <summary>Sending the request body upstream failed.</summary>
    public const string RequestBody = "request_body";
}

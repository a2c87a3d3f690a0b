using Nno.Sandbox.Faults;

namespace Nno.Sandbox.Cloudflare.Pipeline;

/// <summary>
/// The admin fault knobs (provisioning.md §5.1), as <c>GET/PUT /cloudflare/_admin/faults</c> reads and writes them.
/// A PUT replaces the whole set: a knob left out goes back to its configured default.
/// </summary>
public sealed record CloudflareFaultSettings
{
    /// <summary>Share of requests (0–1) answered <see cref="ErrorStatus"/> with code 10001 before the handler runs.</summary>
    public double ErrorRate { get; init; }

    /// <summary>500, 502 or 503.</summary>
    public int ErrorStatus { get; init; } = 500;

    /// <summary>Share of requests (0–1) answered 429 code 971 with <c>Retry-After: </c><see cref="RetryAfterSeconds"/>.</summary>
    public double RateLimitRate { get; init; }

    public int RetryAfterSeconds { get; init; } = 30;

    /// <summary>Added latency, uniformly between min and max milliseconds (on the emulator's clock).</summary>
    public LatencyRange? LatencyMs { get; init; }

    /// <summary>Share of requests (0–1) that run the handler, then lose their connection without an answer.</summary>
    public double DropResponseRate { get; init; }

    /// <summary>Scripted failures for the next matching requests, first match wins, each used <c>count</c> times.</summary>
    public IReadOnlyList<FailNextRule> FailNext { get; init; } = [];

    /// <summary>When set, the random knobs (latency, 429, error, drop) apply only to paths this regex matches.</summary>
    public string? PathRegex { get; init; }

    /// <summary>The real per-token limit (defaults from <c>Sandbox:Cloudflare:RateLimit</c>).</summary>
    public RateLimitKnob? RateLimit { get; init; }

    /// <summary>Forces S3 <c>ListObjectsV2</c> pages to at most this many keys (paging tests).</summary>
    public int? R2ListMaxKeys { get; init; }

    /// <summary>Seconds before custom hostnames and Pages domains read as active.</summary>
    public int? SslActivationDelaySeconds { get; init; }

    /// <summary>Seconds a Pages deployment takes.</summary>
    public int? PagesBuildSeconds { get; init; }

    /// <summary>Share of Pages deployments (0–1) that fail.</summary>
    public double PagesBuildFailureRate { get; init; }

    /// <summary>Seeds the random source of every random knob, so a run is repeatable.</summary>
    public int? Seed { get; init; }
}

/// <summary>Milliseconds of added latency.</summary>
public sealed record LatencyRange(int Min, int Max);

/// <summary>The real rate limit.</summary>
public sealed record RateLimitKnob(int Limit, int WindowSeconds, int BlockSeconds);

/// <summary>
/// A scripted failure: the next <see cref="Count"/> requests whose method (any when null) and path (regex, any when null)
/// match are answered <see cref="Status"/> with <see cref="Code"/> and <see cref="Message"/>.
/// </summary>
public sealed record FailNextRule : IFailNextRule
{
    public string? Method { get; init; }

    public string? PathRegex { get; init; }

    public int Status { get; init; } = 500;

    public int Code { get; init; } = 10001;

    public string? Message { get; init; }

    public int Count { get; init; } = 1;
}

using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Nno.Sandbox.Faults;

namespace Nno.Sandbox.Cloudflare.Pipeline;

/// <summary>
/// The fault knobs in force and the random source they draw from. Changes apply from the next request. Thread-safe.
/// </summary>
public sealed class CloudflareFaults
{
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(200);
    private readonly Lock _gate = new();
    private readonly CloudflareOptions _options;
    private CloudflareFaultSettings _settings = new();
    private Regex? _scope;
    private FailNextScript<FailNextRule> _failNext = new([], RegexTimeout);
    private Random _random = new();

    public CloudflareFaults(IOptions<CloudflareOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        Replace(new CloudflareFaultSettings());
    }

    /// <summary>The knobs in force, with defaults filled in and <c>failNext</c> counts as remaining.</summary>
    public CloudflareFaultSettings Current
    {
        get
        {
            lock (_gate)
            {
                return _settings with
                {
                    FailNext = _failNext.Remaining((rule, count) => rule with { Count = count }),
                };
            }
        }
    }

    /// <summary>The real rate limit in force.</summary>
    public RateLimitKnob RateLimit
    {
        get
        {
            lock (_gate)
            {
                return _settings.RateLimit!;
            }
        }
    }

    /// <summary>Seconds before custom hostnames and Pages domains read as active.</summary>
    public int SslActivationDelaySeconds
    {
        get
        {
            lock (_gate)
            {
                return _settings.SslActivationDelaySeconds!.Value;
            }
        }
    }

    /// <summary>Seconds a Pages deployment takes.</summary>
    public int PagesBuildSeconds
    {
        get
        {
            lock (_gate)
            {
                return _settings.PagesBuildSeconds!.Value;
            }
        }
    }

    /// <summary>The S3 list page cap, when set.</summary>
    public int? R2ListMaxKeys
    {
        get
        {
            lock (_gate)
            {
                return _settings.R2ListMaxKeys;
            }
        }
    }

    /// <summary>Checks <paramref name="settings"/>; returns the problem, or null when they are valid.</summary>
    public static string? Validate(CloudflareFaultSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        static bool Rate(double r) => r is >= 0 and <= 1 && !double.IsNaN(r);
        if (!Rate(settings.ErrorRate) || !Rate(settings.RateLimitRate) || !Rate(settings.DropResponseRate) || !Rate(settings.PagesBuildFailureRate))
        {
            return "errorRate, rateLimitRate, dropResponseRate and pagesBuildFailureRate must be between 0 and 1.";
        }

        if (settings.ErrorStatus is not (500 or 502 or 503))
        {
            return "errorStatus must be 500, 502 or 503.";
        }

        if (settings.RetryAfterSeconds is < 0 or > 86_400)
        {
            return "retryAfterSeconds must be from 0 to 86400.";
        }

        if (settings.LatencyMs is { } latency && (latency.Min < 0 || latency.Max < latency.Min || latency.Max > 120_000))
        {
            return "latencyMs needs 0 <= min <= max <= 120000.";
        }

        if (settings.RateLimit is { } limit && (limit.Limit < 1 || limit.WindowSeconds < 1 || limit.BlockSeconds < 0))
        {
            return "rateLimit needs limit >= 1, windowSeconds >= 1 and blockSeconds >= 0.";
        }

        if (settings.R2ListMaxKeys is < 1 or > 1000)
        {
            return "r2ListMaxKeys must be from 1 to 1000.";
        }

        if (settings.SslActivationDelaySeconds is < 0 || settings.PagesBuildSeconds is < 0)
        {
            return "sslActivationDelaySeconds and pagesBuildSeconds must not be negative.";
        }

        return FailNextScript<FailNextRule>.Validate(settings.FailNext, settings.PathRegex, RegexTimeout);
    }

    /// <summary>Puts <paramref name="settings"/> in force (validate first); missing knobs take their defaults.</summary>
    public void Replace(CloudflareFaultSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var limit = _options.RateLimit;
        var filled = settings with
        {
            RateLimit = settings.RateLimit ?? new RateLimitKnob(limit.Limit, limit.WindowSeconds, limit.BlockSeconds),
            SslActivationDelaySeconds = settings.SslActivationDelaySeconds ?? _options.SslActivationDelaySeconds,
            PagesBuildSeconds = settings.PagesBuildSeconds ?? _options.PagesBuildSeconds,
        };
        lock (_gate)
        {
            _settings = filled;
            _scope = filled.PathRegex is null ? null : new Regex(filled.PathRegex, RegexOptions.None, RegexTimeout);
            _failNext = new FailNextScript<FailNextRule>(filled.FailNext, RegexTimeout);
#pragma warning disable CA5394 // fault injection, not security: a seed makes a test run repeatable
            _random = filled.Seed is { } seed ? new Random(seed) : new Random();
#pragma warning restore CA5394
        }
    }

    /// <summary>Back to the configured defaults (admin reset).</summary>
    public void Reset() => Replace(new CloudflareFaultSettings());

    /// <summary>The scripted failure for this request, consuming one use of it; null when none matches.</summary>
    public FailNextRule? TakeFailNext(string method, string path)
    {
        lock (_gate)
        {
            return _failNext.Take(method, path);
        }
    }

    /// <summary>Whether the random knobs apply to <paramref name="path"/> (the <c>pathRegex</c> scope).</summary>
    public bool InScope(string path)
    {
        lock (_gate)
        {
            return _scope is null || _scope.IsMatch(path);
        }
    }

    /// <summary>Draws the random decisions of one request, in the pipeline's order.</summary>
    public FaultDraw Draw()
    {
        lock (_gate)
        {
            var s = _settings;
#pragma warning disable CA5394 // fault injection, not security
            var latency = s.LatencyMs is { } range ? TimeSpan.FromMilliseconds(_random.Next(range.Min, range.Max + 1)) : TimeSpan.Zero;
            var rateLimited = s.RateLimitRate > 0 && _random.NextDouble() < s.RateLimitRate;
            var error = s.ErrorRate > 0 && _random.NextDouble() < s.ErrorRate;
            var drop = s.DropResponseRate > 0 && _random.NextDouble() < s.DropResponseRate;
#pragma warning restore CA5394
            return new FaultDraw(latency, rateLimited, s.RetryAfterSeconds, error ? s.ErrorStatus : null, drop);
        }
    }

    /// <summary>One draw against a rate (Pages build failures and other area-specific random outcomes).</summary>
    public bool Roll(Func<CloudflareFaultSettings, double> rate)
    {
        ArgumentNullException.ThrowIfNull(rate);
        lock (_gate)
        {
            var r = rate(_settings);
#pragma warning disable CA5394 // fault injection, not security
            return r > 0 && _random.NextDouble() < r;
#pragma warning restore CA5394
        }
    }
}

/// <summary>The random fault decisions of one request.</summary>
public sealed record FaultDraw(TimeSpan Latency, bool RateLimited, int RetryAfterSeconds, int? ErrorStatus, bool Drop);

using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nno.Core.Errors;

namespace Nno.ServiceDefaults.Security;

/// <summary>A token and how long it lives, as obtained from IAM.</summary>
public sealed record ServiceTokenGrant(string Token, TimeSpan Lifetime);

/// <summary>
/// The caching policy of gateway.md §4.9 for a service's own token: the cached token is served until
/// <see cref="ServiceAuthenticationOptions.TokenExpiryMargin"/> before it expires; once less than
/// <see cref="ServiceAuthenticationOptions.TokenRefreshBefore"/> of its life remains a refresh starts in the background
/// (one at a time); failed requests back off 1, 2, 4 … 30 s; with no usable token a call fails with 503
/// <c>SERVICE_UNAVAILABLE</c>. Subclasses say how a token is obtained.
/// </summary>
public abstract class CachingServiceTokenProvider : IServiceTokenProvider
{
    private readonly TimeProvider _time;
    private readonly IOptions<ServiceAuthenticationOptions> _options;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private CachedToken? _current;
    private Task<CachedToken?>? _refresh;
    private int _failures;
    private DateTimeOffset _nextAttemptAt = DateTimeOffset.MinValue;
    private int _requests;

    protected CachingServiceTokenProvider(TimeProvider time, IOptions<ServiceAuthenticationOptions> options, ILogger logger)
    {
        _time = time;
        _options = options;
        _logger = logger;
    }

    /// <summary>How many token requests were started (diagnostics and tests).</summary>
    public int RequestCount
    {
        get
        {
            lock (_gate)
            {
                return _requests;
            }
        }
    }

    /// <summary>Failed token requests since the last success (diagnostics and tests).</summary>
    public int ConsecutiveFailures
    {
        get
        {
            lock (_gate)
            {
                return _failures;
            }
        }
    }

    public async ValueTask<string> GetTokenAsync(CancellationToken cancellationToken)
    {
        var settings = _options.Value;
        var now = _time.GetUtcNow();
        var current = Volatile.Read(ref _current);
        if (current is not null && now < current.ExpiresAt - settings.TokenExpiryMargin)
        {
            if (current.ExpiresAt - now < settings.TokenRefreshBefore)
            {
                // Background refresh: this call keeps the still-valid token and does not wait.
                _ = StartRefresh(now);
            }

            return current.Token;
        }

        var refresh = StartRefresh(now);
        if (refresh is not null)
        {
            var fresh = await refresh.WaitAsync(cancellationToken);
            if (fresh is not null && _time.GetUtcNow() < fresh.ExpiresAt - settings.TokenExpiryMargin)
            {
                return fresh.Token;
            }
        }

        throw ApiException.Unavailable("This service has no valid service token: IAM is unreachable or refuses to issue one.", settings.TokenUnavailableRetryAfterSeconds);
    }

    /// <summary>Obtains a new token. Throws <see cref="ServiceTokenRequestException"/>, <see cref="HttpRequestException"/> or <see cref="OperationCanceledException"/> on failure.</summary>
    protected abstract Task<ServiceTokenGrant> RequestTokenAsync(CancellationToken cancellationToken);

    private Task<CachedToken?>? StartRefresh(DateTimeOffset now)
    {
        lock (_gate)
        {
            if (_refresh is not null)
            {
                return _refresh;
            }

            if (now < _nextAttemptAt)
            {
                return null;
            }

            _requests++;
            _refresh = Task.Run(RefreshAsync);
            return _refresh;
        }
    }

    private async Task<CachedToken?> RefreshAsync()
    {
        var settings = _options.Value;
        var started = _time.GetUtcNow();
        CachedToken? result = null;
        string? failure = null;
        try
        {
            using var timeout = new CancellationTokenSource(settings.TokenRequestTimeout);
            var grant = await RequestTokenAsync(timeout.Token);
            // Expiry from our own clock at request time: immune to clock differences between hosts.
            result = new CachedToken(grant.Token, started + grant.Lifetime);
        }
        catch (Exception ex) when (ex is ServiceTokenRequestException or HttpRequestException or OperationCanceledException or JsonException)
        {
            failure = ex.GetType().Name + ": " + ex.Message;
        }
        finally
        {
            lock (_gate)
            {
                if (result is not null)
                {
                    Volatile.Write(ref _current, result);
                    _failures = 0;
                    _nextAttemptAt = DateTimeOffset.MinValue;
                }
                else
                {
                    _failures++;
                    var delay = settings.TokenRetryInitialDelay * Math.Pow(2, Math.Min(_failures - 1, 20));
                    _nextAttemptAt = started + (delay < settings.TokenRetryMaxDelay ? delay : settings.TokenRetryMaxDelay);
                }

                _refresh = null;
            }
        }

        if (failure is not null)
        {
            _logger.LogWarning("Could not obtain a service token from IAM: {Reason}", failure);
        }

        return result;
    }

    private sealed record CachedToken(string Token, DateTimeOffset ExpiresAt);
}

/// <summary>IAM refused or answered a token request in a way that yields no token.</summary>
public sealed class ServiceTokenRequestException : Exception
{
    public ServiceTokenRequestException()
        : base("The service token request failed.")
    {
    }

    public ServiceTokenRequestException(string message)
        : base(message)
    {
    }

    public ServiceTokenRequestException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

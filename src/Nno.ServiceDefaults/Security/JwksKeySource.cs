using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Nno.ServiceDefaults.Security;

/// <summary>
/// IAM's JWKS as every service but IAM sees it (iam.md §4.8): fetched through the IAM binding without a service token,
/// cached for <see cref="ServiceAuthenticationOptions.JwksCacheDuration"/>, refetched for an unknown <c>kid</c> at most
/// once per <see cref="ServiceAuthenticationOptions.UnknownKeyRefetchInterval"/>, one fetch at a time. When no key set
/// can be had, lookups answer <see cref="ServiceTokenKeyStatus.Unavailable"/> so callers get 503, never 401.
/// </summary>
public sealed class JwksKeySource(
    IHttpClientFactory httpClients,
    TimeProvider time,
    IOptions<ServiceAuthenticationOptions> options,
    ILogger<JwksKeySource> logger) : IServiceTokenKeySource
{
    private readonly Lock _gate = new();
    private State _state = State.Empty;
    private Task<State>? _fetch;
    private int _fetchCount;

    /// <summary>How many JWKS fetches were started (diagnostics and tests).</summary>
    public int FetchCount => Volatile.Read(ref _fetchCount);

    public async ValueTask<ServiceTokenKeyLookup> FindAsync(string kid, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var state = Volatile.Read(ref _state);
        var now = time.GetUtcNow();
        if (ShouldFetch(state, kid, now, settings))
        {
            state = await FetchOnceAsync().WaitAsync(cancellationToken);
            now = time.GetUtcNow();
        }

        if (state.Keys is not null && state.Keys.TryGetValue(kid, out var key))
        {
            return ServiceTokenKeyLookup.Found(key);
        }

        // Only a key set that was fetched successfully just now proves a kid unknown; anything else is "not available".
        if (state.Keys is null || state.LastAttemptFailed)
        {
            var wait = state.LastAttemptAt + settings.JwksRetryInterval - now;
            return ServiceTokenKeyLookup.Unavailable(wait > TimeSpan.Zero ? wait : settings.JwksRetryInterval);
        }

        return ServiceTokenKeyLookup.Unknown;
    }

    private static bool ShouldFetch(State state, string kid, DateTimeOffset now, ServiceAuthenticationOptions settings)
    {
        var retryAllowed = !state.LastAttemptFailed || now >= state.LastAttemptAt + settings.JwksRetryInterval;
        if (state.Keys is null || now >= state.FetchedAt + settings.JwksCacheDuration)
        {
            return retryAllowed;
        }

        return !state.Keys.ContainsKey(kid) && retryAllowed && now >= state.LastAttemptAt + settings.UnknownKeyRefetchInterval;
    }

    private Task<State> FetchOnceAsync()
    {
        lock (_gate)
        {
            // Single flight: concurrent callers share one request; the task clears itself when done.
            return _fetch ??= Task.Run(FetchAsync);
        }
    }

    private async Task<State> FetchAsync()
    {
        Interlocked.Increment(ref _fetchCount);
        var settings = options.Value;
        var started = time.GetUtcNow();
        var previous = Volatile.Read(ref _state);
        State next;
        try
        {
            var keys = await DownloadAsync(settings.JwksFetchTimeout);
            next = new State(keys, started, started, LastAttemptFailed: false);
            logger.LogDebug("Fetched IAM's JWKS: {Count} key(s)", keys.Count);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or JsonException or InvalidDataException)
        {
            // Keep the keys we had: a stale key set still verifies tokens signed by keys IAM has not purged.
            next = previous with { LastAttemptAt = started, LastAttemptFailed = true };
            logger.LogWarning("Could not fetch IAM's JWKS ({Reason}); {State}", ex.GetType().Name + ": " + ex.Message,
                previous.Keys is null ? "requests needing a service token answer 503 until it can" : "using the key set fetched before");
        }

        lock (_gate)
        {
            Volatile.Write(ref _state, next);
            _fetch = null;
        }

        return next;
    }

    private async Task<IReadOnlyDictionary<string, SecurityKey>> DownloadAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var client = httpClients.CreateClient(ServiceTokenProtocol.AnonymousIamClient);
        using var response = await client.GetAsync(ServiceTokenProtocol.JwksPath.TrimStart('/'), cts.Token);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new HttpRequestException($"IAM answered {(int)response.StatusCode} to the JWKS request.", null, response.StatusCode);
        }

        var body = await response.Content.ReadAsByteArrayAsync(cts.Token);
        var document = JsonWebKeySetDocument.Parse(body);
        var keys = new Dictionary<string, SecurityKey>(StringComparer.Ordinal);
        foreach (var jwk in document.Keys)
        {
            if (jwk is not null && jwk.TryCreateSecurityKey(out var key))
            {
                keys[jwk.Kid] = key;
            }
            else
            {
                logger.LogWarning("Ignoring a JWKS entry that is not an ES256 P-256 signing key (kid {Kid})", jwk?.Kid);
            }
        }

        return keys;
    }

    /// <summary>What the source knows: the keys (null until the first successful fetch) and when it last tried.</summary>
    private sealed record State(IReadOnlyDictionary<string, SecurityKey>? Keys, DateTimeOffset FetchedAt, DateTimeOffset LastAttemptAt, bool LastAttemptFailed)
    {
        public static State Empty { get; } = new(null, DateTimeOffset.MinValue, DateTimeOffset.MinValue, LastAttemptFailed: false);
    }
}

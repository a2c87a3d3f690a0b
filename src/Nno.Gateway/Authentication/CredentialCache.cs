using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nno.Gateway.Forwarding;
using Nno.ServiceDefaults.Evictions;

namespace Nno.Gateway.Authentication;

/// <summary>Which IAM call resolves a credential.</summary>
internal enum CredentialKind
{
    Session,
    ApiKey,
}

/// <summary>
/// The credential caches of gateway.md §2 and §4.3. Keys are the hex SHA-256 of the presented credential (never the raw
/// value). Positive entries live min(<c>Ttl</c>, credential expiry) and check their own <c>expiresAt</c> against
/// <see cref="TimeProvider"/> on every read; IAM's rejections are cached negative for a short time; concurrent misses of
/// one key share one IAM call; an eviction index (session, API key, user → cache keys) drops entries when IAM says so,
/// through <c>X-Nno-Cache-Evict</c> on its responses or the eviction channel.
/// </summary>
internal sealed partial class CredentialCache : IDisposable
{
    private readonly IamCredentialClient _iam;
    private readonly TimeProvider _time;
    private readonly GatewayAuthOptions _options;
    private readonly GatewayMetrics _metrics;
    private readonly ILogger<CredentialCache> _logger;
    private readonly MemoryCache _positive;
    private readonly MemoryCache _negative;
    private readonly ConcurrentDictionary<string, Task<CredentialLookup>> _inFlight = new(StringComparer.Ordinal);
    private readonly PostEvictionDelegate _onRemoved;
    private readonly IDisposable _subscription;

    // Eviction index: "session:<id>", "apikey:<id>", "user:<id>" → cache keys. Touched only on fills, removals and
    // evictions (never on a hit), so one lock is enough.
    private readonly Lock _indexLock = new();
    private readonly Dictionary<string, HashSet<string>> _index = new(StringComparer.Ordinal);

    // Bumped by every eviction: an IAM answer fetched before an eviction is returned to its waiters but not cached,
    // so a revocation racing a validation cannot leave a stale entry behind.
    private long _generation;

    public CredentialCache(
        IamCredentialClient iam,
        TimeProvider time,
        IOptions<GatewayAuthOptions> options,
        GatewayMetrics metrics,
        ICredentialEvictionChannel channel,
        ILogger<CredentialCache> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(channel);
        _iam = iam;
        _time = time;
        _options = options.Value;
        _metrics = metrics;
        _logger = logger;
        var clock = new TimeProviderClock(time);
        _positive = new MemoryCache(new MemoryCacheOptions { SizeLimit = _options.Credentials.SizeLimit, Clock = clock });
        _negative = new MemoryCache(new MemoryCacheOptions { SizeLimit = _options.NegativeCredentials.SizeLimit, Clock = clock });
        _onRemoved = OnRemoved;
        _subscription = channel.Subscribe(Evict);
    }

    /// <summary>Number of positive entries (diagnostics and tests).</summary>
    public int Count => _positive.Count;

    /// <summary>The principal for <paramref name="credential"/>: from the cache, or from IAM (one call per key at a time).</summary>
    public ValueTask<CredentialLookup> ResolveAsync(CredentialKind kind, string credential, CancellationToken cancellationToken)
    {
        var key = CacheKey(credential);
        var now = _time.GetUtcNow();
        if (_positive.TryGetValue(key, out Entry? entry) && entry is not null)
        {
            if (now < entry.ExpiresAt)
            {
                _metrics.CredentialCache(kind, CredentialCacheResult.Hit);
                return ValueTask.FromResult(entry.Lookup);
            }

            _positive.Remove(key);
        }

        if (_negative.TryGetValue(key, out DateTimeOffset rejectedUntil))
        {
            if (now < rejectedUntil)
            {
                _metrics.CredentialCache(kind, CredentialCacheResult.NegativeHit);
                return ValueTask.FromResult(CredentialLookup.Invalid);
            }

            _negative.Remove(key);
        }

        _metrics.CredentialCache(kind, CredentialCacheResult.Miss);
        return new ValueTask<CredentialLookup>(LoadAsync(key, kind, credential, cancellationToken));
    }

    /// <summary>Drops every entry of the sessions, API keys and users named.</summary>
    public void Evict(IReadOnlyList<CredentialEviction> evictions)
    {
        ArgumentNullException.ThrowIfNull(evictions);
        if (evictions.Count == 0)
        {
            return;
        }

        var removed = 0;
        lock (_indexLock)
        {
            _generation++;
            foreach (var eviction in evictions)
            {
                if (_index.Remove(eviction.Kind + ":" + eviction.Id, out var keys))
                {
                    foreach (var key in keys)
                    {
                        _positive.Remove(key);
                        removed++;
                    }
                }
            }
        }

        LogEvicted(_logger, CredentialEviction.Format(evictions), removed);
    }

    /// <summary>The cache key of a credential: lowercase hex SHA-256 of its UTF-8 bytes.</summary>
    public static string CacheKey(string credential)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        var max = Encoding.UTF8.GetMaxByteCount(credential.Length);
        if (max <= 4096)
        {
            Span<byte> bytes = stackalloc byte[max];
            SHA256.HashData(bytes[..Encoding.UTF8.GetBytes(credential, bytes)], hash);
        }
        else
        {
            SHA256.HashData(Encoding.UTF8.GetBytes(credential), hash);
        }

        return Convert.ToHexStringLower(hash);
    }

    public void Dispose()
    {
        _subscription.Dispose();
        _positive.Dispose();
        _negative.Dispose();
    }

    private async Task<CredentialLookup> LoadAsync(string key, CredentialKind kind, string credential, CancellationToken cancellationToken)
    {
        if (!_inFlight.TryGetValue(key, out var shared))
        {
            var created = new TaskCompletionSource<CredentialLookup>(TaskCreationOptions.RunContinuationsAsynchronously);
            shared = _inFlight.GetOrAdd(key, created.Task);
            if (ReferenceEquals(shared, created.Task))
            {
                _ = FillAsync(key, kind, credential, created);
            }
        }

        return await shared.WaitAsync(cancellationToken);
    }

    private async Task FillAsync(string key, CredentialKind kind, string credential, TaskCompletionSource<CredentialLookup> completion)
    {
        long generation;
        lock (_indexLock)
        {
            generation = _generation;
        }

        try
        {
            var result = kind == CredentialKind.Session
                ? await _iam.ValidateSessionAsync(credential)
                : await _iam.VerifyApiKeyAsync(credential);
            Store(key, result, generation);
            _inFlight.TryRemove(new KeyValuePair<string, Task<CredentialLookup>>(key, completion.Task));
            completion.SetResult(result);
        }
        catch (Exception ex)
        {
            _inFlight.TryRemove(new KeyValuePair<string, Task<CredentialLookup>>(key, completion.Task));
            completion.SetException(ex);
        }
    }

    private void Store(string key, CredentialLookup result, long generation)
    {
        var now = _time.GetUtcNow();
        switch (result.Status)
        {
            case CredentialStatus.Invalid:
                var until = now + _options.NegativeCredentials.Ttl;
                _negative.Set(key, until, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpiration = until });
                return;
            case CredentialStatus.Valid:
                var principal = result.Principal!;
                var expiresAt = now + _options.Credentials.Ttl;
                if (principal.CredentialExpiresAt is { } credentialExpiry && credentialExpiry < expiresAt)
                {
                    expiresAt = credentialExpiry;
                }

                if (expiresAt <= now)
                {
                    return;
                }

                var entry = new Entry(result, expiresAt);
                var entryOptions = new MemoryCacheEntryOptions { Size = 1, AbsoluteExpiration = expiresAt };
                entryOptions.RegisterPostEvictionCallback(_onRemoved, entry);
                lock (_indexLock)
                {
                    if (generation != _generation)
                    {
                        return;
                    }

                    _positive.Set(key, entry, entryOptions);
                    foreach (var indexKey in IndexKeys(principal))
                    {
                        if (!_index.TryGetValue(indexKey, out var keys))
                        {
                            _index[indexKey] = keys = new HashSet<string>(StringComparer.Ordinal);
                        }

                        keys.Add(key);
                    }
                }

                return;
            default:
                // Unavailable: nothing is cached, the next request asks IAM again.
                return;
        }
    }

    private void OnRemoved(object key, object? value, EvictionReason reason, object? state)
    {
        if (state is not Entry entry || key is not string cacheKey)
        {
            return;
        }

        lock (_indexLock)
        {
            // A newer entry under the same key (refilled meanwhile) keeps its index entries.
            if (_positive.TryGetValue(cacheKey, out Entry? current) && !ReferenceEquals(current, entry))
            {
                return;
            }

            foreach (var indexKey in IndexKeys(entry.Lookup.Principal!))
            {
                if (_index.TryGetValue(indexKey, out var keys) && keys.Remove(cacheKey) && keys.Count == 0)
                {
                    _index.Remove(indexKey);
                }
            }
        }
    }

    private static IEnumerable<string> IndexKeys(ResolvedPrincipal principal)
    {
        if (principal.SessionId is { } sessionId)
        {
            yield return CredentialEviction.SessionKind + ":" + sessionId;
        }

        if (principal.KeyId is { } keyId)
        {
            yield return CredentialEviction.ApiKeyKind + ":" + keyId;
        }

        if (principal.UserId is { } userId)
        {
            yield return CredentialEviction.UserKind + ":" + userId;
        }
    }

    [LoggerMessage(1832, LogLevel.Debug, "Evicted credentials {Evictions}: {Removed} cache entries dropped.")]
    private static partial void LogEvicted(ILogger logger, string evictions, int removed);

    private sealed record Entry(CredentialLookup Lookup, DateTimeOffset ExpiresAt);

    /// <summary>The memory cache's own expiry scans follow the platform clock too (tests move it).</summary>
    private sealed class TimeProviderClock(TimeProvider time) : Microsoft.Extensions.Internal.ISystemClock
    {
        public DateTimeOffset UtcNow => time.GetUtcNow();
    }
}

/// <summary>The <c>result</c> label of <c>nno_gateway_credential_cache_total</c>.</summary>
internal static class CredentialCacheResult
{
    /// <summary>A live positive entry answered the request.</summary>
    public const string Hit = "hit";

    /// <summary>A recent rejection answered the request (401) without IAM.</summary>
    public const string NegativeHit = "negative_hit";

    /// <summary>No entry: IAM was asked (or a call already in flight for the same key was joined).</summary>
    public const string Miss = "miss";
}

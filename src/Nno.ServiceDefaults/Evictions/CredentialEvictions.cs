using System.Collections.Immutable;

namespace Nno.ServiceDefaults.Evictions;

/// <summary>
/// One cached credential the gateway must drop (gateway.md §4.3, iam.md §4.3): every cache entry of a session, an API
/// key, or every credential of a user. Written as <c>session=&lt;id&gt;</c>, <c>apikey=&lt;id&gt;</c> or <c>user=&lt;id&gt;</c>.
/// </summary>
public sealed record CredentialEviction(string Kind, string Id)
{
    /// <summary>The response header IAM sets on every answer that revokes or changes what the gateway caches.</summary>
    public const string HeaderName = "X-Nno-Cache-Evict";

    public const string SessionKind = "session";
    public const string UserKind = "user";
    public const string ApiKeyKind = "apikey";

    public static CredentialEviction Session(string sessionId) => new(SessionKind, sessionId);

    public static CredentialEviction User(string userId) => new(UserKind, userId);

    public static CredentialEviction ApiKey(string keyId) => new(ApiKeyKind, keyId);

    public override string ToString() => Kind + "=" + Id;

    /// <summary>The header value for <paramref name="evictions"/>: comma-separated, duplicates removed.</summary>
    public static string Format(IEnumerable<CredentialEviction> evictions) => string.Join(',', evictions.Distinct().Select(e => e.ToString()));

    /// <summary>Parses a header value; unknown kinds and malformed items are skipped (the header is advisory).</summary>
    public static IReadOnlyList<CredentialEviction> Parse(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return [];
        }

        var result = new List<CredentialEviction>();
        foreach (var item in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = item.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || eq == item.Length - 1 || item.Length > 200)
            {
                continue;
            }

            var kind = item[..eq];
            if (kind is SessionKind or UserKind or ApiKeyKind)
            {
                result.Add(new CredentialEviction(kind, item[(eq + 1)..]));
            }
        }

        return result;
    }
}

/// <summary>
/// The gateway's eviction channel (gateway.md §4.3): IAM publishes every eviction, whoever caused it; every gateway
/// replica subscribes. All-in-one mode shares one <see cref="InProcessCredentialEvictionChannel"/> between the apps of
/// the process; distributed mode replaces it with the Redis channel <c>nno:gateway:evict</c>.
/// </summary>
public interface ICredentialEvictionChannel
{
    void Publish(IReadOnlyList<CredentialEviction> evictions);

    /// <summary>Calls <paramref name="handler"/> for every published batch until the subscription is disposed.</summary>
    IDisposable Subscribe(Action<IReadOnlyList<CredentialEviction>> handler);
}

/// <summary>Synchronous in-process broadcast: subscribers run on the publisher's thread and must be quick.</summary>
public sealed class InProcessCredentialEvictionChannel : ICredentialEvictionChannel
{
    private ImmutableArray<Action<IReadOnlyList<CredentialEviction>>> _handlers = [];

    public void Publish(IReadOnlyList<CredentialEviction> evictions)
    {
        ArgumentNullException.ThrowIfNull(evictions);
        if (evictions.Count == 0)
        {
            return;
        }

        foreach (var handler in _handlers)
        {
            handler(evictions);
        }
    }

    public IDisposable Subscribe(Action<IReadOnlyList<CredentialEviction>> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ImmutableInterlocked.Update(ref _handlers, h => h.Add(handler));
        return new Subscription(this, handler);
    }

    private sealed class Subscription(InProcessCredentialEvictionChannel channel, Action<IReadOnlyList<CredentialEviction>> handler) : IDisposable
    {
        public void Dispose() => ImmutableInterlocked.Update(ref channel._handlers, h => h.Remove(handler));
    }
}

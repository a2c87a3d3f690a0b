using System.Collections.Concurrent;

namespace Nno.Billing.Api;

/// <summary>
/// In-process exclusion for creating a platform's subscription, before any row exists to carry <c>lock_until</c>
/// (decision 0553). Across replicas the Stripe key <c>nno-subscription:{pid}</c> and the primary key keep it single.
/// </summary>
internal sealed class PlatformGate
{
    private readonly ConcurrentDictionary<string, byte> _held = new(StringComparer.Ordinal);

    /// <summary>Takes the platform's gate, or null when another request holds it.</summary>
    public IDisposable? TryEnter(string platformId) => _held.TryAdd(platformId, 0) ? new Release(this, platformId) : null;

    private sealed class Release(PlatformGate gate, string platformId) : IDisposable
    {
        public void Dispose() => gate._held.TryRemove(platformId, out _);
    }
}

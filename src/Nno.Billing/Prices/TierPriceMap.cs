using System.Collections.Frozen;
using Nno.Core.Platforms;

namespace Nno.Billing.Prices;

/// <summary>One tier's resolved Stripe price.</summary>
public sealed record ResolvedPrice(string Tier, string LookupKey, string StripePriceId, string? StripeProductId);

/// <summary>
/// The in-memory price map of billing.md §4.6: tier → Stripe price and price → tier, swapped whole on every resolution so
/// readers never see half of one. A tier absent from it is unresolved (health <c>degraded</c>, B14/B4 to it answer 503).
/// </summary>
public sealed class TierPriceMap
{
    private volatile Snapshot _current = new(FrozenDictionary<string, ResolvedPrice>.Empty, FrozenDictionary<string, ResolvedPrice>.Empty, null);

    /// <summary>The tier's price, or null while unresolved.</summary>
    public ResolvedPrice? PriceOf(string tier) => _current.ByTier.GetValueOrDefault(tier);

    /// <summary>The tier a Stripe price id stands for, or null for a price NNO does not sell.</summary>
    public string? TierOf(string stripePriceId) => _current.ByPrice.GetValueOrDefault(stripePriceId)?.Tier;

    /// <summary>The tiers without a resolved price, in tier order.</summary>
    public IReadOnlyList<string> Unresolved => [.. PlatformTiers.All.Where(t => !_current.ByTier.ContainsKey(t))];

    /// <summary>Why the last resolution failed (null after a success or before any attempt).</summary>
    public string? LastError => _current.LastError;

    /// <summary>Replaces the map with <paramref name="prices"/>.</summary>
    public void Replace(IEnumerable<ResolvedPrice> prices, string? lastError = null)
    {
        var list = prices.ToList();
        _current = new Snapshot(
            list.ToFrozenDictionary(p => p.Tier, StringComparer.Ordinal),
            list.ToFrozenDictionary(p => p.StripePriceId, StringComparer.Ordinal),
            lastError);
    }

    /// <summary>Keeps the map, noting why the last attempt failed.</summary>
    public void NoteFailure(string error)
    {
        var current = _current;
        _current = current with { LastError = error };
    }

    private sealed record Snapshot(FrozenDictionary<string, ResolvedPrice> ByTier, FrozenDictionary<string, ResolvedPrice> ByPrice, string? LastError);
}

using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nno.Billing.Data;
using Nno.Billing.Stripe;
using Nno.Core.Platforms;
using Stripe;

namespace Nno.Billing.Prices;

/// <summary>
/// Resolves the configured lookup keys to Stripe prices (billing.md §4.6): <c>GET /v1/prices?lookup_keys[n]=…&amp;active=true</c>,
/// and with <see cref="StripeSettings.BootstrapCatalog"/> creates the missing product <c>nno_{tier}</c> and monthly price
/// (idempotency keys of decision 0527). The result goes to <c>tier_prices</c> and whole into <see cref="TierPriceMap"/>.
/// </summary>
internal sealed partial class PriceCatalog(
    BillingDbContext db,
    StripeClient stripe,
    StripeSettings settings,
    IOptions<BillingOptions> options,
    TierPriceMap map,
    TimeProvider time,
    ILogger<PriceCatalog> logger)
{
    /// <summary>
    /// Fills the map from <c>tier_prices</c> rows resolved earlier for today's lookup keys, so a restart while Stripe is
    /// unreachable still sells the tiers it sold (decision 0550).
    /// </summary>
    public async Task LoadCachedAsync(CancellationToken cancellationToken)
    {
        var config = options.Value;
        var rows = await db.TierPrices.AsNoTracking().Where(p => p.StripePriceId != null).ToListAsync(cancellationToken);
        map.Replace(rows
            .Where(r => PlatformTiers.IsKnown(r.Tier) && string.Equals(config.Tier(r.Tier).LookupKey, r.LookupKey, StringComparison.Ordinal))
            .Select(r => new ResolvedPrice(r.Tier, r.LookupKey, r.StripePriceId!, r.StripeProductId)));
    }

    /// <summary>
    /// One resolution pass; returns how many tiers are resolved afterwards. A Stripe failure leaves the map as it was
    /// (and is logged); a tier whose price is missing (and not bootstrapped) becomes unresolved.
    /// </summary>
    public async Task<int> ResolveAsync(CancellationToken cancellationToken)
    {
        var config = options.Value;
        var wanted = PlatformTiers.All.ToDictionary(t => t, t => config.Tier(t), StringComparer.Ordinal);
        List<Price> found;
        try
        {
            var list = await stripe.V1.Prices.ListAsync(
                new PriceListOptions { LookupKeys = [.. wanted.Values.Select(w => w.LookupKey!)], Active = true, Limit = 100 },
                cancellationToken: cancellationToken);
            found = list.Data;
        }
        catch (Exception e) when (e is StripeException or HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            map.NoteFailure(e.Message);
            LogResolveFailed(logger, e.GetType().Name, (e as StripeException)?.StripeResponse?.RequestId);
            return PlatformTiers.All.Count - map.Unresolved.Count;
        }

        var resolved = new List<ResolvedPrice>();
        string? failure = null;
        foreach (var (tier, tierSettings) in wanted)
        {
            var lookupKey = tierSettings.LookupKey!;
            var price = found.FirstOrDefault(p => string.Equals(p.LookupKey, lookupKey, StringComparison.Ordinal));
            if (price is null && settings.BootstrapCatalog)
            {
                try
                {
                    price = await CreateAsync(tier, lookupKey, tierSettings.UnitAmount!.Value, config.Currency, cancellationToken);
                }
                catch (Exception e) when (e is StripeException or HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
                {
                    failure = e.Message;
                    LogBootstrapFailed(logger, tier, (e as StripeException)?.StripeResponse?.RequestId);
                }
            }

            if (price is null)
            {
                LogUnresolved(logger, tier, lookupKey);
                continue;
            }

            resolved.Add(new ResolvedPrice(tier, lookupKey, price.Id, price.ProductId));
        }

        await StoreAsync(wanted, resolved, config.Currency, cancellationToken);
        map.Replace(resolved, failure);
        return resolved.Count;
    }

    private async Task<Price> CreateAsync(string tier, string lookupKey, long unitAmount, string currency, CancellationToken ct)
    {
        var product = await stripe.V1.Products.CreateAsync(
            new ProductCreateOptions { Name = "nno_" + tier, Metadata = new Dictionary<string, string> { ["tier"] = tier } },
            StripeIdempotencyKeys.Options(StripeIdempotencyKeys.CatalogProduct(tier, lookupKey)), ct);
        var price = await stripe.V1.Prices.CreateAsync(
            new PriceCreateOptions
            {
                Product = product.Id,
                UnitAmount = unitAmount,
                Currency = currency,
                LookupKey = lookupKey,
                Recurring = new PriceRecurringOptions { Interval = "month" },
            },
            StripeIdempotencyKeys.Options(StripeIdempotencyKeys.CatalogPrice(tier, lookupKey)), ct);
        LogBootstrapped(logger, tier, price.Id);
        return price;
    }

    private async Task StoreAsync(Dictionary<string, BillingOptions.TierSettings> wanted, List<ResolvedPrice> resolved, string currency, CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var rows = await db.TierPrices.ToDictionaryAsync(r => r.Tier, StringComparer.Ordinal, ct);
        // Clear first, then write: a price or lookup key moving between tiers never meets itself in a UNIQUE index.
        foreach (var row in rows.Values)
        {
            row.StripePriceId = null;
            row.StripeProductId = null;
            row.ResolvedAt = null;
            row.LookupKey = "unresolved:" + row.Tier;
        }

        await db.SaveChangesAsync(ct);
        foreach (var (tier, tierSettings) in wanted)
        {
            if (!rows.TryGetValue(tier, out var row))
            {
                row = new TierPriceRecord { Tier = tier, LookupKey = tierSettings.LookupKey!, Currency = currency };
                db.TierPrices.Add(row);
            }

            var price = resolved.FirstOrDefault(p => p.Tier == tier);
            row.LookupKey = tierSettings.LookupKey!;
            row.UnitAmount = tierSettings.UnitAmount!.Value;
            row.Currency = currency;
            row.StripePriceId = price?.StripePriceId;
            row.StripeProductId = price?.StripeProductId;
            row.ResolvedAt = price is null ? null : now;
        }

        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
    }

    [LoggerMessage(EventId = 10, EventName = "billing.prices.resolve_failed", Level = LogLevel.Warning, Message = "Stripe prices could not be listed ({Error}, request {StripeRequestId}); the price map is unchanged")]
    private static partial void LogResolveFailed(ILogger logger, string error, string? stripeRequestId);

    [LoggerMessage(EventId = 11, EventName = "billing.prices.bootstrap_failed", Level = LogLevel.Warning, Message = "Creating the Stripe price of tier {Tier} failed (request {StripeRequestId})")]
    private static partial void LogBootstrapFailed(ILogger logger, string tier, string? stripeRequestId);

    [LoggerMessage(EventId = 12, EventName = "billing.prices.unresolved", Level = LogLevel.Warning, Message = "Tier {Tier} has no active Stripe price with lookup key {LookupKey}")]
    private static partial void LogUnresolved(ILogger logger, string tier, string lookupKey);

    [LoggerMessage(EventId = 13, EventName = "billing.prices.bootstrapped", Level = LogLevel.Information, Message = "Created the Stripe price {StripePriceId} of tier {Tier}")]
    private static partial void LogBootstrapped(ILogger logger, string tier, string stripePriceId);
}

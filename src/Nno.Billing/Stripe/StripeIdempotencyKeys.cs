using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Nno.Billing.Data;
using Nno.Core.Platforms;
using Stripe;

namespace Nno.Billing.Stripe;

/// <summary>
/// The <c>Idempotency-Key</c> of every Stripe call that has one (billing.md §5 table). Keys are tied to the business
/// operation, never random, so a retry after a crash replays Stripe's stored answer instead of doing the work twice.
/// Pure functions; a malformed argument is a programming error (<see cref="ArgumentException"/>).
/// </summary>
public static class StripeIdempotencyKeys
{
    /// <summary>Stripe's longest <c>Idempotency-Key</c>.</summary>
    public const int MaxLength = 255;

    /// <summary>Hex characters of the body hash in <see cref="CustomerUpdate(string, string)"/>.</summary>
    public const int BodyHashLength = 16;

    /// <summary><c>nno-customer:{pid}</c>: <c>POST /v1/customers</c>.</summary>
    public static string Customer(string platformId) => "nno-customer:" + PlatformId(platformId);

    /// <summary>
    /// <c>nno-customer-update:{pid}:{sha256(body)[0..16]}</c>: <c>POST /v1/customers/{id}</c>. The same change replays,
    /// a different one is a new request. <paramref name="body"/> is the form body sent (see <see cref="CustomerUpdateBody"/>).
    /// </summary>
    public static string CustomerUpdate(string platformId, string body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body)));
        return "nno-customer-update:" + PlatformId(platformId) + ":" + hash[..BodyHashLength];
    }

    /// <summary>
    /// The canonical form body of a customer update: <c>email=…&amp;name=…</c> with the fields that change, in that
    /// order, each value percent-encoded (UTF-8, RFC 3986): deterministic for one change.
    /// </summary>
    public static string CustomerUpdateBody(string? email, string? name)
    {
        var parts = new List<string>(2);
        if (email is not null)
        {
            parts.Add("email=" + Uri.EscapeDataString(email));
        }

        if (name is not null)
        {
            parts.Add("name=" + Uri.EscapeDataString(name));
        }

        return parts.Count > 0 ? string.Join('&', parts) : throw new ArgumentException("A customer update changes the email, the name or both.");
    }

    /// <summary><c>nno-subscription:{pid}</c>: <c>POST /v1/subscriptions</c>.</summary>
    public static string Subscription(string platformId) => "nno-subscription:" + PlatformId(platformId);

    /// <summary><c>nno-cancel:{subId}:{cancelSeq}</c>: scheduling the cancellation at period end.</summary>
    public static string Cancel(string subscriptionId, long cancelSeq) =>
        Bounded(string.Create(CultureInfo.InvariantCulture, $"nno-cancel:{StripeId(subscriptionId, "sub", nameof(subscriptionId))}:{Seq(cancelSeq, nameof(cancelSeq))}"));

    /// <summary><c>nno-resume:{subId}:{cancelSeq}</c>: withdrawing a scheduled cancellation.</summary>
    public static string Resume(string subscriptionId, long cancelSeq) =>
        Bounded(string.Create(CultureInfo.InvariantCulture, $"nno-resume:{StripeId(subscriptionId, "sub", nameof(subscriptionId))}:{Seq(cancelSeq, nameof(cancelSeq))}"));

    /// <summary><c>nno-tier:{subId}:{tierChangeSeq}:{tier}</c>: a tier change.</summary>
    public static string TierChange(string subscriptionId, long tierChangeSeq, string tier) =>
        Bounded(string.Create(CultureInfo.InvariantCulture,
            $"nno-tier:{StripeId(subscriptionId, "sub", nameof(subscriptionId))}:{Seq(tierChangeSeq, nameof(tierChangeSeq))}:{Tier(tier)}"));

    /// <summary><c>nno-overage:{pid}:{periodStartUnix}</c>: the draft overage invoice of a period (Unix seconds).</summary>
    public static string OverageInvoice(string platformId, DateTimeOffset periodStart) =>
        string.Create(CultureInfo.InvariantCulture, $"nno-overage:{PlatformId(platformId)}:{periodStart.ToUnixTimeSeconds()}");

    /// <summary><c>nno-overage:{pid}:{periodStartUnix}:{metric}</c>: one overage invoice item.</summary>
    public static string OverageItem(string platformId, DateTimeOffset periodStart, string metric) =>
        OverageInvoice(platformId, periodStart) + ":" + BilledMetric(metric);

    /// <summary><c>nno-overage-finalize:{invoiceId}</c>: finalizing the overage invoice.</summary>
    public static string OverageFinalize(string invoiceId) => Bounded("nno-overage-finalize:" + StripeId(invoiceId, "in", nameof(invoiceId)));

    /// <summary>
    /// <c>nno-catalog:{tier}:{lookupKey}:product</c>: the product created by the catalogue bootstrap (§4.6). The spec's
    /// <c>nno-catalog:{tier}:{lookupKey}</c> gets a suffix per call, as Stripe refuses one key on two paths (decision 0527).
    /// </summary>
    public static string CatalogProduct(string tier, string lookupKey) => Catalog(tier, lookupKey) + ":product";

    /// <summary><c>nno-catalog:{tier}:{lookupKey}:price</c>: the monthly price created by the catalogue bootstrap.</summary>
    public static string CatalogPrice(string tier, string lookupKey) => Catalog(tier, lookupKey) + ":price";

    /// <summary>The request options carrying <paramref name="idempotencyKey"/>.</summary>
    public static RequestOptions Options(string idempotencyKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(idempotencyKey);
        return new RequestOptions { IdempotencyKey = idempotencyKey };
    }

    private static string Catalog(string tier, string lookupKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(lookupKey);
        if (lookupKey.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            throw new ArgumentException("A lookup key has no spaces or control characters.", nameof(lookupKey));
        }

        return Bounded("nno-catalog:" + Tier(tier) + ":" + lookupKey, reserve: ":product".Length);
    }

    private static string PlatformId(string platformId)
    {
        ArgumentNullException.ThrowIfNull(platformId);
        return platformId.Length == 10 && platformId.All(c => char.IsAsciiDigit(c) || char.IsAsciiLetterLower(c))
            ? platformId
            : throw new ArgumentException("A platform id is 10 characters of [a-z0-9].", nameof(platformId));
    }

    private static string StripeId(string id, string prefix, string parameter)
    {
        ArgumentNullException.ThrowIfNull(id, parameter);
        return id.Length > prefix.Length + 1 && id.StartsWith(prefix + "_", StringComparison.Ordinal) && id.All(c => char.IsAsciiLetterOrDigit(c) || c == '_')
            ? id
            : throw new ArgumentException($"A Stripe id {prefix}_… of letters, digits and underscores.", parameter);
    }

    private static long Seq(long value, string parameter) =>
        value >= 0 ? value : throw new ArgumentOutOfRangeException(parameter, value, "A sequence number is never negative.");

    private static string Tier(string tier) =>
        PlatformTiers.Canonical(tier) ?? throw new ArgumentException("Not a tier (starter, growth, scale).", nameof(tier));

    private static string BilledMetric(string metric) =>
        UsageMetrics.Billed.Contains(metric) ? metric : throw new ArgumentException("Not a billed metric.", nameof(metric));

    private static string Bounded(string key, int reserve = 0) =>
        key.Length + reserve <= MaxLength ? key : throw new ArgumentException($"An Idempotency-Key is at most {MaxLength} characters.");
}

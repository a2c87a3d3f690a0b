using System.Security.Cryptography;
using System.Text;
using Nno.Billing.Stripe;

namespace Nno.Billing.Tests.Stripe;

public sealed class StripeIdempotencyKeysTests
{
    private const string Pid = "k3m9p2xw7q";
    private static readonly DateTimeOffset PeriodStart = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void EveryKey_HasTheShapeOfTheSpecTable()
    {
        Assert.Equal("nno-customer:k3m9p2xw7q", StripeIdempotencyKeys.Customer(Pid));
        Assert.Equal("nno-subscription:k3m9p2xw7q", StripeIdempotencyKeys.Subscription(Pid));
        Assert.Equal("nno-cancel:sub_1AbC:3", StripeIdempotencyKeys.Cancel("sub_1AbC", 3));
        Assert.Equal("nno-resume:sub_1AbC:4", StripeIdempotencyKeys.Resume("sub_1AbC", 4));
        Assert.Equal("nno-tier:sub_1AbC:0:scale", StripeIdempotencyKeys.TierChange("sub_1AbC", 0, "scale"));
        Assert.Equal("nno-overage:k3m9p2xw7q:1793491200", StripeIdempotencyKeys.OverageInvoice(Pid, PeriodStart));
        Assert.Equal("nno-overage:k3m9p2xw7q:1793491200:d1_rows_read", StripeIdempotencyKeys.OverageItem(Pid, PeriodStart, "d1_rows_read"));
        Assert.Equal("nno-overage-finalize:in_9XyZ", StripeIdempotencyKeys.OverageFinalize("in_9XyZ"));
        Assert.Equal("nno-catalog:growth:nno_growth_monthly:product", StripeIdempotencyKeys.CatalogProduct("growth", "nno_growth_monthly"));
        Assert.Equal("nno-catalog:growth:nno_growth_monthly:price", StripeIdempotencyKeys.CatalogPrice("growth", "nno_growth_monthly"));
    }

    [Fact]
    public void CustomerUpdate_HashesTheBody_First16HexOfSha256()
    {
        var body = StripeIdempotencyKeys.CustomerUpdateBody("new@example.com", "Acme & Co");
        var expected = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body)))[..16];

        Assert.Equal("email=new%40example.com&name=Acme%20%26%20Co", body);
        Assert.Equal("nno-customer-update:k3m9p2xw7q:" + expected, StripeIdempotencyKeys.CustomerUpdate(Pid, body));
    }

    [Fact]
    public void CustomerUpdate_SameChangeSameKey_OtherChangeOtherKey()
    {
        var first = StripeIdempotencyKeys.CustomerUpdate(Pid, StripeIdempotencyKeys.CustomerUpdateBody("a@example.com", null));
        var again = StripeIdempotencyKeys.CustomerUpdate(Pid, StripeIdempotencyKeys.CustomerUpdateBody("a@example.com", null));
        var other = StripeIdempotencyKeys.CustomerUpdate(Pid, StripeIdempotencyKeys.CustomerUpdateBody("b@example.com", null));
        var nameOnly = StripeIdempotencyKeys.CustomerUpdate(Pid, StripeIdempotencyKeys.CustomerUpdateBody(null, "a@example.com"));

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        Assert.NotEqual(first, nameOnly);
        Assert.Throws<ArgumentException>(() => StripeIdempotencyKeys.CustomerUpdateBody(null, null));
    }

    [Fact]
    public void CancelResumeAndTierKeys_ChangeWithTheirSequence()
    {
        // cancel → resume → cancel in one period reaches Stripe three times (billing.md §2 cancel_seq).
        var keys = new[]
        {
            StripeIdempotencyKeys.Cancel("sub_1", 0),
            StripeIdempotencyKeys.Resume("sub_1", 1),
            StripeIdempotencyKeys.Cancel("sub_1", 2),
        };
        Assert.Equal(3, keys.Distinct(StringComparer.Ordinal).Count());
        Assert.NotEqual(StripeIdempotencyKeys.TierChange("sub_1", 1, "growth"), StripeIdempotencyKeys.TierChange("sub_1", 1, "scale"));
        Assert.NotEqual(StripeIdempotencyKeys.TierChange("sub_1", 1, "growth"), StripeIdempotencyKeys.TierChange("sub_1", 2, "growth"));
    }

    [Fact]
    public void OverageKeys_UseUnixSecondsOfThePeriodStart_SoMillisecondsDoNotMatter()
    {
        var withMillis = PeriodStart.AddMilliseconds(250);

        Assert.Equal(StripeIdempotencyKeys.OverageInvoice(Pid, PeriodStart), StripeIdempotencyKeys.OverageInvoice(Pid, withMillis));
        Assert.NotEqual(StripeIdempotencyKeys.OverageInvoice(Pid, PeriodStart), StripeIdempotencyKeys.OverageInvoice(Pid, PeriodStart.AddMonths(1)));
    }

    public static TheoryData<string, Func<string>> BadArguments => new()
    {
        { "upper-case platform id", () => StripeIdempotencyKeys.Customer("K3M9P2XW7Q") },
        { "short platform id", () => StripeIdempotencyKeys.Subscription("k3m9") },
        { "platform id with a colon", () => StripeIdempotencyKeys.Customer("k3m9p2:w7q") },
        { "customer id as subscription", () => StripeIdempotencyKeys.Cancel("cus_1", 0) },
        { "subscription id with a colon", () => StripeIdempotencyKeys.Resume("sub_1:2", 0) },
        { "bare prefix", () => StripeIdempotencyKeys.Cancel("sub_", 0) },
        { "unknown tier", () => StripeIdempotencyKeys.TierChange("sub_1", 0, "enterprise") },
        { "informational metric", () => StripeIdempotencyKeys.OverageItem(Pid, PeriodStart, "kv_reads") },
        { "subscription id as invoice", () => StripeIdempotencyKeys.OverageFinalize("sub_1") },
        { "lookup key with a space", () => StripeIdempotencyKeys.CatalogPrice("starter", "a b") },
        { "lookup key too long", () => StripeIdempotencyKeys.CatalogProduct("starter", new string('k', 250)) },
    };

    [Theory]
    [MemberData(nameof(BadArguments))]
    public void AMalformedArgument_IsRefused(string because, Func<string> make)
    {
        Assert.False(string.IsNullOrEmpty(because));
        Assert.ThrowsAny<ArgumentException>(() => make());
    }

    [Fact]
    public void ANegativeSequence_IsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => StripeIdempotencyKeys.Cancel("sub_1", -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => StripeIdempotencyKeys.TierChange("sub_1", -1, "growth"));
    }

    [Fact]
    public void Options_CarryTheKey()
    {
        Assert.Equal("nno-customer:k3m9p2xw7q", StripeIdempotencyKeys.Options(StripeIdempotencyKeys.Customer(Pid)).IdempotencyKey);
        Assert.Throws<ArgumentException>(() => StripeIdempotencyKeys.Options(""));
    }
}

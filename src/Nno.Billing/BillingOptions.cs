using System.Globalization;
using Microsoft.Extensions.Options;
using Nno.Core.Platforms;

namespace Nno.Billing;

/// <summary>
/// Billing's own settings (section <c>Billing</c>, billing.md §2, §4.6): the price of each tier as a Stripe lookup key
/// and its monthly amount. Missing tiers and fields take the defaults of 00-system §10; <see cref="BillingOptionsValidator"/>
/// refuses the rest at start (decision 0523).
/// </summary>
public sealed class BillingOptions
{
    public const string Section = "Billing";

    /// <summary>Currency of every price and invoice (<c>Billing:Currency</c>, <c>usd</c>).</summary>
    public string Currency { get; set; } = DefaultCurrency;

    /// <summary><c>Billing:Tiers:{tier}:LookupKey|UnitAmount</c>, keyed by tier.</summary>
    public Dictionary<string, TierSettings> Tiers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Seconds between attempts to resolve the prices while a tier is unresolved (<c>Billing:PriceRetrySeconds</c>, 60).</summary>
    public int PriceRetrySeconds { get; set; } = 60;

    /// <summary>Trial days of a new subscription when B14 names none (<c>Billing:TrialDays</c>, 14).</summary>
    public int TrialDays { get; set; } = 14;

    /// <summary>Days a past-due subscription stays usable (<c>Billing:PastDueGraceDays</c>, 7): <c>graceEndsAt</c>.</summary>
    public int PastDueGraceDays { get; set; } = 7;

    public const string DefaultCurrency = "usd";

    /// <summary>Longest Stripe <c>lookup_key</c>.</summary>
    public const int MaxLookupKeyLength = 200;

    /// <summary>Largest <c>unit_amount</c> Stripe accepts (eight digits).</summary>
    public const long MaxUnitAmount = 99_999_999;

    /// <summary>Defaults per tier: lookup key and cents per month (00-system §10: $49, $199, $799).</summary>
    public static IReadOnlyDictionary<string, (string LookupKey, long UnitAmount)> Defaults { get; } =
        new Dictionary<string, (string, long)>(StringComparer.Ordinal)
        {
            [PlatformTiers.Starter] = ("nno_starter_monthly", 4900),
            [PlatformTiers.Growth] = ("nno_growth_monthly", 19900),
            [PlatformTiers.Scale] = ("nno_scale_monthly", 79900),
        };

    /// <summary>The settings of one tier after defaults (always present once the options are built).</summary>
    public TierSettings Tier(string tier) =>
        Tiers.TryGetValue(tier, out var settings) ? settings : throw new ArgumentException($"'{tier}' is not a tier.", nameof(tier));

    /// <summary>One tier's price.</summary>
    public sealed class TierSettings
    {
        /// <summary>Stripe price <c>lookup_key</c>.</summary>
        public string? LookupKey { get; set; }

        /// <summary>Cents per month.</summary>
        public long? UnitAmount { get; set; }
    }
}

/// <summary>Fills the tier defaults into whatever configuration bound (a tier may set only one of its two fields).</summary>
internal sealed class BillingOptionsDefaults : IPostConfigureOptions<BillingOptions>
{
    public void PostConfigure(string? name, BillingOptions options)
    {
        foreach (var (tier, (lookupKey, unitAmount)) in BillingOptions.Defaults)
        {
            if (!options.Tiers.TryGetValue(tier, out var settings))
            {
                settings = new BillingOptions.TierSettings();
                options.Tiers[tier] = settings;
            }

            settings.LookupKey = string.IsNullOrWhiteSpace(settings.LookupKey) ? lookupKey : settings.LookupKey.Trim();
            settings.UnitAmount ??= unitAmount;
        }

        options.Currency = string.IsNullOrWhiteSpace(options.Currency) ? BillingOptions.DefaultCurrency : options.Currency.Trim();
    }
}

/// <summary>Start-up rules of <see cref="BillingOptions"/>: only known tiers, distinct usable lookup keys, sane amounts.</summary>
internal sealed class BillingOptionsValidator : IValidateOptions<BillingOptions>
{
    public ValidateOptionsResult Validate(string? name, BillingOptions options)
    {
        var problems = new List<string>();
        if (options.Currency.Length != 3 || !options.Currency.All(char.IsAsciiLetterLower))
        {
            problems.Add($"{BillingOptions.Section}:Currency must be a three-letter lower-case ISO code");
        }

        if (options.PriceRetrySeconds is < 1 or > 86_400)
        {
            problems.Add($"{BillingOptions.Section}:PriceRetrySeconds must be 1-86400");
        }

        if (options.PastDueGraceDays is < 0 or > 90)
        {
            problems.Add($"{BillingOptions.Section}:PastDueGraceDays must be 0-90");
        }

        if (options.TrialDays is < 0 or > 30)
        {
            problems.Add($"{BillingOptions.Section}:TrialDays must be 0-30");
        }

        foreach (var key in options.Tiers.Keys)
        {
            if (!PlatformTiers.IsKnown(key))
            {
                problems.Add($"{BillingOptions.Section}:Tiers:{key} is not a tier (starter, growth, scale)");
            }
        }

        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var tier in PlatformTiers.All)
        {
            if (!options.Tiers.TryGetValue(tier, out var settings))
            {
                continue;
            }

            var lookupKey = settings.LookupKey ?? string.Empty;
            if (lookupKey.Length is 0 or > BillingOptions.MaxLookupKeyLength || lookupKey.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{BillingOptions.Section}:Tiers:{tier}:LookupKey must be 1-{BillingOptions.MaxLookupKeyLength} characters without spaces"));
            }
            else if (seen.TryGetValue(lookupKey, out var other))
            {
                problems.Add($"{BillingOptions.Section}:Tiers:{tier}:LookupKey repeats the lookup key of {other}");
            }
            else
            {
                seen[lookupKey] = tier;
            }

            if (settings.UnitAmount is not (> 0 and <= BillingOptions.MaxUnitAmount))
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{BillingOptions.Section}:Tiers:{tier}:UnitAmount must be 1-{BillingOptions.MaxUnitAmount} cents"));
            }
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}

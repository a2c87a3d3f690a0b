using System.Globalization;
using Nno.Core.Credentials;
using Nno.Core.Errors;
using Nno.Core.Ids;
using Nno.Core.Platforms;

namespace Nno.Billing.Api;

/// <summary>The field rules of billing.md §3/§6, collected per request so one 400 names every bad field.</summary>
internal sealed class BillingFields : FieldProblems
{
    public const int MaxEmailLength = 254;
    public const int MaxNameLength = 100;

    public string PlatformId(string? value) => Required("platformId", value, IdFormat.IsPlatformId, "must be 10 characters a-z 0-9");

    public string Tier(string? value) => Required("tier", value, v => PlatformTiers.All.Contains(v), "must be starter, growth or scale");

    public string? Email(string? value, bool required)
    {
        if (value is null)
        {
            return required ? Required("email", value, _ => true, string.Empty) : null;
        }

        if (value.Length > MaxEmailLength || !EmailAddress.TryParse(value, out _, out _))
        {
            Add("email", "must be a valid address of at most 254 characters");
        }

        return value;
    }

    /// <summary>1–100 characters once trimmed, no control or format (bidi) characters; stored trimmed.</summary>
    public string? Name(string? value, bool required)
    {
        if (value is null)
        {
            return required ? Required("name", value, _ => true, string.Empty) : null;
        }

        var trimmed = value.Trim();
        if (trimmed.Length is 0 or > MaxNameLength
            || trimmed.Any(c => char.IsControl(c) || CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.Format))
        {
            Add("name", "must be 1-100 characters without control or bidi characters");
        }

        return trimmed;
    }

    public int? IntRange(string field, int? value, int min, int max)
    {
        if (value is { } v && (v < min || v > max))
        {
            Add(field, string.Create(CultureInfo.InvariantCulture, $"must be {min}-{max}"));
        }

        return value;
    }
}

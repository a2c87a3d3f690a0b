using System.Text.Json;
using System.Text.RegularExpressions;
using Nno.Core.Credentials;
using Nno.Core.Errors;
using Nno.Core.Features;
using Nno.Core.Ids;
using Nno.Core.Naming;
using Nno.Core.Platforms;
using Nno.Stacks.Definitions;
using Semver;

namespace Nno.Provisioning.Api;

/// <summary>The field rules of provisioning.md §3, collected per request so one 400 names every bad field.</summary>
internal sealed partial class FieldRules : FieldProblems
{
    public static readonly string[] Environments = ["dev", "stg", "prod"];

    public string PlatformId(string? value) => Required("platformId", value, IdFormat.IsPlatformId, "must be 10 characters a-z 0-9");

    public string EntityId(string? value) => Required("entityId", value, IdFormat.IsEntityId, "must be 10 characters a-z 0-9");

    public string? OptionalEntityId(string field, string? value) => Optional(field, value, IdFormat.IsEntityId, "must be 10 characters a-z 0-9");

    public string StackId(string? value, bool allowDefault, bool required)
    {
        if (value is null && !required)
        {
            return IdFormat.DefaultStackId;
        }

        var stackId = Required("stackId", value, IdFormat.IsStackId, "must be 10 characters a-z 0-9 or 'default'");
        if (!allowDefault && stackId == IdFormat.DefaultStackId)
        {
            Add("stackId", "may not be 'default' here");
        }

        return stackId;
    }

    public string FeatureId(string? value) => Required("featureId", value, FeatureIds.IsValid, FeatureIds.Rule);

    public string Version(string field, string? value) => Required(field, value, IsVersion, "must be an exact semantic version (SemVer 2.0), at most 64 characters");

    public string Environment(string? value) => Required("environment", value, v => Environments.Contains(v), "must be dev, stg or prod");

    public string? OptionalEnvironment(string? value) => Optional("environment", value, v => Environments.Contains(v), "must be dev, stg or prod");

    public string PlanTier(string? value) => Required("planTier", value, v => PlatformTiers.All.Contains(v), "must be starter, growth or scale");

    public string BillingEmail(string? value)
    {
        if (value is null)
        {
            Add("billingEmail", "is required");
            return string.Empty;
        }

        if (value.Length > 254 || !EmailAddress.TryParse(value, out _, out _))
        {
            Add("billingEmail", "must be a valid address of at most 254 characters");
        }

        return value;
    }

    public string? Reason(string? value) =>
        Optional("reason", value, v => v.Length is >= 1 and <= 500 && !v.Any(char.IsControl), "must be 1–500 characters without control characters");

    public string CustomDomainId(string? value) => Required("customDomainId", value, v => CustomDomainIdPattern().IsMatch(v), "must be a custom domain id (dom_ + 16 characters a-z 0-9)");

    public string Domain(string field, string? value, HostnameBuilder hostnames)
    {
        var domain = Required(field, value, v => v.Length <= 253 && !v.Any(char.IsUpper) && Hostnames.IsValid(v) && v.Contains('.', StringComparison.Ordinal), "must be a lower-case fully qualified domain name of at most 253 characters");
        if (Has(field))
        {
            return domain;
        }

        if (field == "domain" && hostnames.IsUnderReservedDomain(domain))
        {
            Add(field, "may not be under the platform domain or the core domain");
        }

        return domain;
    }

    public string? TemplateName(string? value) =>
        Optional("templateName", value, TemplateNameRule.IsWellFormed, TemplateNameRule.Rule);

    /// <summary>A feature <c>config</c>: an object of at most 16 KiB without secret-like keys (cli-service.md §4).</summary>
    public JsonElement? Config(JsonElement? value)
    {
        if (value is not { } config || config.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (config.ValueKind != JsonValueKind.Object)
        {
            Add("config", "must be an object");
            return null;
        }

        if (config.GetRawText().Length > 16 * 1024)
        {
            Add("config", "must be at most 16 KiB");
            return null;
        }

        var secretLike = SecretLikeKeys.Find(config, "config");
        if (secretLike.Count > 0)
        {
            Add(secretLike[0], SecretLikeKeys.Problem);
            return null;
        }

        return config;
    }

    /// <summary>A derived Cloudflare name: over 63 characters or outside <c>[a-z0-9-]</c> → 400 on <paramref name="field"/>.</summary>
    public void CloudflareName(string field, string name)
    {
        if (!ResourceNames.IsValid(name))
        {
            Add(field, $"gives the Cloudflare name '{name}', which is over 63 characters or outside [a-z0-9-]");
        }
    }

    public static bool IsVersion(string value) =>
        value.Length is > 0 and <= 64 && SemVersion.TryParse(value, SemVersionStyles.Strict, out _, 64);

    [GeneratedRegex("^dom_[a-z0-9]{16}$", RegexOptions.CultureInvariant)]
    private static partial Regex CustomDomainIdPattern();
}

using Microsoft.Extensions.Configuration;
using Nno.Core.Environments;

namespace Nno.Provisioning.Cloudflare;

/// <summary>
/// The resolved Cloudflare settings (provisioning.md §5, §4.5): where the REST API and R2's S3 surface are, with which
/// credentials, and the request budget. Built once at start-up by <see cref="CloudflareSettingsReader"/>; a local or
/// dev deployment without <c>CLOUDFLARE_API_TOKEN</c> points at the Cloudflare emulator with its fixed credentials.
/// </summary>
public sealed class CloudflareOptions
{
    /// <summary>Configuration section of the non-secret settings.</summary>
    public const string Section = "Cloudflare";

    /// <summary>Configuration key (an environment variable) of the API token.</summary>
    public const string ApiTokenKey = "CLOUDFLARE_API_TOKEN";

    /// <summary>Configuration key (an environment variable) of the R2 S3 access key id.</summary>
    public const string R2AccessKeyIdKey = "R2_ACCESS_KEY_ID";

    /// <summary>Configuration key (an environment variable) of the R2 S3 secret access key.</summary>
    public const string R2SecretAccessKeyKey = "R2_SECRET_ACCESS_KEY";

    /// <summary>The real REST API.</summary>
    public const string RealApiBaseUrl = "https://api.cloudflare.com/client/v4";

    /// <summary>The emulator's REST base (provisioning.md §5.1).</summary>
    public const string SandboxApiBaseUrl = "http://127.0.0.1:8799/cloudflare/client/v4";

    /// <summary>The emulator's fixed API token.</summary>
    public const string SandboxApiToken = "sandbox-cf-token";

    /// <summary>The emulator's fixed account id.</summary>
    public const string SandboxAccountId = "0123456789abcdef0123456789abcdef";

    /// <summary>The emulator's zone id of <c>nno.run</c>.</summary>
    public const string SandboxZoneId = "fedcba9876543210fedcba9876543210";

    /// <summary>The emulator's R2 S3 access key id.</summary>
    public const string SandboxR2AccessKeyId = "sandbox-r2-key";

    /// <summary>The emulator's R2 S3 secret access key.</summary>
    public const string SandboxR2SecretAccessKey = "sandbox-r2-secret";

    /// <summary>True when the settings point at the emulator (no real token was configured).</summary>
    public bool IsSandbox { get; init; }

    /// <summary>REST base URL without a trailing slash (<c>Cloudflare:ApiBaseUrl</c>).</summary>
    public required string ApiBaseUrl { get; init; }

    /// <summary>Bearer token. Never logged.</summary>
    public required string ApiToken { get; init; }

    /// <summary><c>Cloudflare:AccountId</c>.</summary>
    public required string AccountId { get; init; }

    /// <summary><c>Cloudflare:ZoneId</c>: the zone of the platform domain.</summary>
    public required string ZoneId { get; init; }

    /// <summary><c>Cloudflare:SaasFallbackOrigin</c>: the CNAME target customers point their custom domains at.</summary>
    public string? SaasFallbackOrigin { get; init; }

    /// <summary>Timeout of one REST call (30 s).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How many times a GET is retried after a transient failure (<c>Cloudflare:GetRetries</c>, 2).</summary>
    public int GetRetries { get; init; } = 2;

    /// <summary>First delay of the GET retry backoff (<c>Cloudflare:GetRetryDelayMs</c>, 500 ms; exponential with jitter).</summary>
    public TimeSpan GetRetryDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>REST calls this service may make per window (<c>Cloudflare:RequestBudget</c>, 1,100).</summary>
    public int RequestBudget { get; init; } = 1100;

    /// <summary>The budget's sliding window (<c>Cloudflare:RequestBudgetWindowSeconds</c>, 300 s).</summary>
    public TimeSpan RequestBudgetWindow { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>Longest wait for a permit before the call is deferred (<c>Cloudflare:BudgetWaitSeconds</c>, 2 s).</summary>
    public TimeSpan BudgetWait { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Pause after a 429 that carries no <c>Retry-After</c> (<c>Cloudflare:DefaultRetryAfterSeconds</c>, 300 s).</summary>
    public TimeSpan DefaultRetryAfter { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>R2's S3-compatible endpoint including the account (<c>Cloudflare:R2S3Url</c>).</summary>
    public required string R2S3Url { get; init; }

    /// <summary>R2 S3 access key id. Never logged.</summary>
    public required string R2AccessKeyId { get; init; }

    /// <summary>R2 S3 secret access key. Never logged.</summary>
    public required string R2SecretAccessKey { get; init; }

    /// <summary>S3 calls in flight at most (<c>Cloudflare:R2S3Concurrency</c>, 4).</summary>
    public int R2S3Concurrency { get; init; } = 4;

    /// <summary>Keys per ListObjectsV2 page (<c>Cloudflare:R2ListMaxKeys</c>, 1,000; the S3 maximum).</summary>
    public int R2ListMaxKeys { get; init; } = 1000;
}

/// <summary>
/// Reads <see cref="CloudflareOptions"/> from configuration and refuses unusable combinations at start-up
/// (decision 0390): stg/prod need the real credentials; any environment refuses a partial real configuration.
/// </summary>
public static class CloudflareSettingsReader
{
    /// <summary>Resolves the settings for the deployment <paramref name="environment"/>; throws <see cref="InvalidOperationException"/> naming every missing or bad key.</summary>
    public static CloudflareOptions Read(IConfiguration configuration, NnoEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(CloudflareOptions.Section);
        var problems = new List<string>();

        var token = Value(configuration[CloudflareOptions.ApiTokenKey]);
        var accountId = Value(section["AccountId"]);
        var zoneId = Value(section["ZoneId"]);
        var apiBaseUrl = Value(section["ApiBaseUrl"]);
        var r2Key = Value(configuration[CloudflareOptions.R2AccessKeyIdKey]);
        var r2Secret = Value(configuration[CloudflareOptions.R2SecretAccessKeyKey]);
        var r2Url = Value(section["R2S3Url"]);
        var sandboxAllowed = environment is NnoEnvironment.Local or NnoEnvironment.Dev;

        var sandbox = token is null;
        if (sandbox && !sandboxAllowed)
        {
            problems.Add($"{CloudflareOptions.ApiTokenKey} is required in {environment.ToName()} (the Cloudflare emulator serves only local and dev)");
        }

        if (!sandbox)
        {
            // A real token with the emulator's account would send real calls to the wrong place: every key or none.
            if (accountId is null)
            {
                problems.Add($"{CloudflareOptions.Section}:AccountId is required with {CloudflareOptions.ApiTokenKey}");
            }

            if (zoneId is null)
            {
                problems.Add($"{CloudflareOptions.Section}:ZoneId is required with {CloudflareOptions.ApiTokenKey}");
            }
        }

        accountId ??= CloudflareOptions.SandboxAccountId;
        zoneId ??= CloudflareOptions.SandboxZoneId;

        var r2Sandbox = r2Key is null && r2Secret is null;
        if (r2Key is null != (r2Secret is null))
        {
            problems.Add($"{CloudflareOptions.R2AccessKeyIdKey} and {CloudflareOptions.R2SecretAccessKeyKey} must be configured together");
        }
        else if (r2Sandbox && !sandboxAllowed)
        {
            problems.Add($"{CloudflareOptions.R2AccessKeyIdKey} and {CloudflareOptions.R2SecretAccessKeyKey} are required in {environment.ToName()}");
        }
        else if (r2Sandbox && !sandbox)
        {
            problems.Add($"{CloudflareOptions.R2AccessKeyIdKey} and {CloudflareOptions.R2SecretAccessKeyKey} are required with {CloudflareOptions.ApiTokenKey} (R2 bulk deletion would go to the emulator)");
        }

        apiBaseUrl ??= sandbox ? CloudflareOptions.SandboxApiBaseUrl : CloudflareOptions.RealApiBaseUrl;
        r2Url ??= r2Sandbox
            ? SandboxR2S3Url(apiBaseUrl, accountId)
            : $"https://{accountId}.r2.cloudflarestorage.com";
        CheckUrl(apiBaseUrl, $"{CloudflareOptions.Section}:ApiBaseUrl", problems);
        CheckUrl(r2Url, $"{CloudflareOptions.Section}:R2S3Url", problems);
        if (!CloudflareIds.IsValid(accountId))
        {
            problems.Add($"{CloudflareOptions.Section}:AccountId must match ^[A-Za-z0-9_-]{{1,64}}$");
        }

        if (!CloudflareIds.IsValid(zoneId))
        {
            problems.Add($"{CloudflareOptions.Section}:ZoneId must match ^[A-Za-z0-9_-]{{1,64}}$");
        }

        var options = new CloudflareOptions
        {
            IsSandbox = sandbox,
            ApiBaseUrl = apiBaseUrl.TrimEnd('/'),
            ApiToken = token ?? CloudflareOptions.SandboxApiToken,
            AccountId = accountId,
            ZoneId = zoneId,
            SaasFallbackOrigin = Value(section["SaasFallbackOrigin"]),
            RequestBudget = Positive(section, "RequestBudget", 1100, problems),
            RequestBudgetWindow = TimeSpan.FromSeconds(Positive(section, "RequestBudgetWindowSeconds", 300, problems)),
            BudgetWait = TimeSpan.FromSeconds(NonNegativeDouble(section, "BudgetWaitSeconds", 2, problems)),
            DefaultRetryAfter = TimeSpan.FromSeconds(Positive(section, "DefaultRetryAfterSeconds", 300, problems)),
            GetRetries = NonNegative(section, "GetRetries", 2, problems),
            GetRetryDelay = TimeSpan.FromMilliseconds(Positive(section, "GetRetryDelayMs", 500, problems)),
            RequestTimeout = TimeSpan.FromSeconds(Positive(section, "RequestTimeoutSeconds", 30, problems)),
            R2S3Url = r2Url.TrimEnd('/'),
            R2AccessKeyId = r2Key ?? CloudflareOptions.SandboxR2AccessKeyId,
            R2SecretAccessKey = r2Secret ?? CloudflareOptions.SandboxR2SecretAccessKey,
            R2S3Concurrency = Positive(section, "R2S3Concurrency", 4, problems),
            R2ListMaxKeys = Positive(section, "R2ListMaxKeys", 1000, problems),
        };
        if (options.R2ListMaxKeys > 1000)
        {
            problems.Add($"{CloudflareOptions.Section}:R2ListMaxKeys must be at most 1000");
        }

        return problems.Count == 0
            ? options
            : throw new InvalidOperationException("Cloudflare configuration is not usable: " + string.Join("; ", problems) + ".");
    }

    /// <summary>
    /// The emulator's S3 base for an account: same origin as the REST base, path <c>/cloudflare/r2-s3/{accountId}</c>
    /// (so a test that moves the emulator's REST base moves the S3 base with it).
    /// </summary>
    public static string SandboxR2S3Url(string apiBaseUrl, string accountId)
    {
        ArgumentNullException.ThrowIfNull(apiBaseUrl);
        return Uri.TryCreate(apiBaseUrl, UriKind.Absolute, out var api)
            ? $"{api.GetLeftPart(UriPartial.Authority)}/cloudflare/r2-s3/{Uri.EscapeDataString(accountId)}"
            : apiBaseUrl;
    }

    private static string? Value(string? raw) => string.IsNullOrWhiteSpace(raw) ? null : raw.Trim();

    private static void CheckUrl(string url, string key, List<string> problems)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            problems.Add($"{key} must be an absolute http(s) URL");
        }
    }

    private static int Positive(IConfigurationSection section, string key, int fallback, List<string> problems)
    {
        var raw = section[key];
        if (string.IsNullOrWhiteSpace(raw))
        {
            return fallback;
        }

        if (int.TryParse(raw, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value) && value > 0)
        {
            return value;
        }

        problems.Add($"{CloudflareOptions.Section}:{key} must be a positive integer");
        return fallback;
    }

    private static int NonNegative(IConfigurationSection section, string key, int fallback, List<string> problems)
    {
        var raw = section[key];
        if (string.IsNullOrWhiteSpace(raw))
        {
            return fallback;
        }

        if (int.TryParse(raw, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value) && value >= 0)
        {
            return value;
        }

        problems.Add($"{CloudflareOptions.Section}:{key} must be a non-negative integer");
        return fallback;
    }

    private static double NonNegativeDouble(IConfigurationSection section, string key, double fallback, List<string> problems)
    {
        var raw = section[key];
        if (string.IsNullOrWhiteSpace(raw))
        {
            return fallback;
        }

        if (double.TryParse(raw, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value) && value >= 0 && double.IsFinite(value))
        {
            return value;
        }

        problems.Add($"{CloudflareOptions.Section}:{key} must be a non-negative number");
        return fallback;
    }
}

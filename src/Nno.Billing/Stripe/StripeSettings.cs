using System.Globalization;
using Microsoft.Extensions.Configuration;
using Nno.Core.Environments;

namespace Nno.Billing.Stripe;

/// <summary>
/// The resolved Stripe settings (billing.md §5): which API base, with which keys. Built once at start-up by
/// <see cref="StripeSettingsReader"/>; a local or dev deployment without <c>STRIPE_SECRET_KEY</c> points at the Stripe
/// emulator of the Sandbox with its fixed keys. The keys are never logged (<see cref="ToString"/> hides them).
/// </summary>
public sealed class StripeSettings
{
    /// <summary>Configuration section of the non-secret settings.</summary>
    public const string Section = "Billing:Stripe";

    /// <summary>Configuration key (an environment variable) of the secret API key.</summary>
    public const string SecretKeyKey = "STRIPE_SECRET_KEY";

    /// <summary>Configuration key (an environment variable) of the webhook signing secret.</summary>
    public const string WebhookSecretKey = "STRIPE_WEBHOOK_SECRET";

    /// <summary>The real API.</summary>
    public const string RealApiBase = "https://api.stripe.com";

    /// <summary>The emulator's base on its default port (billing.md §5.1); Stripe.net appends <c>/v1/…</c>.</summary>
    public const string SandboxApiBase = "http://127.0.0.1:8799/stripe";

    /// <summary>The only key the emulator accepts (<c>Sandbox:Stripe:SecretKey</c> default).</summary>
    public const string SandboxSecretKey = "sk_test_nno_sandbox";

    /// <summary>The emulator's default webhook endpoint secret.</summary>
    public const string SandboxWebhookSecret = "whsec_nno_sandbox";

    /// <summary>
    /// The API version billing.md §5 pins. Stripe.net sends its own pinned version on every request and offers no
    /// per-client override, so the start-up check refuses a Stripe.net whose version differs (decision 0524).
    /// </summary>
    public const string ApiVersion = "2026-10-28.endive";

    /// <summary>Stripe.net's own retries of 409, 5xx and network errors with the same Idempotency-Key (billing.md §5).</summary>
    public const int MaxNetworkRetries = 2;

    /// <summary>True when the settings point at the emulator (no real key was configured).</summary>
    public bool IsSandbox { get; init; }

    /// <summary>Stripe.net's <c>apiBase</c>, without a trailing slash (<c>Billing:Stripe:ApiBaseUrl</c> overrides it).</summary>
    public required string ApiBase { get; init; }

    /// <summary>Bearer key. Never logged.</summary>
    public required string SecretKey { get; init; }

    /// <summary>Webhook signing secret. Never logged.</summary>
    public required string WebhookSecret { get; init; }

    /// <summary>
    /// Create missing products and prices for the lookup keys at start (<c>Billing:Stripe:BootstrapCatalog</c>; default
    /// only with the sandbox, §4.6).
    /// </summary>
    public bool BootstrapCatalog { get; init; }

    /// <summary>Timeout of one HTTP attempt (<c>Billing:Stripe:RequestTimeoutSeconds</c>, 30 s).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Safe to log: says where calls go, never a key.</summary>
    public override string ToString() => $"Stripe {(IsSandbox ? "sandbox" : "live")} at {ApiBase}";
}

/// <summary>
/// Reads <see cref="StripeSettings"/> from configuration and refuses unusable combinations at start-up (00-system §12):
/// stg/prod need a real key; any environment refuses a partial real configuration (one Stripe secret without the other).
/// </summary>
public static class StripeSettingsReader
{
    /// <summary>Resolves the settings for <paramref name="environment"/>; throws <see cref="InvalidOperationException"/> naming every missing or bad key.</summary>
    public static StripeSettings Read(IConfiguration configuration, NnoEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(StripeSettings.Section);
        var problems = new List<string>();

        var secretKey = Value(configuration[StripeSettings.SecretKeyKey]);
        var webhookSecret = Value(configuration[StripeSettings.WebhookSecretKey]);
        var apiBase = Value(section["ApiBaseUrl"]);
        var sandboxAllowed = environment is NnoEnvironment.Local or NnoEnvironment.Dev;
        var sandbox = secretKey is null;

        if (sandbox && !sandboxAllowed)
        {
            problems.Add($"{StripeSettings.SecretKeyKey} is required in {environment.ToName()} (the Stripe emulator serves only local and dev)");
        }

        // Every real secret or none: a real webhook secret beside the emulator's key (or the reverse) is a mistake.
        if (!sandbox && webhookSecret is null)
        {
            problems.Add($"{StripeSettings.WebhookSecretKey} is required with {StripeSettings.SecretKeyKey}");
        }
        else if (sandbox && webhookSecret is not null)
        {
            problems.Add($"{StripeSettings.SecretKeyKey} is required with {StripeSettings.WebhookSecretKey}");
        }
        else if (sandbox && !sandboxAllowed)
        {
            problems.Add($"{StripeSettings.WebhookSecretKey} is required in {environment.ToName()}");
        }

        // Stripe.net refuses a key with whitespace; the names say which key without printing it.
        if (secretKey is not null && (secretKey.Any(char.IsWhiteSpace) || !(secretKey.StartsWith("sk_", StringComparison.Ordinal) || secretKey.StartsWith("rk_", StringComparison.Ordinal))))
        {
            problems.Add($"{StripeSettings.SecretKeyKey} must be a Stripe secret or restricted key (sk_… or rk_…, no spaces)");
        }

        if (webhookSecret is not null && webhookSecret.Any(char.IsWhiteSpace))
        {
            problems.Add($"{StripeSettings.WebhookSecretKey} must not contain spaces");
        }

        apiBase ??= sandbox ? StripeSettings.SandboxApiBase : StripeSettings.RealApiBase;
        if (!Uri.TryCreate(apiBase, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
            || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            problems.Add($"{StripeSettings.Section}:ApiBaseUrl must be an absolute http(s) URL without query");
        }

        var bootstrap = sandbox;
        if (Value(section["BootstrapCatalog"]) is { } rawBootstrap && !bool.TryParse(rawBootstrap, out bootstrap))
        {
            problems.Add($"{StripeSettings.Section}:BootstrapCatalog must be true or false");
        }

        var timeoutSeconds = 30;
        if (Value(section["RequestTimeoutSeconds"]) is { } rawTimeout
            && !(int.TryParse(rawTimeout, NumberStyles.Integer, CultureInfo.InvariantCulture, out timeoutSeconds) && timeoutSeconds is > 0 and <= 600))
        {
            problems.Add($"{StripeSettings.Section}:RequestTimeoutSeconds must be an integer from 1 to 600");
        }

        return problems.Count == 0
            ? new StripeSettings
            {
                IsSandbox = sandbox,
                ApiBase = apiBase.TrimEnd('/'),
                SecretKey = secretKey ?? StripeSettings.SandboxSecretKey,
                WebhookSecret = webhookSecret ?? StripeSettings.SandboxWebhookSecret,
                BootstrapCatalog = bootstrap,
                RequestTimeout = TimeSpan.FromSeconds(timeoutSeconds),
            }
            : throw new InvalidOperationException("Stripe configuration is not usable: " + string.Join("; ", problems) + ".");
    }

    private static string? Value(string? raw) => string.IsNullOrWhiteSpace(raw) ? null : raw.Trim();
}

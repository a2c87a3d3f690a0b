using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Nno.Sandbox.Stripe.Webhooks;

/// <summary>One configured webhook endpoint (<c>Sandbox:Stripe:WebhookEndpoints:{n}:Url|Secret|EnabledEvents:{m}</c>, or admin <c>PUT /webhook-endpoints</c>).</summary>
public sealed record StripeWebhookEndpointSpec
{
    /// <summary>Absolute http(s) URL the events are POSTed to.</summary>
    public string? Url { get; init; }

    /// <summary>The signing secret (default <see cref="StripeWebhookEndpoints.DefaultSecret"/>).</summary>
    public string? Secret { get; init; }

    /// <summary>Event types sent to it; <c>*</c> (the default) is every type.</summary>
    public IReadOnlyList<string>? EnabledEvents { get; init; }
}

/// <summary>An endpoint as stored and as admin answers show it (the secret is not shown).</summary>
public sealed record StripeWebhookEndpoint(string Id, string Url, IReadOnlyList<string> EnabledEvents)
{
    internal string Secret { get; init; } = StripeWebhookEndpoints.DefaultSecret;
}

/// <summary>The endpoints' defaults and validation (billing.md §5.1).</summary>
public static class StripeWebhookEndpoints
{
    /// <summary>The configuration section holding the list.</summary>
    public const string Section = StripeOptions.Section + ":WebhookEndpoints";

    /// <summary>The secret Billing's sandbox configuration expects (<c>STRIPE_WEBHOOK_SECRET</c>).</summary>
    public const string DefaultSecret = "whsec_nno_sandbox";

    /// <summary>Billing's webhook route behind the gateway.</summary>
    public const string DefaultPath = "/api/v1/billing/webhooks/stripe";

    /// <summary>The gateway's default port (00-system ports table).</summary>
    public const int DefaultGatewayPort = 8787;

    /// <summary>Most endpoints an admin PUT accepts.</summary>
    public const int MaxEndpoints = 16;

    /// <summary>
    /// The configured endpoints; without any, Billing's route on the gateway: <c>http://localhost:{Nno:Ports:gateway}</c>
    /// (8787). The all-in-one host hands the Sandbox the same arguments and settings as the services, so a
    /// <c>--Nno:Ports:gateway=…</c> reaches both.
    /// </summary>
    public static IReadOnlyList<StripeWebhookEndpointSpec> FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var configured = configuration.GetSection(Section).GetChildren()
            .Select(c => new StripeWebhookEndpointSpec
            {
                Url = c["Url"],
                Secret = c["Secret"],
                EnabledEvents = c.GetSection("EnabledEvents").GetChildren().Select(e => e.Value ?? "").ToArray() is { Length: > 0 } events ? events : null,
            })
            .ToArray();
        if (configured.Length > 0)
        {
            return configured;
        }

        var port = configuration.GetValue("Nno:Ports:gateway", DefaultGatewayPort);
        return [new StripeWebhookEndpointSpec { Url = string.Create(CultureInfo.InvariantCulture, $"http://localhost:{port}{DefaultPath}") }];
    }

    /// <summary>Checks and completes <paramref name="specs"/> (defaults filled in); returns the problem, or null when valid.</summary>
    public static string? Normalize(IReadOnlyList<StripeWebhookEndpointSpec?> specs, out IReadOnlyList<StripeWebhookEndpointSpec> normalized)
    {
        ArgumentNullException.ThrowIfNull(specs);
        normalized = [];
        if (specs.Count > MaxEndpoints)
        {
            return $"At most {MaxEndpoints} webhook endpoints.";
        }

        var result = new List<StripeWebhookEndpointSpec>();
        foreach (var spec in specs)
        {
            if (spec is null || !Uri.TryCreate(spec.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            {
                return "Every endpoint needs an absolute http(s) url.";
            }

            if (spec.Secret is { } secret && (secret.Length is 0 or > 200 || secret.Any(char.IsControl)))
            {
                return "secret must be 1-200 characters without control characters.";
            }

            var events = spec.EnabledEvents ?? ["*"];
            if (events.Count == 0 || events.Any(e => string.IsNullOrWhiteSpace(e) || e.Length > 100))
            {
                return "enabledEvents must be a non-empty list of event types (or \"*\").";
            }

            result.Add(spec with { Secret = spec.Secret ?? DefaultSecret, EnabledEvents = events.Distinct(StringComparer.Ordinal).ToArray() });
        }

        normalized = result;
        return null;
    }
}

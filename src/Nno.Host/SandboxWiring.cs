using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Nno.Billing.Stripe;
using Nno.Provisioning;
using Nno.Provisioning.Cloudflare;
using Nno.Sandbox;

namespace Nno.Host;

/// <summary>
/// Points the services of an all-in-one host at the Sandbox it starts (00-system §12): the Cloudflare client's REST and
/// R2 S3 bases on the Sandbox's actual port, and the sandbox SSL poll interval (provisioning.md §4.5); Billing's Stripe
/// client at the Stripe emulator (billing.md §5). Explicit configuration always wins; with a real
/// <c>CLOUDFLARE_API_TOKEN</c> Provisioning is left alone, with a real <c>STRIPE_SECRET_KEY</c> Billing.
/// </summary>
internal static class SandboxWiring
{
    /// <summary>SSL poller interval in the sandbox (production: 300 s).</summary>
    public const int SandboxSslPollSeconds = 30;

    /// <summary>The Sandbox's port: <c>Nno:Ports:sandbox</c> (8799); 0 is resolved to a free loopback port now, so the services know it before it listens.</summary>
    public static int ResolvePort(IConfiguration configuration)
    {
        var port = configuration.GetValue(SandboxApplication.PortKey, SandboxApplication.DefaultPort);
        if (port != 0)
        {
            return port;
        }

        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>Adds the Sandbox settings Provisioning lacks to <paramref name="perService"/>.</summary>
    public static void ConfigureProvisioning(IConfiguration configuration, int sandboxPort, IDictionary<string, string?> perService)
    {
        if (!string.IsNullOrWhiteSpace(configuration[CloudflareOptions.ApiTokenKey]))
        {
            return;
        }

        var apiBaseKey = CloudflareOptions.Section + ":ApiBaseUrl";
        var apiBase = configuration[apiBaseKey];
        if (string.IsNullOrWhiteSpace(apiBase))
        {
            apiBase = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{sandboxPort}/cloudflare/client/v4");
            perService[apiBaseKey] = apiBase;
        }

        // R2's S3 surface lives on the same Sandbox, unless real R2 keys (or an explicit URL) are configured.
        var r2Key = CloudflareOptions.Section + ":R2S3Url";
        if (string.IsNullOrWhiteSpace(configuration[r2Key])
            && string.IsNullOrWhiteSpace(configuration[CloudflareOptions.R2AccessKeyIdKey])
            && string.IsNullOrWhiteSpace(configuration[CloudflareOptions.R2SecretAccessKeyKey]))
        {
            var accountId = configuration[CloudflareOptions.Section + ":AccountId"];
            perService[r2Key] = CloudflareSettingsReader.SandboxR2S3Url(apiBase, string.IsNullOrWhiteSpace(accountId) ? CloudflareOptions.SandboxAccountId : accountId.Trim());
        }

        var sslKey = ProvisioningOptions.Section + ":" + nameof(ProvisioningOptions.SslPollSeconds);
        if (string.IsNullOrWhiteSpace(configuration[sslKey]))
        {
            perService[sslKey] = SandboxSslPollSeconds.ToString(CultureInfo.InvariantCulture);
        }
    }

    /// <summary>
    /// Points Billing's Stripe client at the Sandbox's Stripe emulator on <paramref name="sandboxPort"/>, unless a real
    /// <c>STRIPE_SECRET_KEY</c> or an explicit <c>Billing:Stripe:ApiBaseUrl</c> is configured. The key itself needs no
    /// wiring: without one the settings reader uses the emulator's <c>sk_test_nno_sandbox</c>.
    /// </summary>
    public static void ConfigureBilling(IConfiguration configuration, int sandboxPort, IDictionary<string, string?> perService)
    {
        if (!string.IsNullOrWhiteSpace(configuration[StripeSettings.SecretKeyKey]))
        {
            return;
        }

        var apiBaseKey = StripeSettings.Section + ":ApiBaseUrl";
        if (string.IsNullOrWhiteSpace(configuration[apiBaseKey]))
        {
            perService[apiBaseKey] = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{sandboxPort}/stripe");
        }
    }
}

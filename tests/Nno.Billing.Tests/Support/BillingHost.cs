using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Nno.Billing.Data;
using Nno.Billing.Prices;
using Nno.Client.Identity;
using Nno.Core.Json;
using Nno.Core.Services;
using Nno.Sandbox.Stripe.Pipeline;
using Nno.Testing;
using Nno.Testing.Sandbox;
using Nno.Testing.Security;

namespace Nno.Billing.Tests.Support;

/// <summary>
/// IAM + Billing in memory, Billing's Stripe client pointed at a real Stripe emulator (TestSandbox on a loopback port);
/// both on one fake clock.
/// </summary>
internal sealed class BillingHost : IAsyncDisposable
{
    public const string Owner = "usr_aaaaaaaaaaaaaaaaaaaa";

    private BillingHost(TestSandbox sandbox, TestPlatform platform)
    {
        Sandbox = sandbox;
        Platform = platform;
    }

    public TestSandbox Sandbox { get; }

    public TestPlatform Platform { get; }

    /// <summary>Starts both; with <paramref name="waitForPrices"/> returns once every tier has its price.</summary>
    public static async Task<BillingHost> StartAsync(IDictionary<string, string?>? settings = null, bool waitForPrices = true, Func<TestSandbox, Task>? beforeBilling = null)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero));
        var sandbox = await TestSandbox.StartAsync(time);
        try
        {
            if (beforeBilling is not null)
            {
                await beforeBilling(sandbox);
            }

            var all = new Dictionary<string, string?>
            {
                ["Billing:Stripe:ApiBaseUrl"] = StripeBase(sandbox),
            };
            foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
            {
                all[k] = v;
            }

            var platform = await TestPlatform.StartAsync([NnoServices.Iam, NnoServices.Billing], all, time: time);
            var host = new BillingHost(sandbox, platform);
            if (waitForPrices)
            {
                await BillingHost.UntilAsync(() => Task.FromResult(host.Prices.Unresolved.Count == 0), "every tier's price");
            }

            return host;
        }
        catch
        {
            await sandbox.DisposeAsync();
            throw;
        }
    }

    public static string StripeBase(TestSandbox sandbox) => sandbox.Address.ToString().TrimEnd('/') + "/stripe";

    public IServiceProvider Services => Platform.Host.Apps[NnoServices.Billing].Services;

    public TierPriceMap Prices => Services.GetRequiredService<TierPriceMap>();

    public async Task<HttpClient> RegistryAsync() =>
        Platform.ClientWithToken(NnoServices.Billing, (await Platform.IssueServiceTokenAsync(NnoServices.Registry)).Token);

    public async Task<HttpClient> ServiceAsync(string service) =>
        Platform.ClientWithToken(NnoServices.Billing, (await Platform.IssueServiceTokenAsync(service)).Token);

    public HttpClient Operator() => Platform.GatewayClient(NnoServices.Billing, GatewayIdentity.StaticKey("0123abcd"));

    public HttpClient User(string role, params string[] platforms) => Platform.GatewayClient(
        NnoServices.Billing,
        GatewayIdentity.Session(Owner, "ses_aaaaaaaaaaaaaaaaaaaa", platforms: platforms.ToDictionary(p => p, _ => role), activePlatformId: platforms.FirstOrDefault()));

    /// <summary>The requests the emulator answered so far.</summary>
    public IReadOnlyList<StripeRequestEntry> StripeRequests => Sandbox.App.Services.GetRequiredService<StripeRequestLog>().Read(0, null);

    /// <summary>Replaces the emulator's fault knobs (admin API).</summary>
    public async Task SetFaultsAsync(object faults) => await SetFaultsAsync(Sandbox, faults);

    public static async Task SetFaultsAsync(TestSandbox sandbox, object faults)
    {
        using var admin = new HttpClient { BaseAddress = sandbox.Address };
        admin.DefaultRequestHeaders.Add("X-Sandbox-Admin", TestSandbox.AdminToken);
        using var response = await admin.PutAsJsonAsync(new Uri("/stripe/_admin/faults", UriKind.Relative), faults);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    public async Task<T> WithDbAsync<T>(Func<BillingDbContext, Task<T>> read)
    {
        await using var scope = Services.CreateAsyncScope();
        return await read(scope.ServiceProvider.GetRequiredService<BillingDbContext>());
    }

    public Task<int> CountAsync<TRecord>() where TRecord : class => WithDbAsync(db => db.Set<TRecord>().CountAsync());

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        await response.Content.ReadFromJsonAsync<JsonElement>(NnoJson.Options);

    public static async Task<JsonElement> ExpectAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Polls (real time, short steps) until <paramref name="done"/>; background work here runs over real sockets.</summary>
    public static async Task UntilAsync(Func<Task<bool>> done, string what, int rounds = 500)
    {
        for (var i = 0; i < rounds; i++)
        {
            if (await done())
            {
                return;
            }

            await Task.Delay(20);
        }

        Assert.Fail("Timed out waiting for " + what);
    }

    public async ValueTask DisposeAsync()
    {
        await Platform.DisposeAsync();
        await Sandbox.DisposeAsync();
    }
}

using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Nno.Core.Services;
using Nno.Gateway;
using Nno.ServiceDefaults.Bindings;
using Nno.ServiceDefaults.Hosting;
using Nno.ServiceDefaults.Security;

namespace Nno.Bench.Gateway;

/// <summary>
/// The cost of authentication on the gateway's hot path: the same trivial upstream handler reached (u) on a public route
/// without credentials, (s) with a session token on a credential-cache hit, and (k) with the static key. A stand-in IAM
/// answers the session validation (once per cache TTL). Target: s ≥ 0.8 × u.
/// Usage: <c>gateway-auth [--concurrency N] [--warmup seconds] [--duration seconds] [--rounds N]</c>.
/// </summary>
public static class GatewayAuthThroughput
{
    private const string SessionToken = "bench-session-token-6f1d0c2b9a8e4d7f";
    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static async Task<int> RunAsync(string[] args)
    {
        var options = GatewayThroughput.Options.Parse(args);
        var directory = new ServiceDirectory();
        var settings = GatewayThroughput.Settings("Warning");
        await using var iam = NnoApplication.Build(IamModule, new NnoApplicationSettings { Directory = directory, Settings = settings, Listen = false });
        await using var upstream = NnoApplication.Build(UpstreamModule, new NnoApplicationSettings { Directory = directory, Settings = settings, Listen = false });
        var gatewayPort = GatewayThroughput.FreePort();
        await using var gateway = NnoApplication.Build(GatewayService.Module, new NnoApplicationSettings
        {
            Directory = directory,
            Settings = GatewayThroughput.Settings("Warning", (NnoApplication.PortKey(NnoServices.Gateway), GatewayThroughput.Port(gatewayPort))),
            ConfigureBuilder = b => b.Services.AddSingleton<IServiceTokenProvider, GatewayThroughput.FixedServiceToken>(),
        });
        await iam.StartAsync();
        await upstream.StartAsync();
        await gateway.StartAsync();

        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 10_000, UseCookies = false, UseProxy = false, AllowAutoRedirect = false };
        using var client = new HttpMessageInvoker(handler);
        var publicUri = new Uri($"http://127.0.0.1:{gatewayPort}/api/v1/billing/webhooks/stripe");
        var privateUri = new Uri($"http://127.0.0.1:{gatewayPort}/api/v1/billing/ping");
        GatewayThroughput.Variant[] variants =
        [
            new("u public, no credential ", publicUri, uri => new HttpRequestMessage(HttpMethod.Post, uri)),
            new("s session, cache hit    ", privateUri, uri => WithBearer(uri, SessionToken)),
            new("k static key            ", privateUri, uri => WithBearer(uri, GatewayThroughput.StaticKey)),
        ];

        Console.WriteLine($"gateway auth throughput: {Environment.ProcessorCount} cores, concurrency {options.Concurrency}, {options.Rounds} interleaved rounds of {options.Duration.TotalSeconds:0} s per variant (after {options.Warmup.TotalSeconds:0} s warmup each), loopback HTTP to the gateway, in-memory upstream");
        if (await GatewayThroughput.MeasureVariantsAsync(client, variants, options) is not var (_, results))
        {
            return 1;
        }

        var sOverU = results[1].RequestsPerSecond / results[0].RequestsPerSecond;
        var kOverU = results[2].RequestsPerSecond / results[0].RequestsPerSecond;
        Console.WriteLine(FormattableString.Invariant($"s/u = {sOverU:0.000}   k/u = {kOverU:0.000}   (target: s/u >= 0.8)"));
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            benchmark = "gateway-auth",
            cores = Environment.ProcessorCount,
            concurrency = options.Concurrency,
            windowSeconds = options.Duration.TotalSeconds,
            rounds = options.Rounds,
            publicRoute = results[0],
            sessionCacheHit = results[1],
            staticKey = results[2],
            sOverU = Math.Round(sOverU, 3),
            kOverU = Math.Round(kOverU, 3),
        }, JsonOptions));

        await gateway.StopAsync();
        await upstream.StopAsync();
        await iam.StopAsync();
        return 0;
    }

    private static HttpRequestMessage WithBearer(Uri uri, string credential)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, uri);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + credential);
        return request;
    }

    /// <summary>The trivial upstream: the public webhook path and a private path answer the same body.</summary>
    private static NnoServiceModule UpstreamModule { get; } = new(NnoServices.BillingInfo, _ => { }, app =>
    {
        app.MapPost("/webhooks/stripe", GatewayThroughput.PingAsync);
        app.MapPost("/ping", GatewayThroughput.PingAsync);
    })
    {
        AcceptsServiceTokens = false,
    };

    /// <summary>A stand-in IAM that knows one session (the benchmark measures the gateway, not IAM).</summary>
    private static NnoServiceModule IamModule { get; } = new(NnoServices.IamInfo, _ => { }, app =>
        app.MapGet("/api/nno/session", static (HttpContext context) =>
            context.Request.Headers["X-Nno-Session-Token"] == SessionToken
                ? Results.Json(new
                {
                    user = new { id = "usr_bench" },
                    session = new { id = "ses_bench", expiresAt = DateTimeOffset.UtcNow.AddDays(1).ToString("O", CultureInfo.InvariantCulture) },
                    role = "user",
                    platformId = "aaaaaaaaa1",
                    platformRole = "owner",
                    platforms = new[] { new { platformId = "aaaaaaaaa1", role = "owner" }, new { platformId = "bbbbbbbbb2", role = "member" } },
                })
                : Results.StatusCode((int)HttpStatusCode.Unauthorized)))
    {
        AcceptsServiceTokens = false,
    };
}

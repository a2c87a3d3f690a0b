using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Nno.Core.Services;
using Nno.Testing;

namespace Nno.EndToEnd.Tests;

/// <summary>The all-in-one host as a user runs it: a child process on free ports with its own data directory.</summary>
public sealed class AllInOneHostTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Start_EveryServiceAnswersHealthOnItsOwnPort()
    {
        using var data = new TempDirectory("nno-e2e");
        var clock = Stopwatch.StartNew();
        await using var host = HostProcess.Start(data.Path);
        await host.WaitUntilHealthyAsync(StartTimeout);
        var startSeconds = clock.Elapsed.TotalSeconds;

        using var http = new HttpClient();
        foreach (var service in NnoServices.All)
        {
            using var response = await http.GetAsync(new Uri(host.Url(service.Name), "health"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal("ok", body.RootElement.GetProperty("status").GetString());
            Assert.Equal(service.Name, body.RootElement.GetProperty("service").GetString());
            Assert.Equal("local", body.RootElement.GetProperty("environment").GetString());
            Assert.True(response.Headers.Contains("X-Request-Id"));

            HttpResponseMessage openApi;
            try
            {
                openApi = await http.GetAsync(new Uri(host.Url(service.Name), "openapi/v1.json"));
            }
            catch (HttpRequestException ex)
            {
                // A reset here means the host aborted the request or exited: its own output says why.
                throw new Xunit.Sdk.XunitException($"GET {service.Name} /openapi/v1.json failed: {ex.Message}\nstderr:\n{host.Stderr}");
            }

            using (openApi)
            {
                Assert.Equal(HttpStatusCode.OK, openApi.StatusCode);
            }
        }

        // The banner names every service's address; starting cold takes a few seconds, not tens.
        foreach (var service in NnoServices.All)
        {
            Assert.Contains($"http://127.0.0.1:{host.Ports[service.Name]}", host.Stderr, StringComparison.Ordinal);
        }

        Assert.True(startSeconds < 30, $"cold start took {startSeconds:0.0} s");
        Assert.True(File.Exists(Path.Combine(data.Path, "secrets", "service-clients.json")));
        foreach (var db in new[] { "iam", "registry", "billing", "provisioning", "marketplace", "cli" })
        {
            Assert.True(File.Exists(Path.Combine(data.Path, "db", db + ".db")), $"database {db} was not created");
        }
    }

    [Fact]
    public async Task Gateway_EveryRoutingRow_ReachesItsService()
    {
        using var data = new TempDirectory("nno-e2e");
        await using var host = HostProcess.Start(data.Path);
        await host.WaitUntilHealthyAsync(StartTimeout);
        using var http = new HttpClient { BaseAddress = host.Url(NnoServices.Gateway) };
        // The all-in-one host generated the static service key into the data directory (gateway.md §2).
        var staticKey = (await File.ReadAllTextAsync(Path.Combine(data.Path, "secrets", "auth-api-key"))).Trim();
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", staticKey);

        // Each row of gateway.md §3.2: the public path reaches its upstream (which, with no routes of that name yet,
        // answers its own 404 naming itself and the rewritten path).
        var rows = new (string Public, string Service, string UpstreamPath)[]
        {
            ("/api/v1/iam/e2e/probe?x=1", "iam", "/api/e2e/probe"),
            ("/api/v1/platforms/e2eprobe00/probe", "registry", "/api/v1/platforms/e2eprobe00/probe"),
            ("/api/v1/billing/e2e/probe", "billing", "/e2e/probe"),
            ("/api/v1/provisioning/e2e/probe", "provisioning", "/api/v1/provision/e2e/probe"),
            ("/api/v1/stacks/e2e/probe", "stack-registry", "/api/v1/stacks/e2e/probe"),
            ("/api/v1/cli/e2e/probe", "cli", "/api/v1/platforms/e2e/probe"),
            ("/api/v1/onboarding/e2e/probe", "registry", "/api/v1/onboarding/e2e/probe"),
        };
        foreach (var (publicPath, service, upstreamPath) in rows)
        {
            using var response = await http.GetAsync(new Uri(publicPath, UriKind.Relative));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{publicPath}: {(int)response.StatusCode} {text}");
            using var body = JsonDocument.Parse(text);
            var error = body.RootElement.GetProperty("error");
            Assert.Equal("NOT_FOUND", error.GetProperty("code").GetString());
            Assert.Equal($"No route matches GET {upstreamPath} on the {service} service.", error.GetProperty("message").GetString());
        }

        using var unknown = await http.GetAsync(new Uri("/api/v1/iamx/probe", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.DoesNotContain("service.", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Services_CalledDirectlyWithoutServiceToken_Answer401()
    {
        using var data = new TempDirectory("nno-e2e");
        await using var host = HostProcess.Start(data.Path);
        await host.WaitUntilHealthyAsync(StartTimeout);
        using var http = new HttpClient();
        foreach (var service in NnoServices.Upstreams)
        {
            using var response = await http.GetAsync(new Uri(host.Url(service.Name), "api/v1/anything"));
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal("UNAUTHORIZED", body.RootElement.GetProperty("error").GetProperty("code").GetString());
            Assert.False(string.IsNullOrEmpty(body.RootElement.GetProperty("error").GetProperty("requestId").GetString()));
        }
    }

    [Fact]
    public async Task Host_KilledThenRestarted_ComesBackOnTheSameData()
    {
        using var data = new TempDirectory("nno-e2e");
        string secretsBefore;
        string jwksBefore;
        IReadOnlyDictionary<string, int> ports;
        await using (var first = HostProcess.Start(data.Path))
        {
            await first.WaitUntilHealthyAsync(StartTimeout);
            ports = first.Ports;
            secretsBefore = await File.ReadAllTextAsync(Path.Combine(data.Path, "secrets", "service-clients.json"));
            jwksBefore = await GetJwksKidsAsync(first);
            await first.KillAsync();
        }

        await using var second = HostProcess.Start(data.Path, ports);
        await second.WaitUntilHealthyAsync(StartTimeout);
        Assert.Equal(secretsBefore, await File.ReadAllTextAsync(Path.Combine(data.Path, "secrets", "service-clients.json")));
        Assert.Equal(jwksBefore, await GetJwksKidsAsync(second));

        // A graceful stop ends the process promptly with exit code 0.
        Assert.True(await second.TerminateAsync(TimeSpan.FromSeconds(20)), "the host did not stop on SIGTERM");
        Assert.Equal(0, second.ExitCode);
    }

    private static async Task<string> GetJwksKidsAsync(HostProcess host)
    {
        using var http = new HttpClient();
        var json = await http.GetStringAsync(new Uri(host.Url(NnoServices.Iam), "api/nno/jwks"));
        using var doc = JsonDocument.Parse(json);
        var kids = doc.RootElement.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()).Order().ToArray();
        Assert.NotEmpty(kids);
        return string.Join(",", kids);
    }
}

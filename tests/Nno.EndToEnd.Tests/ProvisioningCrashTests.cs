using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Nno.Core.Services;
using Nno.Testing;

namespace Nno.EndToEnd.Tests;

/// <summary>
/// Issue 6 acceptance: 20 bootstraps (P1 through the gateway with the operator key) run in the all-in-one host against
/// its Cloudflare emulator; the host is killed mid-way and restarted on the same data. Every job completes and the
/// emulator holds exactly one of each expected resource per platform.
/// </summary>
public sealed class ProvisioningCrashTests
{
    private const int Platforms = 20;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task TwentyBootstraps_HostKilledMidWay_AfterRestartEveryJobCompletes_WithOneOfEachResource()
    {
        using var data = new TempDirectory("nno-e2e-prov");
        var ports = NnoServices.All.ToDictionary(s => s.Name, _ => FreePort.Get());
        var sandboxPort = FreePort.Get();
        ports["sandbox"] = sandboxPort;
        var environment = new Dictionary<string, string>
        {
            // Short leases so the restarted process resumes the killed runs within seconds.
            ["Provisioning__LeaseSeconds"] = "3",
            ["Provisioning__LeaseRenewSeconds"] = "1",
            ["Provisioning__StaleRunSeconds"] = "1",
            ["Provisioning__SweepSeconds"] = "1",
            ["Provisioning__Retry__BaseSeconds"] = "0.2",
            ["Provisioning__Retry__MaxSeconds"] = "2",
        };
        var pids = Enumerable.Range(0, Platforms).Select(i => "e2e" + Guid.NewGuid().ToString("N")[..5] + i.ToString("D2", System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var jobs = new Dictionary<string, string>();

        await using (var first = HostProcess.Start(data.Path, ports, environment))
        {
            await first.WaitUntilHealthyAsync(StartTimeout);
            using var admin = AdminClient(sandboxPort);
            // Every emulator answer takes 20–60 ms, so the kill lands while jobs run.
            using (var faults = await admin.PutAsJsonAsync("faults", new { latencyMs = new { min = 20, max = 60 } }))
            {
                Assert.True(faults.IsSuccessStatusCode);
            }

            using var http = OperatorClient(first, data.Path);
            foreach (var pid in pids)
            {
                using var response = await http.PostAsJsonAsync("api/v1/provisioning/platform", new { platformId = pid, planTier = "starter", billingEmail = "ops@example.com" });
                var text = await response.Content.ReadAsStringAsync();
                Assert.True(response.StatusCode == HttpStatusCode.Accepted, text);
                jobs[pid] = JsonDocument.Parse(text).RootElement.GetProperty("jobId").GetString()!;
            }

            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(60))
            {
                var statuses = await StatusesAsync(http, jobs.Values);
                if (statuses.Count(s => s == "COMPLETED") >= 2)
                {
                    Assert.Contains(statuses, s => s != "COMPLETED");
                    break;
                }

                await Task.Delay(50);
            }

            await first.KillAsync();
        }

        await using var second = HostProcess.Start(data.Path, ports, environment);
        await second.WaitUntilHealthyAsync(StartTimeout);
        using var again = OperatorClient(second, data.Path);
        var finished = Stopwatch.StartNew();
        IReadOnlyList<string> final = [];
        while (finished.Elapsed < TimeSpan.FromSeconds(120))
        {
            final = await StatusesAsync(again, jobs.Values);
            if (final.All(s => s is "COMPLETED" or "ROLLED_BACK" or "ROLLBACK_FAILED" or "FAILED"))
            {
                break;
            }

            await Task.Delay(200);
        }

        Assert.All(final, s => Assert.Equal("COMPLETED", s));
        using var state = JsonDocument.Parse(await AdminClient(sandboxPort).GetStringAsync(new Uri("state", UriKind.Relative)));
        int Count(string kind, string pid) => state.RootElement.GetProperty(kind).GetProperty("names").EnumerateArray().Count(n => n.GetString()!.Contains(pid, StringComparison.Ordinal));
        foreach (var pid in pids)
        {
            Assert.Equal(1, Count("d1", pid));
            Assert.Equal(1, Count("workers", pid));
            Assert.Equal(2, Count("customHostnames", pid));
            Assert.Equal(1, Count("workerRoutes", pid));
            Assert.Equal(1, Count("pagesProjects", pid));
            Assert.Equal(1, Count("pagesDomains", pid));
        }
    }

    private static async Task<IReadOnlyList<string>> StatusesAsync(HttpClient http, IEnumerable<string> jobIds)
    {
        var statuses = new List<string>();
        foreach (var id in jobIds)
        {
            using var response = await http.GetAsync(new Uri($"api/v1/provisioning/jobs/{id}", UriKind.Relative));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, text);
            statuses.Add(JsonDocument.Parse(text).RootElement.GetProperty("status").GetString()!);
        }

        return statuses;
    }

    private static HttpClient AdminClient(int sandboxPort)
    {
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{sandboxPort}/cloudflare/_admin/"), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Add("X-Sandbox-Admin", "sandbox-admin");
        return http;
    }

    private static HttpClient OperatorClient(HostProcess host, string dataDir)
    {
        var http = new HttpClient { BaseAddress = host.Url(NnoServices.Gateway), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", File.ReadAllText(Path.Combine(dataDir, "secrets", "auth-api-key")).Trim());
        return http;
    }
}

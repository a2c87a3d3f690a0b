using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Nno.Provisioning.Jobs;
using Nno.Provisioning.Outbox;
using Nno.Provisioning.Steps;
using Nno.Provisioning.Steps.Common;
using Nno.Provisioning.Tests.Support;

namespace Nno.Provisioning.Tests.Jobs;

public sealed class RegistryOutboxTests
{
    private const string DomainId = "dom_abcdefgh12345678";

    /// <summary>
    /// upload_auth_worker reports the Worker and its secret; register_auth_hostname reports the hostname's DNS record
    /// (resourceId = the Worker), a custom-domain PATCH naming that record, and one naming a route the Registry never
    /// heard of (never reported: its id stays unknown).
    /// </summary>
    private static ScriptedSteps ReportingSteps()
    {
        var steps = new ScriptedSteps();
        steps.Run["upload_auth_worker"] = async (context, _, token) =>
        {
            var worker = await context.RecordResourceAsync(
                new LedgerEntry(ResourceKinds.Worker, context.Step.ResourceName!, "worker-cf-id", context.Job.Environment),
                createdByJob: true,
                row => [RegistryReports.Resource(row, new ResourceReport("default", "worker", "auth", row.Name, "prod", "active", row.CfId, null, null, context.Job.Id))],
                token);
            await context.ReportAsync([RegistryReports.SecretSet(worker, "BETTER_AUTH_SECRET", context.Now)], token);
            return StepOutcome.Done;
        };
        steps.Run["register_auth_hostname"] = async (context, _, token) =>
        {
            var workerName = context.Job.PlatformId + "-default-auth";
            var worker = await LedgerReports.TargetResourceAsync(context.Db, context.Job.PlatformId, workerName, token);
            var hostname = await context.RecordResourceAsync(
                new LedgerEntry(ResourceKinds.CustomHostname, $"auth.svc.default.{context.Job.PlatformId}.nno.run", "hostname-cf-id", context.Job.Environment),
                createdByJob: true,
                row => [LedgerReports.DnsRecord(row, workerName, worker, "pending")],
                token);
            var route = await context.RecordResourceAsync(
                new LedgerEntry(ResourceKinds.WorkerRoute, $"auth.svc.default.{context.Job.PlatformId}.nno.run/*", "route-cf-id", context.Job.Environment),
                createdByJob: true, null, token);
            await context.ReportAsync(
                [
                    RegistryReports.CustomDomain(context.Job.PlatformId, DomainId, new { status = "pending", dnsRecordId = RegistryReports.RegistryIdValue(hostname) }),
                    RegistryReports.CustomDomain(context.Job.PlatformId, DomainId, new { status = "pending", dnsRecordId = RegistryReports.RegistryIdValue(route) }),
                ],
                token);
            return StepOutcome.Done;
        };
        return steps;
    }

    [Fact]
    public async Task Reports_GoInOrderPerPlatform_WaitBehindAFailure_AndResolveRegistryIdsInPathsAndBodiesAtSendTime()
    {
        var registryDown = true;
        var steps = ReportingSteps();
        var registry = new RecordingRegistry
        {
            // The Registry is down at first: every call answers 503.
            Answer = _ => registryDown ? (HttpStatusCode.ServiceUnavailable, null) : null,
        };
        await using var host = await ProvisioningHost.StartAsync(steps: steps, registry: registry);
        using var client = await host.RegistryClientAsync();

        var jobId = await ProvisioningHost.PostJobAsync(client, "/api/v1/provision/platform", ProvisioningHost.ProvisionBody("kkkkkkkkkk"));
        await host.UntilStatusAsync(jobId, JobStatuses.Completed);
        await host.UntilAsync(() => Task.FromResult(registry.Calls.Count >= 3), "a few failed deliveries");
        // While the first row fails, nothing behind it is sent (FIFO per platform): every failed call is the first event.
        Assert.All(registry.Calls, c => Assert.Equal(registry.Calls.First().Path, c.Path));

        registryDown = false;
        await host.UntilAsync(async () => await host.WithDbAsync(db => db.Outbox.AllAsync(o => o.SentAt != null)), "every row to be sent");
        var sent = registry.Calls.Where(c => !c.Method.Contains('!', StringComparison.Ordinal)).ToList();
        var order = sent.Select(c => c.Method + " " + c.Path).ToList();
        Assert.Equal("POST /api/v1/platforms/kkkkkkkkkk/provision-events", order[0]);
        var resource = order.IndexOf("POST /api/v1/platforms/kkkkkkkkkk/resources");
        var secret = order.FindIndex(o => o.StartsWith("PUT /api/v1/platforms/kkkkkkkkkk/resources/", StringComparison.Ordinal));
        var completed = sent.FindLastIndex(c => c.Body?.Contains("COMPLETED", StringComparison.Ordinal) == true);
        Assert.True(resource >= 0 && resource < secret && secret < completed, string.Join(" | ", order));

        var registryId = await host.WithDbAsync(db => db.Resources.Where(r => r.Kind == ResourceKinds.Worker).Select(r => r.RegistryId).SingleAsync());
        Assert.NotNull(registryId);
        Assert.Equal($"/api/v1/platforms/kkkkkkkkkk/resources/{registryId}/secrets/BETTER_AUTH_SECRET", sent[secret].Path);
        Assert.DoesNotContain(sent, c => c.Body?.Contains("owner@example.com", StringComparison.Ordinal) == true);

        // Body references: the DNS record names the Worker's Registry id, the custom domain the DNS record's; a row never
        // reported goes as null (the platform is not blocked behind it).
        var hostnameId = await host.WithDbAsync(db => db.Resources.Where(r => r.Kind == ResourceKinds.CustomHostname).Select(r => r.RegistryId).SingleAsync());
        Assert.NotNull(hostnameId);
        Assert.NotEqual(registryId, hostnameId);
        var dns = Assert.Single(sent, c => c.Method == "POST" && c.Path.EndsWith("/dns-records", StringComparison.Ordinal));
        Assert.Equal(registryId, Field(dns, "resourceId"));
        var domains = sent.Where(c => c.Method == "PATCH" && c.Path == "/api/v1/platforms/kkkkkkkkkk/custom-domains/" + DomainId).ToList();
        Assert.Equal(2, domains.Count);
        Assert.Equal(hostnameId, Field(domains[0], "dnsRecordId"));
        using (var unknown = JsonDocument.Parse(domains[1].Body!))
        {
            Assert.Equal(JsonValueKind.Null, unknown.RootElement.GetProperty("dnsRecordId").ValueKind);
        }

        Assert.DoesNotContain(sent, c => c.Body?.Contains("{registryId:", StringComparison.Ordinal) == true);
    }

    /// <summary>
    /// provisioning.md §7 item 19: the Registry is down for 2 minutes (one platform's calls answer 503, another's cannot
    /// connect): every job still completes meanwhile, and after recovery every report arrives, per platform in outbox
    /// order, each platform's resources before its COMPLETED event.
    /// </summary>
    [Fact]
    public async Task RegistryDownForTwoMinutes_JobsStillComplete_AndReportsArriveAfterwardsInPerPlatformOrder()
    {
        string[] pids = ["rdaaaaaaaa", "rdbbbbbbbb", "rdcccccccc"];
        var registryDown = true;
        var registry = new RecordingRegistry
        {
            Answer = call =>
            {
                if (!Volatile.Read(ref registryDown))
                {
                    return null;
                }

                // Unreachable for one platform's calls, 503 for the others'.
                return call.Path.Contains(pids[1], StringComparison.Ordinal)
                    ? throw new HttpRequestException("Connection refused (registry:443)")
                    : (HttpStatusCode.ServiceUnavailable, null);
            },
        };
        // The production outbox backoff (1 s → 5 min), not the tests' shortened one.
        var settings = new Dictionary<string, string?> { ["Provisioning:Outbox:RetryBaseSeconds"] = "1", ["Provisioning:Outbox:RetryMaxSeconds"] = "300" };
        await using var host = await ProvisioningHost.StartAsync(settings, steps: ReportingSteps(), registry: registry);
        using var client = await host.RegistryClientAsync();
        var outageStart = host.Platform.Time.GetUtcNow();

        var jobs = new List<string>();
        foreach (var pid in pids)
        {
            jobs.Add(await ProvisioningHost.PostJobAsync(client, "/api/v1/provision/platform", ProvisioningHost.ProvisionBody(pid)));
        }

        foreach (var job in jobs)
        {
            await host.UntilStatusAsync(job, JobStatuses.Completed, TimeSpan.FromSeconds(1));
        }

        Assert.True(host.Platform.Time.GetUtcNow() - outageStart < TimeSpan.FromMinutes(2), "the jobs completed during the outage");
        // Keep the Registry down for the rest of the 2 minutes: nothing is delivered, every platform's head keeps retrying.
        while (host.Platform.Time.GetUtcNow() - outageStart < TimeSpan.FromMinutes(2))
        {
            host.Platform.Time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(5);
        }

        Assert.Equal(0, await host.WithDbAsync(db => db.Outbox.CountAsync(o => o.SentAt != null)));
        var heads = (await host.WithDbAsync(db => db.Outbox.AsNoTracking().ToListAsync())).GroupBy(o => o.PlatformId).Select(g => g.MinBy(o => o.Seq)!).ToList();
        Assert.Equal(pids, heads.Select(h => h.PlatformId).Order());
        Assert.All(heads, h => Assert.True(h.Attempts >= 3, $"{h.PlatformId} retried {h.Attempts} times"));
        Assert.All(heads, h => Assert.StartsWith(h.PlatformId == pids[1] ? "network:" : "503", h.LastError, StringComparison.Ordinal));
        var failed = registry.Calls.Count;

        Volatile.Write(ref registryDown, false);
        await host.UntilAsync(async () => await host.WithDbAsync(db => db.Outbox.AllAsync(o => o.SentAt != null)), "every report to arrive", TimeSpan.FromSeconds(1));

        var delivered = registry.Calls.Skip(failed).ToList();
        Assert.All(delivered, c => Assert.DoesNotContain('!', c.Method));
        foreach (var pid in pids)
        {
            var rows = await host.WithDbAsync(db => db.Outbox.AsNoTracking().Where(o => o.PlatformId == pid).OrderBy(o => o.Seq).ToListAsync());
            var calls = delivered.Where(c => c.Path.StartsWith($"/api/v1/platforms/{pid}/", StringComparison.Ordinal)).ToList();
            // Every report arrived exactly once, in the platform's outbox order.
            Assert.Equal(rows.Select(r => r.Method + " " + Template(r.PathTemplate)), calls.Select(c => c.Method + " " + Template(c.Path)));
            Assert.Equal(rows.Where(r => r.Method == "POST").Select(r => "prov-outbox:" + r.Seq), calls.Where(c => c.Method == "POST").Select(c => c.IdempotencyKey));
            var order = calls.Select(c => c.Method + " " + c.Path).ToList();
            var resource = order.IndexOf($"POST /api/v1/platforms/{pid}/resources");
            var dns = order.IndexOf($"POST /api/v1/platforms/{pid}/dns-records");
            var completed = calls.FindIndex(c => c.Body?.Contains("\"COMPLETED\"", StringComparison.Ordinal) == true);
            Assert.True(resource >= 0 && resource < dns && dns < completed, string.Join(" | ", order));
            Assert.Equal(completed, calls.Count - 1);
            var workerId = await host.WithDbAsync(db => db.Resources.Where(r => r.PlatformId == pid && r.Kind == ResourceKinds.Worker).Select(r => r.RegistryId).SingleAsync());
            Assert.Equal(workerId, Field(calls[dns], "resourceId"));
        }
    }

    private static string? Field(RegistryCall call, string name)
    {
        using var body = JsonDocument.Parse(call.Body!);
        return body.RootElement.GetProperty(name).GetString();
    }

    /// <summary>A path with its Registry ids (resolved or not) blanked, to compare a sent call with its outbox row.</summary>
    private static string Template(string path) =>
        System.Text.RegularExpressions.Regex.Replace(path, @"/resources/[^/]+/secrets/|/dns-records/[^/]+$", m => m.Value.StartsWith("/resources/", StringComparison.Ordinal) ? "/resources/*/secrets/" : "/dns-records/*");

    [Fact]
    public async Task ProvisionEvent404NamingTheJob_IsDropped_ButABare404KeepsRetrying()
    {
        var registry = new RecordingRegistry
        {
            Answer = call => call.Path.EndsWith("/provision-events", StringComparison.Ordinal)
                ? (HttpStatusCode.NotFound, call.Path.Contains("mmmmmmmmmm", StringComparison.Ordinal)
                    ? """{"error":{"code":"NOT_FOUND","message":"no route","details":null}}"""
                    : """{"error":{"code":"NOT_FOUND","message":"x","details":{"resource":"job"}}}""")
                : null,
        };
        await using var host = await ProvisioningHost.StartAsync(registry: registry);
        using var client = await host.RegistryClientAsync();
        var dropped = await ProvisioningHost.PostJobAsync(client, "/api/v1/provision/platform", ProvisioningHost.ProvisionBody("llllllllll"));
        var kept = await ProvisioningHost.PostJobAsync(client, "/api/v1/provision/platform", ProvisioningHost.ProvisionBody("mmmmmmmmmm"));
        await host.UntilStatusAsync(dropped, JobStatuses.Completed);
        await host.UntilStatusAsync(kept, JobStatuses.Completed);
        await host.UntilAsync(async () => await host.WithDbAsync(db => db.Outbox.Where(o => o.PlatformId == "llllllllll").AllAsync(o => o.SentAt != null)), "the dropped events");
        await host.UntilAsync(() => Task.FromResult(registry.Calls.Count(c => c.Path.Contains("mmmmmmmmmm", StringComparison.Ordinal)) >= 3), "retries of the bare 404");
        Assert.Equal(0, await host.WithDbAsync(db => db.Outbox.CountAsync(o => o.PlatformId == "mmmmmmmmmm" && o.SentAt != null)));
    }
}

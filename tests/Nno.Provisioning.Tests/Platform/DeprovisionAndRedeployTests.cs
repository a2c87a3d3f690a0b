using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Nno.Provisioning.Bundles;
using Nno.Provisioning.Data;
using Nno.Provisioning.Jobs;

namespace Nno.Provisioning.Tests.Platform;

/// <summary>DEPROVISION_PLATFORM and REDEPLOY_AUTH_WORKER against the emulator (provisioning.md §7 items 9, 17, 18).</summary>
public sealed class DeprovisionAndRedeployTests
{
    private const string Account = SandboxedProvisioning.AccountPath;

    [Fact]
    public async Task P2_KeepsDataWithoutPurge_ThenPurgesFromTheLedgerOnly_EmptyingTheBucketThroughS3_AndResumesAfterP12()
    {
        await using var env = await SandboxedProvisioning.StartAsync();
        const string pid = "pc17171717";
        var provision = await env.ProvisionAsync(pid);
        await env.UntilStatusAsync(provision, JobStatuses.Completed);

        // Stack data stores as a feature activation would have left them (in Cloudflare and in the ledger).
        var bucket = $"{pid}-default-storage";
        await env.CfAsync(HttpMethod.Post, $"{Account}/r2/buckets", new { name = bucket });
        for (var i = 0; i < 150; i++)
        {
            using var put = new HttpRequestMessage(HttpMethod.Put, new Uri($"{Account}/r2/buckets/{bucket}/objects/crm/obj-{i:D3}", UriKind.Relative)) { Content = new ByteArrayContent([1, 2, 3]) };
            using var answer = await env.Api.SendAsync(put);
            Assert.True(answer.IsSuccessStatusCode);
        }

        var kvId = (await env.CfAsync(HttpMethod.Post, $"{Account}/storage/kv/namespaces", new { title = $"{pid}-default-kv" })).GetProperty("result").GetProperty("id").GetString()!;
        var queueId = (await env.CfAsync(HttpMethod.Post, $"{Account}/queues", new { queue_name = $"{pid}-default-queue" })).GetProperty("result").GetProperty("queue_id").GetString()!;
        await AddLedgerAsync(env, pid, ResourceKinds.R2, bucket, bucket);
        await AddLedgerAsync(env, pid, ResourceKinds.Kv, $"{pid}-default-kv", kvId);
        await AddLedgerAsync(env, pid, ResourceKinds.Queue, $"{pid}-default-queue", queueId);
        // Same prefix, made outside NNO: never touched.
        await env.CfAsync(HttpMethod.Post, $"{Account}/storage/kv/namespaces", new { title = $"{pid}-default-kv-manual" });
        await env.CfAsync(HttpMethod.Post, $"{Account}/d1/database", new { name = $"{pid}-default-db-manual" });

        // purgeData false: compute, routing and hostnames go; data stays active.
        var keep = await env.PostAsync(SandboxedProvisioning.DeprovisionPath, new { platformId = pid, purgeData = false });
        await env.UntilStatusAsync(keep, JobStatuses.Completed);
        var state = await env.StateAsync();
        foreach (var kind in new[] { "workers", "customHostnames", "workerRoutes", "pagesProjects", "pagesDomains" })
        {
            Assert.DoesNotContain(state[kind], n => n.Contains(pid, StringComparison.Ordinal));
        }

        Assert.Contains($"{pid}-default-auth-db", state["d1"]);
        Assert.Contains(bucket, state["r2Buckets"]);
        var steps = await env.StepsAsync(keep);
        Assert.All(steps.Skip(4), s => Assert.Equal(StepStatuses.Skipped, s.Status));
        var ledger = await env.LedgerAsync(pid);
        Assert.All(ledger.Where(r => r.Kind is ResourceKinds.D1 or ResourceKinds.R2 or ResourceKinds.Kv or ResourceKinds.Queue), r => Assert.Equal("active", r.Status));
        Assert.All(ledger.Where(r => r.Kind is ResourceKinds.Worker or ResourceKinds.PagesProject or ResourceKinds.CustomHostname or ResourceKinds.WorkerRoute or ResourceKinds.PagesDomain), r => Assert.Equal("deleted", r.Status));
        await env.UntilOutboxDrainedAsync();
        Assert.True(ReportedInOrder(env, "auth", "deleting", "deleted"));
        Assert.True(ReportedInOrder(env, "portal", "deleting", "deleted"));
        Assert.Contains(env.Registry.Calls, c => c.Method == "DELETE" && c.Path.Contains("/dns-records/", StringComparison.Ordinal));

        // purgeData true: the data stores go too; the bucket is emptied with 3 lists and 3 deletes of 50 keys. The
        // bucket delete fails once for good: the job is irreversible, so FAILED is terminal and P12 resumes it.
        await env.SetFaultsAsync(new
        {
            r2ListMaxKeys = 50,
            failNext = new[] { new { method = "DELETE", pathRegex = $"r2/buckets/{bucket}$", status = 400, code = 10001, message = "refused", count = 1 } },
        });
        var since = (await env.RequestsAsync()).Max(r => r.Seq);
        var purge = await env.PostAsync(SandboxedProvisioning.DeprovisionPath, new { platformId = pid, purgeData = true });
        await env.UntilStatusAsync(purge, JobStatuses.Failed);
        Assert.Equal("empty_and_delete_r2", (await env.JobAsync(purge)).ErrorStep);
        Assert.Equal(StepStatuses.Completed, (await env.StepsAsync(purge)).Single(s => s.Name == "delete_queues").Status);
        using (var op = env.Operator())
        using (var retry = await op.PostAsync(new Uri($"/api/v1/provision/jobs/{purge}/retry", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        }

        await env.UntilStatusAsync(purge, JobStatuses.Completed);
        Assert.Equal(2, (await env.JobAsync(purge)).RunNumber);
        var s3 = (await env.RequestsAsync()).Where(r => r.Seq > since && r.Path.StartsWith("/cloudflare/r2-s3/", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, s3.Count(r => r.Method == "GET" && r.Query!.Contains("list-type=2", StringComparison.Ordinal)));
        Assert.Equal(3, s3.Count(r => r.Method == "POST" && r.Query!.Contains("delete", StringComparison.Ordinal)));
        // The queue was deleted in run 1 and not touched again.
        Assert.Single(await env.RequestsAsync(), r => r.Method == "DELETE" && r.Path.EndsWith("/queues/" + queueId, StringComparison.Ordinal));

        state = await env.StateAsync();
        Assert.DoesNotContain($"{pid}-default-auth-db", state["d1"]);
        Assert.DoesNotContain(bucket, state["r2Buckets"]);
        Assert.DoesNotContain($"{pid}-default-kv", state["kvNamespaces"]);
        Assert.DoesNotContain($"{pid}-default-queue", state["queues"]);
        Assert.Contains($"{pid}-default-kv-manual", state["kvNamespaces"]);
        Assert.Contains($"{pid}-default-db-manual", state["d1"]);
        Assert.Contains(env.Logs.Lines, l => l.Contains("provisioning.deprovision.unledgered", StringComparison.Ordinal) && l.Contains($"{pid}-default-kv-manual", StringComparison.Ordinal));
        Assert.All(await env.LedgerAsync(pid), r => Assert.Equal("deleted", r.Status));
        await env.UntilOutboxDrainedAsync();
        foreach (var logical in new[] { "auth-db", "storage", "kv", "queue" })
        {
            Assert.True(ReportedInOrder(env, logical, "deleting", "deleted"), logical);
        }

        Assert.Contains(env.Registry.Calls, c => c.Path.EndsWith("/provision-events", StringComparison.Ordinal) && c.Body!.Contains(purge, StringComparison.Ordinal)
            && c.Body.Contains("\"runNumber\":2", StringComparison.Ordinal) && c.Body.Contains("\"COMPLETED\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task P3_KeepsSecrets_AndAFailureAfterTheUploadOfANewerBundleReuploadsThePreviousOne()
    {
        // Pinned to 1.0.0 first (an operator's Provisioning:AuthWorkerVersion), so the platform runs the older bundle.
        await using var env = await SandboxedProvisioning.StartAsync(new Dictionary<string, string?> { ["Provisioning:AuthWorkerVersion"] = "1.0.0" });
        const string pid = "pc18181818";
        const string script = $"{pid}-default-auth";
        var scriptPath = $"/cloudflare/client/v4/{Account}/workers/scripts/{script}";
        var v100 = BundleCatalogue.Embedded.FindAuthWorker("1.0.0")!.Script.ToArray();
        var v110 = BundleCatalogue.Embedded.FindAuthWorker("1.1.0")!.Script.ToArray();
        var provision = await env.ProvisionAsync(pid);
        await env.UntilStatusAsync(provision, JobStatuses.Completed);
        Assert.Equal(v100, await env.WorkerModuleAsync(script, "index.js"));

        var redeploy = await env.PostAsync(SandboxedProvisioning.RedeployPath, new { platformId = pid, environment = "prod" });
        await env.UntilStatusAsync(redeploy, JobStatuses.Completed);
        Assert.Equal(2, (await env.RequestsAsync()).Count(r => r.Method == "PUT" && r.Path == scriptPath));
        Assert.Equal(1, (await env.RequestsAsync()).Count(r => r.Method == "PUT" && r.Path == scriptPath + "/secrets"));
        var secrets = (await env.CfAsync(HttpMethod.Get, $"{Account}/workers/scripts/{script}/secrets")).GetProperty("result");
        Assert.Contains(secrets.EnumerateArray(), s => s.GetProperty("name").GetString() == "BETTER_AUTH_SECRET");

        // Unpinned: P3 uploads the newest bundle (1.1.0); its secrets step then fails for good, and the rollback
        // re-uploads 1.0.0, keeping the secret.
        env.Configure("Provisioning:AuthWorkerVersion", "");
        await env.SetFaultsAsync(new { failNext = new[] { new { method = "GET", pathRegex = "secrets$", status = 400, code = 10001, message = "refused", count = 1 } } });
        var failing = await env.PostAsync(SandboxedProvisioning.RedeployPath, new { platformId = pid, environment = "prod", rotateSecrets = true });
        await env.UntilStatusAsync(failing, JobStatuses.RolledBack);
        var upload = (await env.StepsAsync(failing)).Single(s => s.Name == "upload_auth_worker");
        Assert.Equal(StepStatuses.Undone, upload.Status);
        var output = JsonDocument.Parse(upload.OutputJson).RootElement;
        Assert.Equal("1.1.0", output.GetProperty("version").GetString());
        Assert.Equal("1.0.0", output.GetProperty("previousVersion").GetString());
        Assert.Equal("1.0.0", output.GetProperty("restoredVersion").GetString());
        Assert.Equal(4, (await env.RequestsAsync()).Count(r => r.Method == "PUT" && r.Path == scriptPath));
        Assert.Equal(v100, await env.WorkerModuleAsync(script, "index.js"));
        var ledger = (await env.LedgerAsync(pid)).Single(r => r.Kind == ResourceKinds.Worker && r.Name == script);
        Assert.Equal("1.0.0", JsonDocument.Parse(ledger.MetaJson).RootElement.GetProperty("bundleVersion").GetString());
        secrets = (await env.CfAsync(HttpMethod.Get, $"{Account}/workers/scripts/{script}/secrets")).GetProperty("result");
        Assert.Contains(secrets.EnumerateArray(), s => s.GetProperty("name").GetString() == "BETTER_AUTH_SECRET");
        Assert.Contains(script, (await env.StateAsync())["workers"]);

        // rotateSecrets sets a new secret and reports its name; the newest bundle is now deployed.
        var rotate = await env.PostAsync(SandboxedProvisioning.RedeployPath, new { platformId = pid, environment = "prod", rotateSecrets = true });
        await env.UntilStatusAsync(rotate, JobStatuses.Completed);
        Assert.Equal(2, (await env.RequestsAsync()).Count(r => r.Method == "PUT" && r.Path == scriptPath + "/secrets"));
        Assert.Equal(v110, await env.WorkerModuleAsync(script, "index.js"));

        // The POSTs carried a body limit and the outbox ran: neither routing's "could not be applied" warning (the
        // in-memory server has no IHttpMaxRequestBodySizeFeature) nor EF's row limit without OrderBy was logged.
        await env.UntilOutboxDrainedAsync();
        Assert.DoesNotContain(env.Logs.Lines, l => l.Contains("request body size limit could not be applied", StringComparison.Ordinal));
        Assert.DoesNotContain(env.Logs.Lines, l => l.Contains("row limiting operator", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Lanes_StgAndProdRunTogether_ProdJobsSerialize_AndAnAllEnvironmentsJobWaitsForBothAndDelaysALaterOne()
    {
        await using var env = await SandboxedProvisioning.StartAsync();
        const string pid = "pc24242424";
        // Every Cloudflare answer takes 50 ms of the shared clock, so jobs take long enough to overlap.
        await env.SetFaultsAsync(new { latencyMs = new { min = 50, max = 50 } });

        var prod = await env.ProvisionAsync(pid, "prod");
        var stg = await env.ProvisionAsync(pid, "stg");
        var prodRedeploy = await env.PostAsync(SandboxedProvisioning.RedeployPath, new { platformId = pid, environment = "prod" });
        await env.UntilStatusAsync(stg, JobStatuses.Completed);
        var all = await env.PostAsync(SandboxedProvisioning.DeprovisionPath, new { platformId = pid });
        var laterStg = await env.PostAsync(SandboxedProvisioning.ProvisionPath, new Dictionary<string, object?> { ["platformId"] = pid, ["planTier"] = "growth", ["billingEmail"] = "later@example.com", ["environment"] = "stg" });
        foreach (var job in new[] { prod, prodRedeploy, all, laterStg })
        {
            var status = await env.UntilTerminalAsync(job);
            var row = await env.JobAsync(job);
            Assert.True(status == JobStatuses.Completed, $"{row.Type} {row.Environment}: {status} {row.ErrorStep} {row.ErrorCode} {row.ErrorMessage}");
        }

        var jobs = await env.WithDbAsync(db => db.Jobs.AsNoTracking().ToDictionaryAsync(j => j.Id));
        var (a, b, c, d, e) = (jobs[prod], jobs[stg], jobs[prodRedeploy], jobs[all], jobs[laterStg]);
        Assert.True(a.StartedAt < b.CompletedAt && b.StartedAt < a.CompletedAt, "prod and stg overlap");
        Assert.True(c.StartedAt >= a.CompletedAt, "the second prod job waits for the first");
        Assert.True(d.StartedAt >= new[] { a.CompletedAt, b.CompletedAt, c.CompletedAt }.Max(), "the all-environments job waits for every earlier job");
        Assert.True(e.StartedAt >= d.CompletedAt, "a later stg job waits for the all-environments job");
    }

    private static bool ReportedInOrder(SandboxedProvisioning env, string logicalName, params string[] statuses)
    {
        var bodies = env.Registry.Calls.Where(c => c.Path.EndsWith("/resources", StringComparison.Ordinal) && c.Body!.Contains($"\"logicalName\":\"{logicalName}\"", StringComparison.Ordinal))
            .Select(c => JsonDocument.Parse(c.Body!).RootElement.GetProperty("status").GetString()).ToList();
        var at = 0;
        foreach (var status in statuses)
        {
            at = bodies.IndexOf(status, at);
            if (at < 0)
            {
                return false;
            }
        }

        return true;
    }

    private static Task<int> AddLedgerAsync(SandboxedProvisioning env, string pid, string kind, string name, string cfId) =>
        env.WithDbAsync(async db =>
        {
            var now = env.Time.GetUtcNow().ToUnixTimeMilliseconds();
            db.Resources.Add(new CfResourceRecord
            {
                Id = "res_" + Guid.NewGuid().ToString("N")[..20],
                PlatformId = pid,
                Environment = "prod",
                StackId = "default",
                Kind = kind,
                Name = name,
                CfId = cfId,
                Status = CfResourceStatuses.Active,
                CreatedByJobId = "job_aaaaaaaaaaaaaaaaaaaa",
                CreatedAt = now,
                UpdatedAt = now,
            });
            return await db.SaveChangesAsync();
        });
}

using System.Text.Json;
using Nno.Provisioning.Jobs;
using Nno.Provisioning.Tests.Support;

namespace Nno.Provisioning.Tests.Features;

/// <summary>ACTIVATE_FEATURE and DEACTIVATE_FEATURE against the Cloudflare emulator (provisioning.md §7 items 5, 11, 12, 13).</summary>
public sealed class FeatureJobTests
{
    private const string Activate = "/api/v1/provision/feature/activate";
    private const string Deactivate = "/api/v1/provision/feature/deactivate";

    private static object ActivateBody(string pid, string fid, string entity = "eeeeeeeeee", string version = "1.0.0", string env = "prod", string sid = "default") =>
        new { platformId = pid, entityId = entity, featureId = fid, featureVersion = version, environment = env, stackId = sid };

    private static object DeactivateBody(string pid, string fid, string entity = "eeeeeeeeee", bool deleteData = false, string env = "prod") =>
        new { platformId = pid, entityId = entity, featureId = fid, environment = env, deleteData };

    private static string Binding(JsonElement settings, string name) =>
        settings.GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("name").GetString() == name).GetProperty("type").GetString()!;

    [Fact]
    public async Task ActivateOnDefaultStack_CreatesOnlyTheManifestsResources_TheWorkerWithDb_AndTheHostname()
    {
        await using var cf = await CloudflareHost.StartAsync();
        const string pid = "fa11111111";
        await cf.ProvisionAsync(pid);

        var job = await cf.RunAsync(Activate, ActivateBody(pid, "team"));

        // team needs only D1: no bucket, namespace or queue.
        Assert.NotNull(await cf.D1IdAsync($"{pid}-default-db"));
        Assert.False(await cf.BucketExistsAsync($"{pid}-default-storage"));
        Assert.Null(await cf.KvIdAsync($"{pid}-default-kv"));
        Assert.Null(await cf.QueueIdAsync($"{pid}-default-queue"));
        var steps = await cf.StepsAsync(job);
        Assert.Equal<string>(
            ["resolve_feature_bundle", "ensure_stack_d1", "ensure_stack_r2", "ensure_stack_kv", "ensure_stack_queue", "run_feature_migrations", "deploy_feature_worker", "register_feature_hostname"],
            steps.Select(s => s.Name).ToArray());
        Assert.Equal<string>(["COMPLETED", "COMPLETED", "SKIPPED", "SKIPPED", "SKIPPED", "COMPLETED", "COMPLETED", "COMPLETED"], steps.Select(s => s.Status).ToArray());

        var settings = (await cf.WorkerSettingsAsync($"{pid}-default-team"))!.Value;
        Assert.Equal("d1", Binding(settings, "DB"));
        Assert.Equal("plain_text", Binding(settings, "FEATURE_VERSION"));
        Assert.DoesNotContain(settings.GetProperty("bindings").EnumerateArray(), b => b.GetProperty("name").GetString() is "KV" or "STORAGE" or "QUEUE");

        var hostname = $"team.svc.default.{pid}.nno.run";
        Assert.NotNull(await cf.CustomHostnameAsync(hostname));
        Assert.Equal($"{pid}-default-team", await cf.RouteScriptAsync(hostname + "/*"));

        // The feature's tables exist and its migration is tracked as {fid}/{file}.
        var dbId = (await cf.D1IdAsync($"{pid}-default-db"))!;
        Assert.Contains(await cf.QueryAsync(dbId, "SELECT name FROM _nno_migrations"), r => r.GetProperty("name").GetString() == "team/0001_init.sql");
        Assert.NotEmpty(await cf.QueryAsync(dbId, "SELECT name FROM sqlite_master WHERE name = 'team_teams'"));

        var usage = Assert.Single(await cf.UsagesAsync(pid));
        Assert.Equal(("team", "1.0.0", "eeeeeeeeee", job), (usage.FeatureId, usage.FeatureVersion, usage.EntityId, usage.JobId));

        // Resources and the DNS record reach the Registry before COMPLETED.
        await cf.UntilRegistryAsync(calls => calls.Any(c => c.Path.EndsWith("/provision-events", StringComparison.Ordinal) && c.Body!.Contains("COMPLETED", StringComparison.Ordinal)), "COMPLETED event");
        var calls = cf.Registry.Calls.Where(c => c.Path.StartsWith($"/api/v1/platforms/{pid}/", StringComparison.Ordinal)).ToList();
        var completed = calls.FindIndex(c => c.Path.EndsWith("/provision-events", StringComparison.Ordinal) && c.Body!.Contains(job, StringComparison.Ordinal) && c.Body.Contains("COMPLETED", StringComparison.Ordinal));
        var db = calls.FindIndex(c => c.Path.EndsWith("/resources", StringComparison.Ordinal) && c.Body!.Contains("\"logicalName\":\"db\"", StringComparison.Ordinal));
        var worker = calls.FindIndex(c => c.Path.EndsWith("/resources", StringComparison.Ordinal) && c.Body!.Contains("\"logicalName\":\"team\"", StringComparison.Ordinal));
        var dns = calls.FindIndex(c => c.Path.EndsWith("/dns-records", StringComparison.Ordinal) && c.Body!.Contains(hostname, StringComparison.Ordinal));
        Assert.True(db >= 0 && db < worker && worker < dns && dns < completed, $"order db={db} worker={worker} dns={dns} completed={completed}");
    }

    [Fact]
    public async Task PreExistingSameNamedKvNamespace_IsAdopted_AndSurvivesRollback()
    {
        await using var cf = await CloudflareHost.StartAsync();
        const string pid = "fa22222222";
        await cf.ProvisionAsync(pid);
        var kvId = (await cf.PostAsync($"accounts/{CloudflareHost.Account}/storage/kv/namespaces", """{"title":"fa22222222-default-kv"}""")).GetProperty("id").GetString();
        // settings needs D1 + KV; a permanent 400 on the route fails the last step and rolls everything back.
        await cf.SetFaultsAsync(new { failNext = new[] { new { method = "POST", pathRegex = "/workers/routes", status = 400, code = 10021, message = "bad route", count = 1 } } });

        var job = await cf.RunAsync(Activate, ActivateBody(pid, "billing"), JobStatuses.RolledBack);

        var kv = await cf.StepAsync(job, "ensure_stack_kv");
        Assert.False(kv.CreatedByJob);
        Assert.Equal("SKIPPED", kv.Status);
        Assert.Equal(kvId, await cf.KvIdAsync($"{pid}-default-kv"));
        // What the job created is gone.
        Assert.Null(await cf.D1IdAsync($"{pid}-default-db"));
        Assert.Null(await cf.WorkerSettingsAsync($"{pid}-default-billing"));
        Assert.Null(await cf.CustomHostnameAsync($"billing.svc.default.{pid}.nno.run"));
        Assert.Equal("UNDONE", (await cf.StepAsync(job, "ensure_stack_d1")).Status);
        Assert.Empty(await cf.UsagesAsync(pid));
    }

    [Fact]
    public async Task UnknownBundleVersion_FailsPermanently_WithFeatureBundleNotFound()
    {
        await using var cf = await CloudflareHost.StartAsync();
        const string pid = "fa33333333";
        await cf.ProvisionAsync(pid);

        var job = await cf.RunAsync(Activate, ActivateBody(pid, "team", version: "9.9.9"), JobStatuses.RolledBack);

        var record = await cf.JobAsync(job);
        Assert.Equal(("FEATURE_BUNDLE_NOT_FOUND", "resolve_feature_bundle"), (record.ErrorCode, record.ErrorStep));
        Assert.Null(await cf.D1IdAsync($"{pid}-default-db"));
    }

    [Fact]
    public async Task TwoEntities_ThenDeactivateOne_DeletesNothing_ThenTheSecondRemovesRouteHostnameAndWorker()
    {
        await using var cf = await CloudflareHost.StartAsync();
        const string pid = "fa44444444";
        await cf.ProvisionAsync(pid);
        await cf.RunAsync(Activate, ActivateBody(pid, "team", entity: "aaaaaaaaaa"));
        await cf.RunAsync(Activate, ActivateBody(pid, "team", entity: "bbbbbbbbbb"));
        var hostname = $"team.svc.default.{pid}.nno.run";

        var first = await cf.RunAsync(Deactivate, DeactivateBody(pid, "team", entity: "aaaaaaaaaa"));
        Assert.All(await cf.StepsAsync(first), s => Assert.Equal("SKIPPED", s.Status));
        Assert.NotNull(await cf.WorkerSettingsAsync($"{pid}-default-team"));
        Assert.NotNull(await cf.CustomHostnameAsync(hostname));
        Assert.Equal("bbbbbbbbbb", Assert.Single(await cf.UsagesAsync(pid)).EntityId);

        var second = await cf.RunAsync(Deactivate, DeactivateBody(pid, "team", entity: "bbbbbbbbbb"));
        Assert.Equal<string>(["COMPLETED", "COMPLETED", "COMPLETED", "SKIPPED"], (await cf.StepsAsync(second)).Select(s => s.Status).ToArray());
        Assert.Null(await cf.WorkerSettingsAsync($"{pid}-default-team"));
        Assert.Null(await cf.CustomHostnameAsync(hostname));
        Assert.Null(await cf.RouteScriptAsync(hostname + "/*"));
        Assert.Empty(await cf.UsagesAsync(pid));
        // Data stays without deleteData.
        Assert.NotNull(await cf.D1IdAsync($"{pid}-default-db"));
        var ledger = await cf.LedgerAsync(pid);
        Assert.All(ledger.Where(r => r.Kind is "worker" or "custom_hostname" or "worker_route"), r => Assert.Equal("deleted", r.Status));
        Assert.Equal("active", ledger.Single(r => r.Kind == "d1").Status);
    }

    [Fact]
    public async Task DeactivateWithDeleteData_DropsTablesKvKeysAndR2Objects_AndAFailureThereLeavesFailed()
    {
        await using var cf = await CloudflareHost.StartAsync();
        const string pid = "fa55555555";
        await cf.ProvisionAsync(pid);
        await cf.RunAsync(Activate, ActivateBody(pid, "analytics"));
        var kv = (await cf.KvIdAsync($"{pid}-default-kv"))!;
        await cf.PutBytesAsync($"accounts/{CloudflareHost.Account}/storage/kv/namespaces/{kv}/values/analytics:a", "1");
        await cf.PutBytesAsync($"accounts/{CloudflareHost.Account}/storage/kv/namespaces/{kv}/values/analytics:b", "2");
        await cf.PutBytesAsync($"accounts/{CloudflareHost.Account}/storage/kv/namespaces/{kv}/values/other:keep", "3");
        await cf.PutBytesAsync($"accounts/{CloudflareHost.Account}/r2/buckets/{pid}-default-storage/objects/analytics/x.json", "{}");
        await cf.PutBytesAsync($"accounts/{CloudflareHost.Account}/r2/buckets/{pid}-default-storage/objects/other/keep.json", "{}");

        var job = await cf.RunAsync(Deactivate, DeactivateBody(pid, "analytics", deleteData: true));

        Assert.True((await cf.JobAsync(job)).Irreversible);
        var dbId = (await cf.D1IdAsync($"{pid}-default-db"))!;
        Assert.Empty(await cf.QueryAsync(dbId, "SELECT name FROM sqlite_master WHERE name LIKE 'analytics_%'"));
        var keys = (await cf.GetAsync($"accounts/{CloudflareHost.Account}/storage/kv/namespaces/{kv}/keys"))!.Value.EnumerateArray().Select(k => k.GetProperty("name").GetString()!).ToList();
        Assert.Equal<string>(["other:keep"], keys.ToArray());
        var objects = (await cf.GetAsync($"accounts/{CloudflareHost.Account}/r2/buckets/{pid}-default-storage/objects"))!.Value;
        var names = (objects.ValueKind == JsonValueKind.Array ? objects : objects.GetProperty("objects")).EnumerateArray().Select(o => o.GetProperty("key").GetString()!).ToList();
        Assert.Equal<string>(["other/keep.json"], names.ToArray());
        // Shared stack resources stay.
        Assert.True(await cf.BucketExistsAsync($"{pid}-default-storage"));

        // Again, with the KV bulk delete refused: the job is irreversible from the drop on, so it stays FAILED.
        await cf.RunAsync(Activate, ActivateBody(pid, "analytics"));
        await cf.PutBytesAsync($"accounts/{CloudflareHost.Account}/storage/kv/namespaces/{kv}/values/analytics:c", "4");
        await cf.SetFaultsAsync(new { failNext = new[] { new { method = "POST", pathRegex = "/bulk/delete", status = 400, code = 10011, message = "refused", count = 1 } } });
        var failed = await cf.RunAsync(Deactivate, DeactivateBody(pid, "analytics", deleteData: true), JobStatuses.Failed);
        Assert.Equal("FAILED", (await cf.StepAsync(failed, "drop_feature_data")).Status);
        Assert.Equal("COMPLETED", (await cf.StepAsync(failed, "delete_feature_worker")).Status);
        Assert.Null(await cf.WorkerSettingsAsync($"{pid}-default-analytics"));
    }
}

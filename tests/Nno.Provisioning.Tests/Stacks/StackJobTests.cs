using System.Net;
using System.Text.Json;
using Nno.Provisioning.Jobs;
using Nno.Provisioning.Tests.Support;

namespace Nno.Provisioning.Tests.Stacks;

/// <summary>ACTIVATE_STACK and DEACTIVATE_STACK against the Cloudflare emulator (provisioning.md §7 items 14, 15).</summary>
public sealed class StackJobTests
{
    private const string Activate = "/api/v1/provision/stack/activate";
    private const string Deactivate = "/api/v1/provision/stack/deactivate";

    private const string SaasStarter10 = """
        {"schemaVersion":1,"name":"saas-starter","version":"1.0.0","features":[
          {"id":"billing","version":"1.0.0","service":true,"dependsOn":["team"]},
          {"id":"team","version":"1.0.0","required":true,"service":true},
          {"id":"settings","version":"1.0.0"},
          {"id":"notifications","version":"1.0.0","required":false,"service":true}],
         "resources":{"d1":true,"r2":false,"kv":true}}
        """;

    // 1.1.0: team upgraded, notifications dropped, dashboards added.
    private const string SaasStarter11 = """
        {"schemaVersion":1,"name":"saas-starter","version":"1.1.0","features":[
          {"id":"team","version":"1.1.0","service":true},
          {"id":"billing","version":"1.0.0","service":true,"dependsOn":["team"]},
          {"id":"settings","version":"1.0.0"},
          {"id":"dashboards","version":"1.0.0"}],
         "resources":{"d1":true,"r2":false,"kv":true}}
        """;

    private static Dictionary<string, object?> Body(string pid, string sid, string? template = "saas-starter", string? version = null, string? definition = null) => new Dictionary<string, object?>
    {
        ["platformId"] = pid, ["entityId"] = "eeeeeeeeee", ["stackId"] = sid, ["environment"] = "prod",
        ["templateName"] = definition is null ? template : null,
        ["templateVersion"] = definition is null ? version : null,
        ["definition"] = definition is null ? null : JsonDocument.Parse(definition).RootElement,
    }.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value);

    [Fact]
    public async Task SaasStarter_ReportsManifestOnce_CreatesSharedResourcesOnce_AndWorkersInDependencyOrder()
    {
        await using var cf = await CloudflareHost.StartAsync();
        cf.StackRegistry.Publish("saas-starter", "1.0.0", SaasStarter10);
        const string pid = "sa11111111";
        await cf.ProvisionAsync(pid);

        var job = await cf.RunAsync(Activate, Body(pid, "shopstack1"));

        var manifest = Assert.Single(cf.Registry.Calls, c => c.Method == "PUT" && c.Path == $"/api/v1/platforms/{pid}/stacks/shopstack1/manifest");
        using (var body = JsonDocument.Parse(manifest.Body!))
        {
            Assert.Equal(job, body.RootElement.GetProperty("jobId").GetString());
            Assert.Equal("1.0.0", body.RootElement.GetProperty("templateVersion").GetString());
            Assert.Equal("saas-starter", body.RootElement.GetProperty("definition").GetProperty("name").GetString());
        }

        var steps = (await cf.StepsAsync(job)).Select(s => s.Name).ToList();
        // team before billing (dependsOn), shared resources first, the queue because notifications asks for one.
        Assert.Equal<string>(["resolve_stack_definition", "report_stack_manifest", "ensure_stack_d1", "ensure_stack_kv", "ensure_stack_queue"], steps.Take(5).ToArray());
        Assert.True(steps.IndexOf("deploy_feature_worker:team") < steps.IndexOf("deploy_feature_worker:billing"));
        Assert.Single(steps, s => s == "ensure_stack_d1");
        var requests = await cf.RequestsAsync();
        Assert.Single(requests, r => r.Method == "POST" && r.Path.EndsWith("/d1/database", StringComparison.Ordinal));
        Assert.Single(requests, r => r.Method == "POST" && r.Path.EndsWith("/storage/kv/namespaces", StringComparison.Ordinal));
        var uploads = requests.Where(r => r.Method == "PUT" && r.Path.Contains("/workers/scripts/", StringComparison.Ordinal)).Select(r => r.Path.Split('/').Last()).ToList();
        Assert.Equal<string>([$"{pid}-shopstack1-team", $"{pid}-shopstack1-billing", $"{pid}-shopstack1-notifications"], uploads.ToArray());
        // settings is no service: no Worker.
        Assert.Null(await cf.WorkerSettingsAsync($"{pid}-shopstack1-settings"));
        var kvBinding = (await cf.WorkerSettingsAsync($"{pid}-shopstack1-billing"))!.Value.GetProperty("bindings").EnumerateArray().Select(b => b.GetProperty("name").GetString()).ToList();
        Assert.Contains("KV", kvBinding);
        Assert.Contains("QUEUE", kvBinding);
        Assert.Equal(4, (await cf.UsagesAsync(pid)).Count(u => u.StackId == "shopstack1" && u.EntityId == "eeeeeeeeee"));
    }

    [Fact]
    public async Task ManifestRefusedForTier_FailsWithTierLimitExceeded_AndCreatesNothing()
    {
        var registry = new RecordingRegistry
        {
            Answer = call => call.Path.EndsWith("/manifest", StringComparison.Ordinal)
                ? (HttpStatusCode.Forbidden, """{"error":{"code":"TIER_LIMIT_EXCEEDED","message":"too many features","details":null}}""")
                : null,
        };
        await using var cf = await CloudflareHost.StartAsync(registry: registry);
        cf.StackRegistry.Publish("saas-starter", "1.0.0", SaasStarter10);
        const string pid = "sa22222222";
        await cf.ProvisionAsync(pid);

        var job = await cf.RunAsync(Activate, Body(pid, "shopstack1"), JobStatuses.RolledBack);

        var record = await cf.JobAsync(job);
        Assert.Equal(("TIER_LIMIT_EXCEEDED", "report_stack_manifest"), (record.ErrorCode, record.ErrorStep));
        Assert.DoesNotContain(await cf.RequestsAsync(), r => r.Method is "POST" or "PUT");
        Assert.Empty(await cf.LedgerAsync(pid));
    }

    [Fact]
    public async Task DeprecatedOrUnknownVersion_FailsPermanently()
    {
        await using var cf = await CloudflareHost.StartAsync();
        cf.StackRegistry.Publish("saas-starter", "1.0.0", SaasStarter10, status: "deprecated");
        const string pid = "sa33333333";
        await cf.ProvisionAsync(pid);

        var deprecated = await cf.RunAsync(Activate, Body(pid, "shopstack1", version: "1.0.0"), JobStatuses.RolledBack);
        var unknown = await cf.RunAsync(Activate, Body(pid, "otherstack", version: "2.0.0"), JobStatuses.RolledBack);

        Assert.Equal("STACK_VERSION_DEPRECATED", (await cf.JobAsync(deprecated)).ErrorCode);
        Assert.Equal("STACK_DEFINITION_NOT_FOUND", (await cf.JobAsync(unknown)).ErrorCode);
        Assert.DoesNotContain(cf.Registry.Calls, c => c.Path.EndsWith("/manifest", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CustomDefinition_IsReportedAsSent_WithVersion000()
    {
        await using var cf = await CloudflareHost.StartAsync();
        const string pid = "sa44444444";
        await cf.ProvisionAsync(pid);
        const string custom = """{"schemaVersion":1,"name":"custom","version":"0.0.0","features":[{"id":"contacts","version":"1.0.0","service":true}],"resources":{"d1":true,"r2":true,"kv":false}}""";

        await cf.RunAsync(Activate, Body(pid, "crmstack01", definition: custom));

        var manifest = Assert.Single(cf.Registry.Calls, c => c.Method == "PUT" && c.Path.EndsWith("/stacks/crmstack01/manifest", StringComparison.Ordinal));
        using var body = JsonDocument.Parse(manifest.Body!);
        Assert.Equal("0.0.0", body.RootElement.GetProperty("templateVersion").GetString());
        Assert.Equal("contacts", body.RootElement.GetProperty("definition").GetProperty("features")[0].GetProperty("id").GetString());
        Assert.Empty(cf.StackRegistry.Calls);
        Assert.True(await cf.BucketExistsAsync($"{pid}-crmstack01-storage"));
        Assert.NotNull(await cf.WorkerSettingsAsync($"{pid}-crmstack01-contacts"));
    }

    [Fact]
    public async Task UpgradeOfAnActiveStack_AddsNew_UpgradesChanged_AndRemovesDroppedWorkerKeepingData()
    {
        await using var cf = await CloudflareHost.StartAsync();
        cf.StackRegistry.Publish("saas-starter", "1.0.0", SaasStarter10);
        const string pid = "sa55555555";
        await cf.ProvisionAsync(pid);
        await cf.RunAsync(Activate, Body(pid, "shopstack1", version: "1.0.0"));
        cf.StackRegistry.Publish("saas-starter", "1.1.0", SaasStarter11);

        var upgrade = await cf.RunAsync(Activate, Body(pid, "shopstack1", version: "1.1.0"));

        var names = (await cf.StepsAsync(upgrade)).Select(s => s.Name).ToList();
        Assert.Contains("deploy_feature_worker:team", names);
        Assert.Contains("run_feature_migrations:dashboards", names);
        Assert.Contains("delete_feature_worker:notifications", names);
        Assert.DoesNotContain("deploy_feature_worker:billing", names);
        var team = (await cf.WorkerSettingsAsync($"{pid}-shopstack1-team"))!.Value;
        Assert.Equal("1.1.0", team.GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("name").GetString() == "FEATURE_VERSION").GetProperty("text").GetString());
        Assert.Equal("1.0.0", JsonDocument.Parse((await cf.StepAsync(upgrade, "deploy_feature_worker:team")).OutputJson).RootElement.GetProperty("previousVersion").GetString());
        var dbId = (await cf.D1IdAsync($"{pid}-shopstack1-db"))!;
        Assert.NotEmpty(await cf.QueryAsync(dbId, "SELECT name FROM sqlite_master WHERE name = 'team_invites'"));
        // The dropped feature's Worker and hostname are gone, its tables stay.
        Assert.Null(await cf.WorkerSettingsAsync($"{pid}-shopstack1-notifications"));
        Assert.Null(await cf.CustomHostnameAsync($"notifications.svc.shopstack1.{pid}.nno.run"));
        Assert.NotEmpty(await cf.QueryAsync(dbId, "SELECT name FROM sqlite_master WHERE name LIKE 'notifications_%'"));
        var usages = await cf.UsagesAsync(pid);
        Assert.Equal<string>(["billing", "dashboards", "settings", "team"], usages.Select(u => u.FeatureId).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal("1.1.0", usages.Single(u => u.FeatureId == "team").FeatureVersion);
    }

    [Fact]
    public async Task RetryAfterRollback_StartsRun2FromTheBaseSteps_ReResolves_AndKeepsOneRowPerFeatureStep()
    {
        await using var cf = await CloudflareHost.StartAsync();
        cf.StackRegistry.Publish("saas-starter", "1.0.0", SaasStarter10);
        const string pid = "sa77777777";
        await cf.ProvisionAsync(pid);
        // billing's Worker upload is refused for good once: run 1 fails on a feature step and rolls back.
        await cf.SetFaultsAsync(new { failNext = new[] { new { method = "PUT", pathRegex = $"workers/scripts/{pid}-shopstack1-billing$", status = 400, code = 10001, message = "refused", count = 1 } } });

        var job = await cf.RunAsync(Activate, Body(pid, "shopstack1"), JobStatuses.RolledBack);
        Assert.Equal("deploy_feature_worker:billing", (await cf.JobAsync(job)).ErrorStep);
        Assert.Contains(await cf.StepsAsync(job), s => s.Name == "deploy_feature_worker:team" && s.Status == StepStatuses.Undone);
        Assert.Null(await cf.WorkerSettingsAsync($"{pid}-shopstack1-team"));

        using (var op = cf.Host.Operator())
        using (var retry = await op.PostAsync(new Uri($"/api/v1/provision/jobs/{job}/retry", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        }

        await cf.UntilTerminalAsync(job);
        var record = await cf.JobAsync(job);
        var steps = await cf.StepsAsync(job);
        Assert.True(record.Status == JobStatuses.Completed, $"{record.Status} {record.ErrorStep} {record.ErrorMessage}: {string.Join(", ", steps.Select(s => $"{s.Name}={s.Status}"))}");
        Assert.Equal(2, record.RunNumber);
        var names = steps.Select(s => s.Name).ToList();
        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
        var perFeature = names.Where(n => n.Contains(':', StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();
        string[] features = ["billing", "notifications", "settings", "team"];
        Assert.Equal(
            features.SelectMany(f => new[] { "deploy_feature_worker:" + f, "register_feature_hostname:" + f, "run_feature_migrations:" + f }).Order(StringComparer.Ordinal).ToArray(),
            perFeature);
        Assert.Equal(names.Count, steps.Select(s => s.Seq).Distinct().Count());
        Assert.All(steps, s => Assert.True(s.Status is StepStatuses.Completed or StepStatuses.Skipped, $"{s.Name}={s.Status}"));
        // The resolve of run 2 ran again; every feature Worker of run 1 that the rollback deleted exists again.
        Assert.Equal(2, cf.StackRegistry.Calls.Count(c => c.Contains("saas-starter", StringComparison.Ordinal)));
        foreach (var fid in new[] { "team", "billing", "notifications" })
        {
            Assert.NotNull(await cf.WorkerSettingsAsync($"{pid}-shopstack1-{fid}"));
        }

        Assert.Equal(4, (await cf.UsagesAsync(pid)).Count(u => u.StackId == "shopstack1"));
    }

    [Fact]
    public async Task Deactivate_WithoutDeleteData_KeepsD1AndKv_WithDeleteData_DeletesThem()
    {
        await using var cf = await CloudflareHost.StartAsync();
        cf.StackRegistry.Publish("saas-starter", "1.0.0", SaasStarter10);
        const string pid = "sa66666666";
        await cf.ProvisionAsync(pid);
        await cf.RunAsync(Activate, Body(pid, "shopstack1"));

        await cf.RunAsync(Deactivate, new { platformId = pid, stackId = "shopstack1", environment = "prod" });
        Assert.Null(await cf.WorkerSettingsAsync($"{pid}-shopstack1-team"));
        Assert.Null(await cf.CustomHostnameAsync($"billing.svc.shopstack1.{pid}.nno.run"));
        Assert.NotNull(await cf.D1IdAsync($"{pid}-shopstack1-db"));
        Assert.NotNull(await cf.KvIdAsync($"{pid}-shopstack1-kv"));
        Assert.Empty(await cf.UsagesAsync(pid));

        var purge = await cf.RunAsync(Deactivate, new { platformId = pid, stackId = "shopstack1", deleteData = true });
        Assert.Null(await cf.D1IdAsync($"{pid}-shopstack1-db"));
        Assert.Null(await cf.KvIdAsync($"{pid}-shopstack1-kv"));
        Assert.Null(await cf.QueueIdAsync($"{pid}-shopstack1-queue"));
        Assert.True((await cf.JobAsync(purge)).Irreversible);
        Assert.All((await cf.LedgerAsync(pid)).Where(r => r.StackId == "shopstack1"), r => Assert.Equal("deleted", r.Status));
        await cf.UntilRegistryAsync(calls => calls.Any(c => c.Body is { } b && b.Contains("\"logicalName\":\"db\"", StringComparison.Ordinal) && b.Contains("\"status\":\"deleted\"", StringComparison.Ordinal)), "db reported deleted");
    }
}

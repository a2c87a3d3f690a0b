using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Errors;
using Nno.Registry.Tests.Support;

namespace Nno.Registry.Tests.Provisioning;

/// <summary>registry.md §7 items 33, 34, 36, 44 and the job-tracking rules of §4.4 (item 32), against a fake Provisioning.</summary>
public sealed class EnvironmentAndFeatureTests(HarnessFixture fixture) : IClassFixture<HarnessFixture>
{
    private ProvisioningHarness H => fixture.Harness;

    private static string P(string pid, string rest = "") => $"{RegistryApi.Platforms}/{pid}{rest}";

    [Fact]
    public async Task Environment_post_calls_P1_once_with_the_attempt_key_and_completes_to_active_then_refuses_repeats()
    {
        RegistryApi.CurrentHost.Value = H.Host;
        var (pid, entity) = await H.PlatformAsync("env-flow");
        using var op = H.Host.Operator();

        // Before any environment: Provisioning refuses the feature job and the activation fails with its reason.
        H.Provisioning.Fail("/api/v1/provision/feature/activate", 409, "CONFLICT", "{\"reason\":\"platform_not_provisioned\"}");
        var early = await (await op.PostJsonAsync(P(pid, "/features"), new { entityId = entity, featureId = "team", featureVersion = "1.0.0", environment = "prod" })).ExpectAsync(HttpStatusCode.Accepted);
        var failed = await H.StatusAsync(P(pid, "/features/" + early.GetProperty("id").GetString()), "failed");
        Assert.Equal("platform_not_provisioned", failed.GetProperty("lastError").GetProperty("code").GetString());

        var env = await (await op.PostJsonAsync(P(pid, "/environments"), new { environment = "prod" })).ExpectAsync(HttpStatusCode.Accepted);
        Assert.Equal("provisioning", env.GetProperty("status").GetString());
        var p1 = Assert.Single(H.Provisioning.For("/api/v1/provision/platform", pid), c => c.Path == "/api/v1/provision/platform");
        Assert.Equal($"env:{pid}:prod:0", p1.IdempotencyKey);
        Assert.True(p1.Bearer);
        var body = p1.Json;
        Assert.Equal(["platformId", "planTier", "billingEmail", "defaultEntityId", "environment"], body.EnumerateObject().Select(p => p.Name));
        Assert.Equal(entity, body.GetProperty("defaultEntityId").GetString());
        Assert.Equal(p1.JobId, env.GetProperty("provisionJobId").GetString());

        await (await op.PostJsonAsync(P(pid, "/environments"), new { environment = "dev" })).ExpectErrorAsync(HttpStatusCode.Conflict, ErrorCodes.Conflict);
        (await H.EventAsync(pid, p1.JobId!, 1, "RUNNING")).EnsureSuccessStatusCode();
        (await H.EventAsync(pid, p1.JobId!, 1, "COMPLETED")).EnsureSuccessStatusCode();
        var list = await (await op.GetAsync(P(pid, "/environments"))).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("active", list.GetProperty("data")[0].GetProperty("status").GetString());
        await (await op.PostJsonAsync(P(pid, "/environments"), new { environment = "prod" })).ExpectErrorAsync(HttpStatusCode.Conflict, ErrorCodes.Conflict);

        // P1 down (5xx twice: the synchronous path retries once) → 502 and the row failed; a second POST starts again with n = 1.
        H.Provisioning.Fail("/api/v1/provision/platform", 503, times: 2);
        await (await op.PostJsonAsync(P(pid, "/environments"), new { environment = "stg" })).ExpectErrorAsync(HttpStatusCode.BadGateway, ErrorCodes.BadGateway);
        var rows = await (await op.GetAsync(P(pid, "/environments"))).ExpectAsync(HttpStatusCode.OK);
        Assert.Contains(rows.GetProperty("data").EnumerateArray(), e => e.GetProperty("environment").GetString() == "stg" && e.GetProperty("status").GetString() == "failed");
        await (await op.PostJsonAsync(P(pid, "/environments"), new { environment = "stg" })).ExpectAsync(HttpStatusCode.Accepted);
        Assert.Contains(H.Provisioning.For("/api/v1/provision/platform", pid), c => c.IdempotencyKey == $"env:{pid}:stg:1");
    }

    [Fact]
    public async Task Environment_delete_is_refused_while_in_use_and_otherwise_deprovisions_with_purge_then_removed()
    {
        RegistryApi.CurrentHost.Value = H.Host;
        var (pid, entity) = await H.PlatformAsync("env-delete", tier: "growth");
        await H.EnvironmentAsync(pid, "prod");
        await H.EnvironmentAsync(pid, "stg");
        using var op = H.Host.Operator();
        var fa = await (await op.PostJsonAsync(P(pid, "/features"), new { entityId = entity, featureId = "team", featureVersion = "1.0.0", environment = "stg" })).ExpectAsync(HttpStatusCode.Accepted);
        var inUse = await (await op.DeleteAsync(P(pid, "/environments/stg"))).ExpectErrorAsync(HttpStatusCode.Conflict, ErrorCodes.Conflict);
        Assert.Equal("environment_in_use", inUse.GetProperty("error").GetProperty("details").GetProperty("reason").GetString());
        Assert.Equal(1, inUse.GetProperty("error").GetProperty("details").GetProperty("activations").GetInt32());

        // Deactivate it, complete the job, then the environment goes.
        var faId = fa.GetProperty("id").GetString()!;
        var p4 = await H.CallForAsync("/api/v1/provision/feature/activate", pid);
        await H.StatusAsync(P(pid, "/features/" + faId), "provisioning");
        (await H.EventAsync(pid, p4.JobId!, 1, "COMPLETED")).EnsureSuccessStatusCode();
        await (await op.PostJsonAsync(P(pid, $"/features/{faId}/deactivate"), new { })).ExpectAsync(HttpStatusCode.Accepted);
        var p5 = await H.CallForAsync("/api/v1/provision/feature/deactivate", pid);
        Assert.Equal(["platformId", "entityId", "stackId", "featureId", "environment", "deleteData"], p5.Json.EnumerateObject().Select(p => p.Name));
        await OutboxTestKit.EventuallyAsync(async () => await H.Host.WithDbAsync(db => db.FeatureActivations.AnyAsync(a => a.Id == faId && a.ProvisionJobId == p5.JobId)), "the deactivation job id");
        (await H.EventAsync(pid, p5.JobId!, 1, "COMPLETED")).EnsureSuccessStatusCode();
        await H.StatusAsync(P(pid, "/features/" + faId), "inactive");

        var removing = await (await op.DeleteAsync(P(pid, "/environments/stg"))).ExpectAsync(HttpStatusCode.Accepted);
        Assert.Equal("removing", removing.GetProperty("status").GetString());
        var p2 = await H.CallForAsync("/api/v1/provision/platform/deprovision", pid);
        Assert.Equal(JsonSerializer.Serialize(new { platformId = pid, environment = "stg", reason = "environment_removed", purgeData = true }), p2.Body);
        Assert.StartsWith("obx_", p2.IdempotencyKey, StringComparison.Ordinal);
        await OutboxTestKit.EventuallyAsync(async () => await H.Host.WithDbAsync(db => db.Environments.AnyAsync(e => e.PlatformId == pid && e.Environment == "stg" && e.ProvisionJobId == p2.JobId)), "the deprovision job id");
        (await H.EventAsync(pid, p2.JobId!, 1, "COMPLETED")).EnsureSuccessStatusCode();
        var rows = await (await op.GetAsync(P(pid, "/environments"))).ExpectAsync(HttpStatusCode.OK);
        Assert.Contains(rows.GetProperty("data").EnumerateArray(), e => e.GetProperty("environment").GetString() == "stg" && e.GetProperty("status").GetString() == "removed");
    }

    [Fact]
    public async Task Feature_activation_sends_P4_exactly_and_reuses_its_row_on_reactivation_and_a_repeat_at_the_same_version_is_200()
    {
        RegistryApi.CurrentHost.Value = H.Host;
        var (pid, entity) = await H.PlatformAsync("feat-flow");
        await H.EnvironmentAsync(pid);
        using var owner = H.Host.User("usr_feat_flow", (pid, "owner"));
        var created = await (await owner.PostJsonAsync(P(pid, "/features"), new { entityId = entity, featureId = "team", featureVersion = "1.0.0", environment = "prod", config = new { seats = 5 } }))
            .ExpectAsync(HttpStatusCode.Accepted);
        var faId = created.GetProperty("id").GetString()!;
        Assert.Equal("pending", created.GetProperty("status").GetString());
        var p4 = await H.CallForAsync("/api/v1/provision/feature/activate", pid);
        Assert.Equal(JsonSerializer.Serialize(new { platformId = pid, entityId = entity, stackId = "default", featureId = "team", featureVersion = "1.0.0", environment = "prod", config = new { seats = 5 } }), p4.Body);
        var outboxId = await H.Host.WithDbAsync(db => db.Outbox.Where(o => o.PlatformId == pid && o.Kind == "provisioning.activate_feature").Select(o => o.Id).SingleAsync());
        Assert.Equal(outboxId, p4.IdempotencyKey);
        await H.StatusAsync(P(pid, "/features/" + faId), "provisioning");
        (await H.EventAsync(pid, p4.JobId!, 1, "RUNNING")).EnsureSuccessStatusCode();
        (await H.EventAsync(pid, p4.JobId!, 1, "COMPLETED")).EnsureSuccessStatusCode();
        await H.StatusAsync(P(pid, "/features/" + faId), "active");

        // A late RUNNING of the same run after COMPLETED changes nothing.
        (await H.EventAsync(pid, p4.JobId!, 1, "RUNNING")).EnsureSuccessStatusCode();
        var again = await (await owner.PostJsonAsync(P(pid, "/features"), new { entityId = entity, featureId = "team", featureVersion = "1.0.0", environment = "prod" })).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(faId, again.GetProperty("id").GetString());
        Assert.Equal("active", again.GetProperty("status").GetString());
        await (await owner.PostJsonAsync(P(pid, "/features"), new { entityId = entity, featureId = "team", featureVersion = "1.1.0", environment = "prod" })).ExpectErrorAsync(HttpStatusCode.Conflict, ErrorCodes.Conflict);

        await (await owner.PostAsync(P(pid, $"/features/{faId}/deactivate"), null)).ExpectAsync(HttpStatusCode.Accepted);
        var p5 = await H.CallForAsync("/api/v1/provision/feature/deactivate", pid);
        await OutboxTestKit.EventuallyAsync(async () => await H.Host.WithDbAsync(db => db.FeatureActivations.AnyAsync(a => a.Id == faId && a.ProvisionJobId == p5.JobId)), "the deactivation job id");
        (await H.EventAsync(pid, p5.JobId!, 1, "COMPLETED")).EnsureSuccessStatusCode();
        await H.StatusAsync(P(pid, "/features/" + faId), "inactive");
        var reactivated = await (await owner.PostJsonAsync(P(pid, "/features"), new { entityId = entity, featureId = "team", featureVersion = "1.0.0", environment = "prod" })).ExpectAsync(HttpStatusCode.Accepted);
        Assert.Equal(faId, reactivated.GetProperty("id").GetString());

        // Unknown job → 404 job.
        var unknown = await (await H.EventAsync(pid, "job_" + new string('z', 20), 1, "COMPLETED")).ExpectErrorAsync(HttpStatusCode.NotFound, ErrorCodes.NotFound);
        Assert.Equal("job", unknown.GetProperty("error").GetProperty("details").GetProperty("resource").GetString());
    }

    [Fact]
    public async Task A_job_failed_in_run_1_and_retried_moves_the_object_forward_and_a_late_run_1_event_changes_nothing()
    {
        RegistryApi.CurrentHost.Value = H.Host;
        var (pid, entity) = await H.PlatformAsync("feat-runs");
        await H.EnvironmentAsync(pid);
        using var op = H.Host.Operator();
        var faId = (await (await op.PostJsonAsync(P(pid, "/features"), new { entityId = entity, featureId = "crm", featureVersion = "1.0.0", environment = "prod" })).ExpectAsync(HttpStatusCode.Accepted))
            .GetProperty("id").GetString()!;
        var job = (await H.CallForAsync("/api/v1/provision/feature/activate", pid)).JobId!;
        await H.StatusAsync(P(pid, "/features/" + faId), "provisioning");
        (await H.EventAsync(pid, job, 1, "FAILED", "CF_API_ERROR")).EnsureSuccessStatusCode();
        (await H.EventAsync(pid, job, 1, "ROLLED_BACK", "CF_API_ERROR")).EnsureSuccessStatusCode();
        var failed = await H.StatusAsync(P(pid, "/features/" + faId), "failed");
        Assert.Equal(1, failed.GetProperty("lastError").GetProperty("runNumber").GetInt32());
        Assert.Equal("CF_API_ERROR", failed.GetProperty("lastError").GetProperty("code").GetString());
        Assert.Equal(1, await H.Host.WithDbAsync(db => db.Outbox.CountAsync(o => o.PlatformId == pid && o.Kind == "iam.notify" && o.Payload.Contains("job_failed") && o.Payload.Contains(":1:FAILED"))));

        (await H.EventAsync(pid, job, 2, "QUEUED")).EnsureSuccessStatusCode();
        await H.StatusAsync(P(pid, "/features/" + faId), "provisioning");
        (await H.EventAsync(pid, job, 2, "COMPLETED")).EnsureSuccessStatusCode();
        await H.StatusAsync(P(pid, "/features/" + faId), "active");
        (await H.EventAsync(pid, job, 1, "FAILED", "CF_API_ERROR")).EnsureSuccessStatusCode();
        var still = await (await op.GetAsync(P(pid, "/features/" + faId))).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("active", still.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Job_watcher_converges_without_callbacks_and_marks_a_lost_job_after_ten_minutes_of_404()
    {
        RegistryApi.CurrentHost.Value = H.Host;
        var (pid, entity) = await H.PlatformAsync("feat-watch");
        await H.EnvironmentAsync(pid);
        using var op = H.Host.Operator();
        var first = (await (await op.PostJsonAsync(P(pid, "/features"), new { entityId = entity, featureId = "team", featureVersion = "1.0.0", environment = "prod" })).ExpectAsync(HttpStatusCode.Accepted))
            .GetProperty("id").GetString()!;
        var second = (await (await op.PostJsonAsync(P(pid, "/features"), new { entityId = entity, featureId = "crm", featureVersion = "1.0.0", environment = "prod" })).ExpectAsync(HttpStatusCode.Accepted))
            .GetProperty("id").GetString()!;
        var jobs = new[] { (await H.CallForAsync("/api/v1/provision/feature/activate", pid, 1)), (await H.CallForAsync("/api/v1/provision/feature/activate", pid, 2)) };
        await H.StatusAsync(P(pid, "/features/" + first), "provisioning");
        await H.StatusAsync(P(pid, "/features/" + second), "provisioning");
        var teamJob = jobs.Single(c => c.Body.Contains("\"team\"", StringComparison.Ordinal)).JobId!;
        H.Provisioning.Jobs[teamJob] = ("COMPLETED", 1, null);

        // The clock passes the quiet period: the watcher reads P11 and applies it; the crm job is unknown to Provisioning.
        await H.Host.AdvanceUntilAsync(async () => (await (await op.GetAsync(P(pid, "/features/" + first))).ReadJsonAsync()).GetProperty("status").GetString() == "active",
            TimeSpan.FromSeconds(15), "the watcher to converge");
        Assert.Equal("provisioning", (await (await op.GetAsync(P(pid, "/features/" + second))).ReadJsonAsync()).GetProperty("status").GetString());
        await H.Host.AdvanceUntilAsync(async () => (await (await op.GetAsync(P(pid, "/features/" + second))).ReadJsonAsync()).GetProperty("status").GetString() == "failed",
            TimeSpan.FromSeconds(30), "JOB_LOST");
        var lost = await (await op.GetAsync(P(pid, "/features/" + second))).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("JOB_LOST", lost.GetProperty("lastError").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Shared_version_blocks_a_single_entity_change_and_allEntities_moves_every_entity_in_one_job()
    {
        RegistryApi.CurrentHost.Value = H.Host;
        var (pid, _) = await H.PlatformAsync("feat-shared", tier: "growth");
        await H.EnvironmentAsync(pid);
        var a = await H.TenantAsync(pid, "tenant-a");
        var b = await H.TenantAsync(pid, "tenant-b");
        var c = await H.TenantAsync(pid, "tenant-c");
        using var op = H.Host.Operator();
        var ids = new List<string>();
        foreach (var entity in new[] { a, b })
        {
            var fa = await (await op.PostJsonAsync(P(pid, "/features"), new { entityId = entity, featureId = "crm", featureVersion = "1.0.0", environment = "prod" })).ExpectAsync(HttpStatusCode.Accepted);
            ids.Add(fa.GetProperty("id").GetString()!);
        }

        for (var i = 1; i <= 2; i++)
        {
            var call = await H.CallForAsync("/api/v1/provision/feature/activate", pid, i);
            await OutboxTestKit.EventuallyAsync(async () => await H.Host.WithDbAsync(db => db.FeatureActivations.AnyAsync(x => x.ProvisionJobId == call.JobId)), "job id");
            (await H.EventAsync(pid, call.JobId!, 1, "COMPLETED")).EnsureSuccessStatusCode();
        }

        await H.StatusAsync(P(pid, "/features/" + ids[0]), "active");
        await H.StatusAsync(P(pid, "/features/" + ids[1]), "active");
        var shared = await (await op.PatchJsonAsync(P(pid, "/features/" + ids[0]), new { featureVersion = "1.1.0" })).ExpectErrorAsync(HttpStatusCode.Conflict, ErrorCodes.Conflict);
        var details = shared.GetProperty("error").GetProperty("details");
        Assert.Equal("shared_version", details.GetProperty("reason").GetString());
        Assert.Equal([b], details.GetProperty("entityIds").EnumerateArray().Select(e => e.GetString()));

        var moved = await (await op.PatchJsonAsync(P(pid, "/features/" + ids[0]) + "?allEntities=true", new { featureVersion = "1.1.0" })).ExpectAsync(HttpStatusCode.Accepted);
        Assert.Equal("provisioning", moved.GetProperty("status").GetString());
        Assert.Equal("provisioning", (await (await op.GetAsync(P(pid, "/features/" + ids[1]))).ReadJsonAsync()).GetProperty("status").GetString());
        var upgrade = await H.CallForAsync("/api/v1/provision/feature/activate", pid, 3);
        Assert.Contains("\"1.1.0\"", upgrade.Body, StringComparison.Ordinal);
        await OutboxTestKit.EventuallyAsync(async () => await H.Host.WithDbAsync(db => db.FeatureActivations.CountAsync(x => x.ProvisionJobId == upgrade.JobId)) == 2, "one job for both");

        var third = await (await op.PostJsonAsync(P(pid, "/features"), new { entityId = c, featureId = "crm", featureVersion = "1.0.0", environment = "prod" })).ExpectErrorAsync(HttpStatusCode.Conflict, ErrorCodes.Conflict);
        Assert.Equal("shared_version", third.GetProperty("error").GetProperty("details").GetProperty("reason").GetString());
        Assert.Equal(3, H.Provisioning.For("/api/v1/provision/feature/activate", pid).Count);
    }

    [Fact]
    public async Task Starter_allows_five_distinct_features_the_same_feature_elsewhere_and_concurrent_activations_never_exceed_five()
    {
        RegistryApi.CurrentHost.Value = H.Host;
        var (pid, entity) = await H.PlatformAsync("feat-limit");
        using var op = H.Host.Operator();
        var features = Enumerable.Range(0, 10).Select(i => "feature-" + i).ToList();
        var answers = await Task.WhenAll(features.Select(async f =>
        {
            using var client = H.Host.Operator();
            using var response = await client.PostJsonAsync(P(pid, "/features"), new { entityId = entity, featureId = f, featureVersion = "1.0.0", environment = "prod" });
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        }));
        Assert.Equal(5, answers.Count(x => x.StatusCode == HttpStatusCode.Accepted));
        Assert.All(answers.Where(x => x.StatusCode != HttpStatusCode.Accepted), x =>
        {
            Assert.Equal(HttpStatusCode.Forbidden, x.StatusCode);
            Assert.Contains(ErrorCodes.TierLimitExceeded, x.Body, StringComparison.Ordinal);
        });
        var active = await H.Host.WithDbAsync(db => db.FeatureActivations.Where(a => a.PlatformId == pid).Select(a => a.FeatureId).Distinct().CountAsync());
        Assert.Equal(5, active);

        var accepted = await H.Host.WithDbAsync(db => db.FeatureActivations.Where(a => a.PlatformId == pid).Select(a => a.FeatureId).FirstAsync());
        var limit = await (await op.PostJsonAsync(P(pid, "/features"), new { entityId = entity, featureId = "sixth", featureVersion = "1.0.0", environment = "prod" }))
            .ExpectErrorAsync(HttpStatusCode.Forbidden, ErrorCodes.TierLimitExceeded);
        Assert.Equal(JsonSerializer.Serialize(new { limit = "activeFeatures", max = 5, current = 5 }), limit.GetProperty("error").GetProperty("details").GetRawText());
        await (await op.PostJsonAsync(P(pid, "/features"), new { entityId = entity, featureId = accepted, featureVersion = "1.0.0", environment = "stg" })).ExpectAsync(HttpStatusCode.Accepted);
    }
}

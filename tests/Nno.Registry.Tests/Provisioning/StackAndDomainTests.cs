using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Errors;
using Nno.Core.Services;
using Nno.Registry.Tests.Support;

namespace Nno.Registry.Tests.Provisioning;

/// <summary>registry.md §7 items 28–31, 35, 38, 41, 42 and the cross-platform rule for the new routes.</summary>
public sealed class StackAndDomainTests(HarnessFixture fixture) : IClassFixture<HarnessFixture>
{
    private ProvisioningHarness H => fixture.Harness;

    private static string P(string pid, string rest = "") => $"{RegistryApi.Platforms}/{pid}{rest}";

    private async Task<(string Pid, string Entity, string StackId, string JobId)> ActiveTemplateStackAsync(string slug, string tier = "starter")
    {
        var (pid, entity) = await H.PlatformAsync(slug, tier);
        await H.EnvironmentAsync(pid);
        using var op = H.Host.Operator();
        var stack = await (await op.PostJsonAsync(P(pid, "/stacks"), new { tenantId = entity, name = "shop", templateId = "saas-starter" })).ExpectAsync(HttpStatusCode.Accepted);
        Assert.Equal("pending", stack.GetProperty("status").GetString());
        var sid = stack.GetProperty("id").GetString()!;
        var p6 = await H.CallForAsync("/api/v1/provision/stack/activate", pid);
        Assert.Equal(JsonSerializer.Serialize(new { platformId = pid, stackId = sid, entityId = entity, environment = "prod", templateName = "saas-starter" }), p6.Body);
        await H.StatusAsync(P(pid, "/stacks/" + sid), "provisioning");
        using var prov = await H.Host.ServiceAsync(NnoServices.Provisioning);
        var manifest = new { jobId = p6.JobId, templateVersion = "1.0.0", definition = SaasStarter() };
        await (await prov.PutAsync(P(pid, $"/stacks/{sid}/manifest"), Json(manifest))).ExpectAsync(HttpStatusCode.OK);
        var activations = await (await op.GetAsync(P(pid, "/features?stackId=" + sid))).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(4, activations.GetProperty("data").GetArrayLength());
        Assert.All(activations.GetProperty("data").EnumerateArray(), a => Assert.Equal("provisioning", a.GetProperty("status").GetString()));

        // The identical manifest again is a no-op; another one for the same job a conflict.
        await (await prov.PutAsync(P(pid, $"/stacks/{sid}/manifest"), Json(manifest))).ExpectAsync(HttpStatusCode.OK);
        await (await prov.PutAsync(P(pid, $"/stacks/{sid}/manifest"), Json(manifest with { templateVersion = "1.0.1" }))).ExpectAsync(HttpStatusCode.OK);
        (await H.EventAsync(pid, p6.JobId!, 1, "COMPLETED")).EnsureSuccessStatusCode();
        await H.StatusAsync(P(pid, "/stacks/" + sid), "active");
        return (pid, entity, sid, p6.JobId!);
    }

    private static object SaasStarter(bool dropNotifications = false) => new
    {
        schemaVersion = 1,
        name = "saas-starter",
        version = "1.0.0",
        features = new object[]
        {
            new { id = "team", version = "1.0.0", required = true, service = true },
            new { id = "billing", version = "1.0.0", service = true },
            new { id = "settings", version = "1.0.0" },
            new { id = dropNotifications ? "audit" : "notifications", version = "1.0.0", required = false, service = true },
        },
        resources = new { d1 = true, r2 = false, kv = true },
    };

    private static StringContent Json(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");

    [Fact]
    public async Task Path_A_stack_goes_pending_provisioning_active_with_activations_from_its_manifest_and_required_features_stay()
    {
        RegistryApi.CurrentHost.Value = H.Host;
        var (pid, _, sid, _) = await ActiveTemplateStackAsync("stack-a");
        using var op = H.Host.Operator();
        var activations = (await (await op.GetAsync(P(pid, "/features?stackId=" + sid))).ExpectAsync(HttpStatusCode.OK)).GetProperty("data").EnumerateArray().ToList();
        Assert.All(activations, a => Assert.Equal("active", a.GetProperty("status").GetString()));
        Assert.All(activations, a => Assert.Equal("stack", a.GetProperty("source").GetString()));
        var team = activations.Single(a => a.GetProperty("featureId").GetString() == "team").GetProperty("id").GetString();
        var notifications = activations.Single(a => a.GetProperty("featureId").GetString() == "notifications").GetProperty("id").GetString();
        var required = await (await op.PostJsonAsync(P(pid, $"/features/{team}/deactivate"), new { })).ExpectErrorAsync(HttpStatusCode.Conflict, ErrorCodes.Conflict);
        Assert.Equal("stack", required.GetProperty("error").GetProperty("details").GetProperty("source").GetString());
        await (await op.PostJsonAsync(P(pid, $"/features/{notifications}/deactivate"), new { deleteData = true })).ExpectAsync(HttpStatusCode.Accepted);

        // Delete: deprovisioning, P7, and on completion the stack is deleted and its activations inactive.
        await (await op.DeleteAsync(P(pid, "/stacks/default"))).ExpectErrorAsync(HttpStatusCode.Conflict, ErrorCodes.Conflict);
        var deleting = await (await op.DeleteAsync(P(pid, $"/stacks/{sid}?deleteData=true"))).ExpectAsync(HttpStatusCode.Accepted);
        Assert.Equal("deprovisioning", deleting.GetProperty("status").GetString());
        var p7 = await H.CallForAsync("/api/v1/provision/stack/deactivate", pid);
        Assert.Equal(JsonSerializer.Serialize(new { platformId = pid, stackId = sid, deleteData = true }), p7.Body);
        await OutboxTestKit.EventuallyAsync(async () => await H.Host.WithDbAsync(db => db.Stacks.AnyAsync(s => s.Id == sid && s.ProvisionJobId == p7.JobId)), "the P7 job id");
        (await H.EventAsync(pid, p7.JobId!, 1, "COMPLETED")).EnsureSuccessStatusCode();
        await H.StatusAsync(P(pid, "/stacks/" + sid), "deleted");
        var after = (await (await op.GetAsync(P(pid, "/features?stackId=" + sid))).ExpectAsync(HttpStatusCode.OK)).GetProperty("data").EnumerateArray();
        Assert.All(after, a => Assert.Equal("inactive", a.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task Template_upgrade_queues_one_activate_stack_and_a_dropped_feature_becomes_inactive_on_completion()
    {
        RegistryApi.CurrentHost.Value = H.Host;
        var (pid, _, sid, _) = await ActiveTemplateStackAsync("stack-up", tier: "growth");
        using var op = H.Host.Operator();
        var upgraded = await (await op.PatchJsonAsync(P(pid, "/stacks/" + sid), new { templateVersion = "1.0.0" })).ExpectAsync(HttpStatusCode.Accepted);
        Assert.Equal("provisioning", upgraded.GetProperty("status").GetString());
        var p6 = await H.CallForAsync("/api/v1/provision/stack/activate", pid, 2);
        Assert.Contains("\"templateVersion\":\"1.0.0\"", p6.Body, StringComparison.Ordinal);
        await OutboxTestKit.EventuallyAsync(async () => await H.Host.WithDbAsync(db => db.Stacks.AnyAsync(s => s.Id == sid && s.ProvisionJobId == p6.JobId)), "the upgrade job id");
        using var prov = await H.Host.ServiceAsync(NnoServices.Provisioning);
        await (await prov.PutAsync(P(pid, $"/stacks/{sid}/manifest"), Json(new { jobId = p6.JobId, templateVersion = "1.0.0", definition = SaasStarter(dropNotifications: true) })))
            .ExpectAsync(HttpStatusCode.OK);
        (await H.EventAsync(pid, p6.JobId!, 1, "COMPLETED")).EnsureSuccessStatusCode();
        await H.StatusAsync(P(pid, "/stacks/" + sid), "active");
        var rows = (await (await op.GetAsync(P(pid, "/features?stackId=" + sid))).ExpectAsync(HttpStatusCode.OK)).GetProperty("data").EnumerateArray().ToList();
        Assert.Equal("inactive", rows.Single(a => a.GetProperty("featureId").GetString() == "notifications").GetProperty("status").GetString());
        Assert.Equal("active", rows.Single(a => a.GetProperty("featureId").GetString() == "audit").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Path_A_unknown_or_bad_templates_store_nothing_and_a_job_failure_then_retry_starts_again()
    {
        RegistryApi.CurrentHost.Value = H.Host;
        var (pid, entity) = await H.PlatformAsync("stack-bad");
        using var op = H.Host.Operator();
        var unknown = await (await op.PostJsonAsync(P(pid, "/stacks"), new { tenantId = entity, name = "x1", templateId = "nope" })).ExpectErrorAsync(HttpStatusCode.NotFound, ErrorCodes.NotFound);
        Assert.Equal("nope", unknown.GetProperty("error").GetProperty("details").GetProperty("templateId").GetString());
        await (await op.PostJsonAsync(P(pid, "/stacks"), new { tenantId = entity, name = "x2", templateId = "crm", templateVersion = "9.9.9" })).ExpectErrorAsync(HttpStatusCode.NotFound, ErrorCodes.NotFound);
        Assert.Equal(1, await H.Host.WithDbAsync(db => db.Stacks.CountAsync(s => s.PlatformId == pid)));

        var sid = (await (await op.PostJsonAsync(P(pid, "/stacks"), new { tenantId = entity, name = "crm", templateId = "crm" })).ExpectAsync(HttpStatusCode.Accepted)).GetProperty("id").GetString()!;
        var p6 = await H.CallForAsync("/api/v1/provision/stack/activate", pid);
        await H.StatusAsync(P(pid, "/stacks/" + sid), "provisioning");
        (await H.EventAsync(pid, p6.JobId!, 1, "FAILED", "STACK_VERSION_DEPRECATED")).EnsureSuccessStatusCode();
        var failed = await H.StatusAsync(P(pid, "/stacks/" + sid), "failed");
        Assert.Equal("STACK_VERSION_DEPRECATED", failed.GetProperty("lastError").GetProperty("code").GetString());
        var retried = await (await op.PostAsync(P(pid, $"/stacks/{sid}/retry"), null)).ExpectAsync(HttpStatusCode.Accepted);
        Assert.Equal("pending", retried.GetProperty("status").GetString());
        var second = await H.CallForAsync("/api/v1/provision/stack/activate", pid, 2);
        Assert.NotEqual(p6.IdempotencyKey, second.IdempotencyKey);
        await (await op.PostAsync(P(pid, $"/stacks/{sid}/retry"), null)).ExpectErrorAsync(HttpStatusCode.Conflict, ErrorCodes.InvalidTransition);
    }

    [Fact]
    public async Task Path_B_validation_and_limits()
    {
        RegistryApi.CurrentHost.Value = H.Host;
        var (pid, entity) = await H.PlatformAsync("stack-b");
        using var op = H.Host.Operator();
        var resources = new { d1 = true, r2 = false, kv = false };
        object F(string id, string version = "1.0.0") => new { id, version };
        var bad = new object[]
        {
            new { tenantId = entity, name = "b1" },
            new { tenantId = entity, name = "b2", templateId = "crm", features = new[] { F("a") }, resources },
            new { tenantId = entity, name = "b3", features = new[] { F("Bad_Id") }, resources },
            new { tenantId = entity, name = "b4", features = new[] { F("a", "^1.0.0") }, resources },
            new { tenantId = entity, name = "b5", features = new[] { F("a"), F("a") }, resources },
            new { tenantId = entity, name = "b6", features = Enumerable.Range(0, 51).Select(i => F("f" + i)).ToArray(), resources },
            new { tenantId = entity, name = "default", features = new[] { F("a") }, resources },
        };
        foreach (var body in bad)
        {
            await (await op.PostJsonAsync(P(pid, "/stacks"), body)).ExpectErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.ValidationError);
        }

        await (await op.PostJsonAsync(P(pid, "/stacks"), new { tenantId = entity, name = "b7", isDefault = true, features = new[] { F("a") }, resources }))
            .ExpectErrorAsync(HttpStatusCode.Conflict, ErrorCodes.Conflict);
        await (await op.PostJsonAsync(P(pid, "/stacks"), new { tenantId = entity, name = "big", features = Enumerable.Range(0, 6).Select(i => F("f" + i)).ToArray(), resources }))
            .ExpectErrorAsync(HttpStatusCode.Forbidden, ErrorCodes.TierLimitExceeded);
        var custom = await (await op.PostJsonAsync(P(pid, "/stacks"), new { tenantId = entity, name = "mine", features = new[] { F("alpha"), F("beta") }, resources })).ExpectAsync(HttpStatusCode.Accepted);
        Assert.Equal("custom", custom.GetProperty("source").GetString());
        var p6 = await H.CallForAsync("/api/v1/provision/stack/activate", pid);
        var definition = p6.Json.GetProperty("definition");
        Assert.Equal("custom", definition.GetProperty("name").GetString());
        Assert.Equal("0.0.0", definition.GetProperty("version").GetString());
        Assert.False(p6.Json.TryGetProperty("templateName", out _));

        // A manifest over the starter limit → 403 and no activations.
        await OutboxTestKit.EventuallyAsync(async () => await H.Host.WithDbAsync(db => db.Stacks.AnyAsync(s => s.PlatformId == pid && s.ProvisionJobId == p6.JobId)), "the job id");
        using var prov = await H.Host.ServiceAsync(NnoServices.Provisioning);
        var sid = custom.GetProperty("id").GetString()!;
        var over = new { jobId = p6.JobId, templateVersion = "0.0.0", definition = new { schemaVersion = 1, name = "custom", version = "0.0.0", features = Enumerable.Range(0, 6).Select(i => F("g" + i)).ToArray(), resources } };
        await (await prov.PutAsync(P(pid, $"/stacks/{sid}/manifest"), Json(over))).ExpectErrorAsync(HttpStatusCode.Forbidden, ErrorCodes.TierLimitExceeded);
        Assert.Equal(0, await H.Host.WithDbAsync(db => db.FeatureActivations.CountAsync(a => a.PlatformId == pid)));

        // Internal routes: a user → 404, the CLI service's token → 403, an unknown property from Provisioning → 400.
        using var user = H.Host.User("usr_stack_b", (pid, "owner"));
        await (await user.PutAsync(P(pid, $"/stacks/{sid}/manifest"), Json(over))).ExpectErrorAsync(HttpStatusCode.NotFound, ErrorCodes.NotFound);
        using var cli = await H.Host.ServiceAsync(NnoServices.Cli);
        await (await cli.PostJsonAsync(P(pid, "/provision-events"), new { jobId = p6.JobId, runNumber = 1, status = "COMPLETED" })).ExpectErrorAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        await (await prov.PostJsonAsync(P(pid, "/provision-events"), new { jobId = p6.JobId, runNumber = 1, status = "COMPLETED", extra = 1 })).ExpectErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.ValidationError);
    }

    [Fact]
    public async Task Feature_secret_reaches_Provisioning_once_and_never_the_database_logs_or_audit()
    {
        RegistryApi.CurrentHost.Value = H.Host;
        var (pid, entity) = await H.PlatformAsync("secret-flow");
        await H.EnvironmentAsync(pid);
        using var op = H.Host.Operator();
        var faId = (await (await op.PostJsonAsync(P(pid, "/features"), new { entityId = entity, featureId = "billing", featureVersion = "1.0.0", environment = "prod" })).ExpectAsync(HttpStatusCode.Accepted))
            .GetProperty("id").GetString()!;
        const string value = "sk_live_S3CRET_VALUE_7f1d2c";
        await (await op.PutAsync(P(pid, $"/features/{faId}/secrets/STRIPE_KEY"), Json(new { value }))).ExpectErrorAsync(HttpStatusCode.Conflict, ErrorCodes.Conflict);
        var p4 = await H.CallForAsync("/api/v1/provision/feature/activate", pid);
        await OutboxTestKit.EventuallyAsync(async () => await H.Host.WithDbAsync(db => db.FeatureActivations.AnyAsync(a => a.Id == faId && a.ProvisionJobId == p4.JobId)), "job id");
        (await H.EventAsync(pid, p4.JobId!, 1, "COMPLETED")).EnsureSuccessStatusCode();

        // Active but the feature has no Worker yet → 409; Provisioning reports its Worker, then the PUT works.
        await (await op.PutAsync(P(pid, $"/features/{faId}/secrets/STRIPE_KEY"), Json(new { value }))).ExpectErrorAsync(HttpStatusCode.Conflict, ErrorCodes.Conflict);
        using var prov = await H.Host.ServiceAsync(NnoServices.Provisioning);
        await (await prov.PostJsonAsync(P(pid, "/resources"), new { stackId = "default", type = "worker", logicalName = "billing", cfName = $"{pid}-default-billing", environment = "prod", status = "active", featureId = "billing" }))
            .ExpectAsync(HttpStatusCode.Created);
        var secret = await (await op.PutAsync(P(pid, $"/features/{faId}/secrets/STRIPE_KEY"), Json(new { value }))).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("set", secret.GetProperty("status").GetString());
        Assert.Equal(1, secret.GetProperty("version").GetInt32());
        Assert.DoesNotContain(value, secret.GetRawText(), StringComparison.Ordinal);
        var p15 = Assert.Single(H.Provisioning.For("/api/v1/provision/secrets/", pid));
        Assert.Equal($"/api/v1/provision/secrets/{pid}/prod/default/billing/STRIPE_KEY", p15.Path);
        Assert.Equal(JsonSerializer.Serialize(new { value }), p15.Body);

        var list = await (await op.GetAsync(P(pid, $"/features/{faId}/secrets"))).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("STRIPE_KEY", list.GetProperty("data")[0].GetProperty("name").GetString());
        var audit = await (await op.GetAsync(P(pid, "/audit-log?limit=100"))).ExpectAsync(HttpStatusCode.OK);
        Assert.Contains(audit.GetProperty("data").EnumerateArray(), a => a.GetProperty("action").GetString() == "feature.secret_set");
        Assert.DoesNotContain(value, audit.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain(H.Host.Logs.Lines, l => l.Contains(value, StringComparison.Ordinal));
        SqliteConnection.ClearAllPools();
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(H.Host.DatabaseFile)!, "registry*"))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream, Encoding.Latin1);
            Assert.DoesNotContain(value, await reader.ReadToEndAsync(), StringComparison.Ordinal);
        }

        await (await op.DeleteAsync(P(pid, $"/features/{faId}/secrets/STRIPE_KEY"))).ExpectAsync(HttpStatusCode.NoContent);
        await (await op.DeleteAsync(P(pid, $"/features/{faId}/secrets/STRIPE_KEY"))).ExpectErrorAsync(HttpStatusCode.NotFound, ErrorCodes.NotFound);
    }

    [Fact]
    public async Task Custom_domains_validate_refuse_duplicates_cap_at_twenty_and_are_removed_by_a_job()
    {
        RegistryApi.CurrentHost.Value = H.Host;
        var (pid, _) = await H.PlatformAsync("domains");
        var (other, _) = await H.PlatformAsync("domains-other");
        using var prov = await H.Host.ServiceAsync(NnoServices.Provisioning);
        var target = $"auth.svc.default.{pid}.nno.run";
        await (await prov.PostJsonAsync(P(pid, "/dns-records"), new { hostname = target, environment = "prod", recordType = "custom_hostname", target = $"{pid}-default-auth", stackId = "default" }))
            .ExpectAsync(HttpStatusCode.Created);
        using var op = H.Host.Operator();
        foreach (var domain in new[] { "x.nno.run", "a.nno.app", "1.2.3.4", "*.x.com", "bücher.de", "UPPER.com" })
        {
            await (await op.PostJsonAsync(P(pid, "/custom-domains"), new { domain, targetHostname = target })).ExpectErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.ValidationError);
        }

        await (await op.PostJsonAsync(P(other, "/custom-domains"), new { domain = "shop.example.com", targetHostname = target })).ExpectErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.ValidationError);
        var created = await (await op.PostJsonAsync(P(pid, "/custom-domains"), new { domain = "shop.example.com", targetHostname = target })).ExpectAsync(HttpStatusCode.Accepted);
        Assert.Equal("pending", created.GetProperty("status").GetString());
        await (await op.PostJsonAsync(P(pid, "/custom-domains"), new { domain = "shop.example.com", targetHostname = target })).ExpectErrorAsync(HttpStatusCode.Conflict, ErrorCodes.Conflict);
        var id = created.GetProperty("id").GetString()!;
        var p8 = await H.CallForAsync("/api/v1/provision/custom-domain/add", pid);
        Assert.Equal(JsonSerializer.Serialize(new { platformId = pid, customDomainId = id, domain = "shop.example.com", targetHostname = target }), p8.Body);
        await OutboxTestKit.EventuallyAsync(async () => await H.Host.WithDbAsync(db => db.CustomDomains.AnyAsync(d => d.Id == id && d.ProvisionJobId == p8.JobId)), "job id");
        (await H.EventAsync(pid, p8.JobId!, 1, "COMPLETED")).EnsureSuccessStatusCode();
        await H.StatusAsync(P(pid, "/custom-domains/" + id), "active");

        for (var i = 1; i < 20; i++)
        {
            await (await op.PostJsonAsync(P(pid, "/custom-domains"), new { domain = $"d{i}.example.com", targetHostname = target })).ExpectAsync(HttpStatusCode.Accepted);
        }

        await (await op.PostJsonAsync(P(pid, "/custom-domains"), new { domain = "d21.example.com", targetHostname = target })).ExpectErrorAsync(HttpStatusCode.Forbidden, ErrorCodes.TierLimitExceeded);

        var removing = await (await op.DeleteAsync(P(pid, "/custom-domains/" + id))).ExpectAsync(HttpStatusCode.Accepted);
        Assert.Equal("removing", removing.GetProperty("status").GetString());
        await (await op.DeleteAsync(P(pid, "/custom-domains/" + id))).ExpectErrorAsync(HttpStatusCode.Conflict, ErrorCodes.InvalidTransition);
        var p9 = await H.CallForAsync("/api/v1/provision/custom-domain/remove", pid);
        Assert.Equal(JsonSerializer.Serialize(new { platformId = pid, customDomainId = id }), p9.Body);
        await OutboxTestKit.EventuallyAsync(async () => await H.Host.WithDbAsync(db => db.CustomDomains.AnyAsync(d => d.Id == id && d.ProvisionJobId == p9.JobId)), "job id");
        (await H.EventAsync(pid, p9.JobId!, 1, "COMPLETED")).EnsureSuccessStatusCode();
        await H.StatusAsync(P(pid, "/custom-domains/" + id), "removed");
    }

    [Fact]
    public async Task A_user_of_platform_A_gets_404_on_every_new_route_of_platform_B_and_the_status_gate_applies()
    {
        RegistryApi.CurrentHost.Value = H.Host;
        var (a, _) = await H.PlatformAsync("cross-a");
        var (b, bEntity) = await H.PlatformAsync("cross-b");
        var faId = (await (await H.Host.Operator().PostJsonAsync(P(b, "/features"), new { entityId = bEntity, featureId = "team", featureVersion = "1.0.0", environment = "prod" })).ExpectAsync(HttpStatusCode.Accepted))
            .GetProperty("id").GetString()!;
        using var user = H.Host.User("usr_cross", (a, "owner"));
        var requests = new (HttpMethod Method, string Path, object? Body)[]
        {
            (HttpMethod.Post, P(b, "/stacks"), new { tenantId = bEntity, name = "x", templateId = "crm" }),
            (HttpMethod.Patch, P(b, "/stacks/default"), new { displayName = "x" }),
            (HttpMethod.Delete, P(b, "/stacks/default"), null),
            (HttpMethod.Post, P(b, "/stacks/default/retry"), null),
            (HttpMethod.Post, P(b, "/features"), new { entityId = bEntity, featureId = "crm", featureVersion = "1.0.0", environment = "prod" }),
            (HttpMethod.Patch, P(b, "/features/" + faId), new { config = new { } }),
            (HttpMethod.Post, P(b, $"/features/{faId}/deactivate"), new { }),
            (HttpMethod.Put, P(b, $"/features/{faId}/secrets/KEY"), new { value = "v" }),
            (HttpMethod.Delete, P(b, $"/features/{faId}/secrets/KEY"), null),
            (HttpMethod.Post, P(b, "/custom-domains"), new { domain = "a.example.com", targetHostname = "x.example.com" }),
            (HttpMethod.Delete, P(b, "/custom-domains/dom_aaaaaaaaaaaaaaaa"), null),
            (HttpMethod.Post, P(b, "/environments"), new { environment = "prod" }),
            (HttpMethod.Delete, P(b, "/environments/stg"), null),
        };
        foreach (var (method, path, body) in requests)
        {
            using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : Json(body) };
            var json = await (await user.SendAsync(request)).ExpectErrorAsync(HttpStatusCode.NotFound, ErrorCodes.NotFound);
            Assert.Equal("platform", json.GetProperty("error").GetProperty("details").GetProperty("resource").GetString());
        }

        // Suspended: the owner's writes 403, an operator's go through; cancelled: 403 for all.
        await H.Host.SetStatusAsync(a, "suspended");
        var (_, aEntity) = (a, await H.Host.WithDbAsync(db => db.Entities.Where(e => e.PlatformId == a && e.IsDefault).Select(e => e.Id).SingleAsync()));
        await (await user.PostJsonAsync(P(a, "/features"), new { entityId = aEntity, featureId = "team", featureVersion = "1.0.0", environment = "prod" }))
            .ExpectErrorAsync(HttpStatusCode.Forbidden, ErrorCodes.PlatformSuspended);
        await (await H.Host.Operator().PostJsonAsync(P(a, "/features"), new { entityId = aEntity, featureId = "team", featureVersion = "1.0.0", environment = "prod" }))
            .ExpectAsync(HttpStatusCode.Accepted);
        await H.Host.SetStatusAsync(a, "cancelled");
        await (await H.Host.Operator().PostJsonAsync(P(a, "/custom-domains"), new { domain = "z.example.com", targetHostname = "x.example.com" }))
            .ExpectErrorAsync(HttpStatusCode.Forbidden, ErrorCodes.PlatformInactive);
    }
}

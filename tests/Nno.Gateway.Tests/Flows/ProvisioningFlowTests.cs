using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Nno.Core.Services;
using Nno.Testing.Sandbox;

namespace Nno.Gateway.Tests.Flows;

/// <summary>
/// Issue 6's acceptance across the seam: the real gateway, IAM, Registry, Stack Registry and Provisioning in memory,
/// Provisioning pointed at the Cloudflare emulator (a <see cref="TestSandbox"/> on the shared fake clock). Everything is
/// driven as an operator through the gateway; the Registry's outbox relays and Provisioning's queue run on the clock the
/// test moves. What Provisioning reports back (resources, DNS records, provision events, manifests) is read through the
/// Registry's public read routes, and what it built is read from the emulator.
/// </summary>
public sealed class ProvisioningFlowTests : IAsyncLifetime
{
    private const string AccountPath = "accounts/0123456789abcdef0123456789abcdef";

    private FlowPlatform _p = null!;
    private TestSandbox _sandbox = null!;
    private HttpClient _cf = null!;

    public async Task InitializeAsync()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        _sandbox = await TestSandbox.StartAsync(time, new Dictionary<string, string?>
        {
            ["Sandbox:Cloudflare:RateLimit:Limit"] = "1000000000",
            ["Sandbox:Cloudflare:SslActivationDelaySeconds"] = "1",
        });
        _cf = _sandbox.ApiClient();
        _p = await FlowPlatform.StartAsync(
            new Dictionary<string, string?>
            {
                ["Cloudflare:ApiBaseUrl"] = _sandbox.BaseUrl,
                ["Cloudflare:R2S3Url"] = _sandbox.S3Url,
                ["Cloudflare:GetRetries"] = "0",
                ["Provisioning:Retry:BaseSeconds"] = "0.1",
                ["Provisioning:Retry:MaxSeconds"] = "1",
                ["Provisioning:DeferralSeconds"] = "0.1",
                ["Provisioning:Outbox:RetryBaseSeconds"] = "0.1",
                ["Provisioning:Outbox:RetryMaxSeconds"] = "1",
                ["Registry:Outbox:RetryBase"] = "00:00:00.200",
                ["Registry:Outbox:RetryCap"] = "00:00:02",
            },
            [NnoServices.Registry, NnoServices.StackRegistry, NnoServices.Provisioning],
            time);
    }

    public async Task DisposeAsync()
    {
        await _p.DisposeAsync();
        await _sandbox.DisposeAsync();
    }

    private Task<HttpResponseMessage> AsOperator(HttpMethod method, string path, object? json = null) =>
        _p.SendAsync(method, path, FlowPlatform.StaticKey, json);

    private async Task<JsonElement> GetOkAsync(string path)
    {
        using var response = await AsOperator(HttpMethod.Get, path);
        return await response.AssertStatusAsync(HttpStatusCode.OK);
    }

    /// <summary>Moves the shared clock in steps (relay polls, queue delays, SSL activation) until <paramref name="condition"/> holds.</summary>
    private async Task EventuallyAsync(Func<Task<bool>> condition, string what, int rounds = 600)
    {
        for (var i = 0; i < rounds; i++)
        {
            if (await condition())
            {
                return;
            }

            _p.Platform.Time.Advance(TimeSpan.FromMilliseconds(250));
            await Task.Delay(15);
        }

        var problems = _p.Logs.Entries.Where(e => e.Level >= LogLevel.Warning).TakeLast(30).Select(e => $"{e.Service} {e.Category}: {e.Message}");
        Assert.Fail($"Timed out waiting for {what}. Last warnings:\n{string.Join('\n', problems)}\nProvisioning's Registry outbox:\n{DumpOutbox()}");
    }

    private async Task<string?> StatusOfAsync(string path)
    {
        using var response = await AsOperator(HttpMethod.Get, path);
        var text = await response.Content.ReadAsStringAsync();
        return response.StatusCode == HttpStatusCode.OK ? JsonDocument.Parse(text).RootElement.GetProperty("status").GetString() : null;
    }

    private async Task<string?> EnvironmentStatusAsync(string pid, string env)
    {
        var list = await GetOkAsync($"/api/v1/platforms/{pid}/environments");
        return list.GetProperty("data").EnumerateArray().Where(e => e.GetProperty("environment").GetString() == env).Select(e => e.GetProperty("status").GetString()).FirstOrDefault();
    }

    private async Task<List<JsonElement>> ListAsync(string path)
    {
        var list = await GetOkAsync(path + (path.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "limit=100");
        return [.. list.GetProperty("data").EnumerateArray()];
    }

    private async Task<Dictionary<string, List<string>>> EmulatorStateAsync()
    {
        using var admin = _sandbox.AdminClient();
        var state = await admin.GetFromJsonAsync<JsonElement>(new Uri("state", UriKind.Relative));
        return state.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetProperty("names").EnumerateArray().Select(n => n.GetString()!).ToList());
    }

    private async Task<JsonElement> D1QueryAsync(string database, string sql)
    {
        var found = await _cf.GetFromJsonAsync<JsonElement>(new Uri($"{AccountPath}/d1/database?name={database}", UriKind.Relative));
        var uuid = found.GetProperty("result")[0].GetProperty("uuid").GetString();
        using var response = await _cf.PostAsJsonAsync(new Uri($"{AccountPath}/d1/database/{uuid}/query", UriKind.Relative), new { sql });
        var envelope = await response.AssertStatusAsync(HttpStatusCode.OK);
        return envelope.GetProperty("result")[0].GetProperty("results");
    }

    [Fact]
    public async Task AnImportedPlatform_IsProvisioned_ActivatesAFeature_BuildsAndDeletesATemplateStack_AgainstTheEmulator()
    {
        var owner = await _p.SignUpAsync();
        string pid;
        using (var created = await AsOperator(HttpMethod.Post, "/api/v1/platforms", new { name = "Provisioned", slug = "provisioned", ownerUserId = owner.Id }))
        {
            pid = (await created.AssertStatusAsync(HttpStatusCode.Created)).GetProperty("id").GetString()!;
        }

        // The default entity becomes active once the relay has created its IAM organization.
        string entityId = "";
        await EventuallyAsync(async () =>
        {
            var entities = await ListAsync($"/api/v1/platforms/{pid}/entities");
            var entity = entities.FirstOrDefault(e => e.GetProperty("isDefault").GetBoolean());
            entityId = entity.ValueKind == JsonValueKind.Object ? entity.GetProperty("id").GetString()! : "";
            return entity.ValueKind == JsonValueKind.Object && entity.GetProperty("status").GetString() == "active";
        }, "the default entity to be active");

        // 1. The prod environment: P1 against the emulator, reported back through provision-events.
        using (var provision = await AsOperator(HttpMethod.Post, $"/api/v1/platforms/{pid}/environments", new { environment = "prod" }))
        {
            var env = await provision.AssertStatusAsync(HttpStatusCode.Accepted);
            Assert.Equal("provisioning", env.GetProperty("status").GetString());
        }

        await EventuallyAsync(async () => await EnvironmentStatusAsync(pid, "prod") == "active", "the prod environment to be active");

        // Provisioning's reports are delivered in order before its COMPLETED event; the Registry's job watcher may
        // see COMPLETED first (P11), so the read routes are given the time the outbox needs.
        await EventuallyAsync(async () => (await ListAsync($"/api/v1/platforms/{pid}/resources")).Count(r => r.GetProperty("status").GetString() == "active") >= 3
            && (await ListAsync($"/api/v1/platforms/{pid}/dns-records")).Count >= 2, "the P1 resource and DNS reports");
        var resources = await ListAsync($"/api/v1/platforms/{pid}/resources");
        var resourceNames = resources.Select(r => r.GetProperty("logicalName").GetString()!).ToList();
        Assert.Contains("auth-db", resourceNames);
        Assert.Contains("auth", resourceNames);
        Assert.Contains("portal", resourceNames);
        Assert.All(resources.Where(r => r.GetProperty("logicalName").GetString() is "auth-db" or "auth" or "portal"), r => Assert.Equal("active", r.GetProperty("status").GetString()));
        var dns = await ListAsync($"/api/v1/platforms/{pid}/dns-records");
        var hostnames = dns.Select(d => d.GetProperty("hostname").GetString()!).ToList();
        Assert.Contains($"auth.svc.default.{pid}.nno.run", hostnames);
        Assert.Contains($"console.app.default.{pid}.nno.run", hostnames);
        // Each record names, by Registry id, the resource its hostname points at: the auth Worker, the portal's Pages project.
        string ResourceIdOf(string logicalName) => resources.Single(r => r.GetProperty("logicalName").GetString() == logicalName).GetProperty("id").GetString()!;
        string? RecordResourceId(string hostname) => dns.Single(d => d.GetProperty("hostname").GetString() == hostname).GetProperty("resourceId").GetString();
        Assert.Equal(ResourceIdOf("auth"), RecordResourceId($"auth.svc.default.{pid}.nno.run"));
        Assert.Equal(ResourceIdOf("portal"), RecordResourceId($"console.app.default.{pid}.nno.run"));

        // The auth Worker's secret metadata (ISO-8601 lastSetAt on the wire) reached the Registry; no value did.
        await EventuallyAsync(async () => (await ListAsync($"/api/v1/platforms/{pid}/secrets")).Any(x => x.GetProperty("name").GetString() == "BETTER_AUTH_SECRET" && x.GetProperty("status").GetString() == "set"), "the auth secret metadata");

        var state = await EmulatorStateAsync();
        Assert.Contains($"{pid}-default-auth-db", state["d1"]);
        Assert.Contains($"{pid}-default-auth", state["workers"]);
        var migrations = (await D1QueryAsync($"{pid}-default-auth-db", "SELECT name FROM _nno_migrations ORDER BY name"))
            .EnumerateArray().Select(r => r.GetProperty("name").GetString()!).ToArray();
        Assert.Contains("0001_auth_core.sql", migrations);
        Assert.True(migrations.Length >= 4, string.Join(", ", migrations));

        // 2. A feature activation on the default stack: F1 against the emulator.
        string faId;
        using (var activated = await AsOperator(HttpMethod.Post, $"/api/v1/platforms/{pid}/features", new { entityId, featureId = "team", featureVersion = "1.0.0", environment = "prod" }))
        {
            faId = (await activated.AssertStatusAsync(HttpStatusCode.Accepted)).GetProperty("id").GetString()!;
        }

        await EventuallyAsync(async () => await StatusOfAsync($"/api/v1/platforms/{pid}/features/{faId}") == "active", "the team activation to be active");
        Assert.Contains((await EmulatorStateAsync())["workers"], w => w.Contains(pid, StringComparison.Ordinal) && w.Contains("team", StringComparison.Ordinal));

        // 3. A Path A stack from saas-starter: the manifest comes back, the stack and its activations go active.
        string sid;
        using (var stack = await AsOperator(HttpMethod.Post, $"/api/v1/platforms/{pid}/stacks", new { tenantId = entityId, name = "shop", templateId = "saas-starter" }))
        {
            var body = await stack.AssertStatusAsync(HttpStatusCode.Accepted);
            Assert.Equal("pending", body.GetProperty("status").GetString());
            sid = body.GetProperty("id").GetString()!;
        }

        await EventuallyAsync(async () => await StatusOfAsync($"/api/v1/platforms/{pid}/stacks/{sid}") is "active" or "failed", "the stack to settle");
        var built = await GetOkAsync($"/api/v1/platforms/{pid}/stacks/{sid}");
        Assert.True(built.GetProperty("status").GetString() == "active", built.ToString());
        var stackActivations = (await ListAsync($"/api/v1/platforms/{pid}/features?stackId={sid}")).ToList();
        Assert.NotEmpty(stackActivations);
        Assert.Contains(stackActivations, a => a.GetProperty("featureId").GetString() == "team");
        Assert.All(stackActivations, a => Assert.Equal("active", a.GetProperty("status").GetString()));
        var stackWorkers = (await EmulatorStateAsync())["workers"].Where(w => w.Contains(sid, StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(stackWorkers);

        // 4. Deleting the stack: P7 tears it down; the stack ends deleted and its workers are gone.
        using (var deleting = await AsOperator(HttpMethod.Delete, $"/api/v1/platforms/{pid}/stacks/{sid}"))
        {
            await deleting.AssertStatusAsync(HttpStatusCode.Accepted);
        }

        await EventuallyAsync(async () =>
        {
            var stacks = await ListAsync($"/api/v1/platforms/{pid}/stacks?status=deleted");
            return stacks.Any(s => s.GetProperty("id").GetString() == sid) || await StatusOfAsync($"/api/v1/platforms/{pid}/stacks/{sid}") == "deleted";
        }, "the stack to be deleted");
        Assert.DoesNotContain((await EmulatorStateAsync())["workers"], w => w.Contains(sid, StringComparison.Ordinal));
    }

    /// <summary>Provisioning's undelivered and delivered reports to the Registry, for a failure message (a stuck row names the mismatch).</summary>
    private string DumpOutbox()
    {
        var sb = new System.Text.StringBuilder();
        foreach (var file in Directory.EnumerateFiles(_p.Platform.DataDir, "*provisioning*", SearchOption.AllDirectories).Where(f => f.EndsWith(".db", StringComparison.Ordinal) || f.EndsWith(".sqlite", StringComparison.Ordinal)))
        {
            sb.AppendLine(file);
            using var c = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=" + file);
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT seq, method, path_template, body_json, attempts, sent_at, last_error FROM registry_outbox ORDER BY seq";
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                for (var i = 0; i < r.FieldCount; i++) { sb.Append(r.IsDBNull(i) ? "null" : r.GetValue(i).ToString()).Append(" | "); }
                sb.AppendLine();
            }
        }

        return sb.ToString();
    }
}

using System.Net.Http.Json;
using System.Text.Json;
using Nno.Provisioning.Jobs;
using Nno.Provisioning.Tests.Support;

namespace Nno.Provisioning.Tests.Platform;

/// <summary>PROVISION_PLATFORM against the Cloudflare emulator (provisioning.md §7 items 1, 2).</summary>
public sealed class ProvisionPlatformTests
{
    [Fact]
    public async Task P1_CompletesSevenSteps_AndTheEmulatorAndRegistryHoldEveryResource()
    {
        await using var env = await SandboxedProvisioning.StartAsync();
        const string pid = "pa11111111";

        using var client = await env.RegistryClientAsync();
        using var response = await client.PostAsJsonAsync(new Uri(SandboxedProvisioning.ProvisionPath, UriKind.Relative), ProvisioningHost.ProvisionBody(pid));
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        var accepted = await ProvisioningHost.JsonAsync(response);
        Assert.Equal("QUEUED", accepted.GetProperty("status").GetString());
        var jobId = accepted.GetProperty("jobId").GetString()!;

        await env.UntilStatusAsync(jobId, JobStatuses.Completed);
        var steps = await env.StepsAsync(jobId);
        Assert.Equal(7, steps.Count);
        Assert.All(steps, s => Assert.Equal(StepStatuses.Completed, s.Status));
        Assert.All(steps.Where(s => s.ResourceKind is not null), s => Assert.True(s.CreatedByJob, s.Name));

        var state = await env.StateAsync();
        Assert.Contains($"{pid}-default-auth-db", state["d1"]);
        Assert.Contains($"{pid}-default-auth", state["workers"]);
        Assert.Contains($"auth.svc.default.{pid}.nno.run", state["customHostnames"]);
        Assert.Contains($"console.app.default.{pid}.nno.run", state["customHostnames"]);
        Assert.Contains($"auth.svc.default.{pid}.nno.run/*", state["workerRoutes"]);
        Assert.Contains($"{pid}-prod-portal", state["pagesProjects"]);
        Assert.Contains($"console.app.default.{pid}.nno.run", state["pagesDomains"]);

        // The Worker is bound to the D1 and holds the secret (name only).
        var database = (await env.CfAsync(HttpMethod.Get, $"{SandboxedProvisioning.AccountPath}/d1/database?name={pid}-default-auth-db")).GetProperty("result")[0];
        var settings = (await env.CfAsync(HttpMethod.Get, $"{SandboxedProvisioning.AccountPath}/workers/scripts/{pid}-default-auth/settings")).GetProperty("result");
        var db = settings.GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("name").GetString() == "DB");
        Assert.Equal("d1", db.GetProperty("type").GetString());
        Assert.Equal(database.GetProperty("uuid").GetString(), db.GetProperty("id").GetString());
        var secrets = (await env.CfAsync(HttpMethod.Get, $"{SandboxedProvisioning.AccountPath}/workers/scripts/{pid}-default-auth/secrets")).GetProperty("result");
        Assert.Contains(secrets.EnumerateArray(), s => s.GetProperty("name").GetString() == "BETTER_AUTH_SECRET");

        // Registry: auth-db, auth, portal and both DNS records, in step order, each before COMPLETED.
        await env.UntilAsync(() => Task.FromResult(env.Registry.Calls.Any(c => c.Body?.Contains("\"COMPLETED\"", StringComparison.Ordinal) == true)), "the COMPLETED event");
        var calls = env.Registry.Calls.ToList();
        int IndexOf(Func<RegistryCall, bool> match) => calls.FindIndex(c => match(c));
        var authDb = IndexOf(c => c.Path.EndsWith("/resources", StringComparison.Ordinal) && c.Body!.Contains("\"logicalName\":\"auth-db\"", StringComparison.Ordinal));
        var auth = IndexOf(c => c.Path.EndsWith("/resources", StringComparison.Ordinal) && c.Body!.Contains("\"logicalName\":\"auth\"", StringComparison.Ordinal));
        var secret = IndexOf(c => c.Method == "PUT" && c.Path.EndsWith("/secrets/BETTER_AUTH_SECRET", StringComparison.Ordinal));
        var authDns = IndexOf(c => c.Path.EndsWith("/dns-records", StringComparison.Ordinal) && c.Body!.Contains($"auth.svc.default.{pid}.nno.run", StringComparison.Ordinal));
        var portal = IndexOf(c => c.Path.EndsWith("/resources", StringComparison.Ordinal) && c.Body!.Contains("\"logicalName\":\"portal\"", StringComparison.Ordinal));
        var consoleDns = IndexOf(c => c.Path.EndsWith("/dns-records", StringComparison.Ordinal) && c.Body!.Contains($"console.app.default.{pid}.nno.run", StringComparison.Ordinal));
        var completed = IndexOf(c => c.Path.EndsWith("/provision-events", StringComparison.Ordinal) && c.Body!.Contains("\"COMPLETED\"", StringComparison.Ordinal));
        int[] order = [authDb, auth, secret, authDns, portal, consoleDns, completed];
        Assert.All(order, i => Assert.True(i >= 0, string.Join("\n", calls.Select(c => c.Method + " " + c.Path + " " + c.Body))));
        Assert.Equal(order.Order().ToArray(), order);
        // Each DNS record names what its hostname points at by Registry id: the auth Worker, the Pages project.
        var ledger = await env.LedgerAsync(pid);
        var workerId = ledger.Single(r => r.Kind == ResourceKinds.Worker).RegistryId;
        var portalId = ledger.Single(r => r.Kind == ResourceKinds.PagesProject).RegistryId;
        Assert.NotNull(workerId);
        Assert.NotNull(portalId);
        Assert.NotEqual(workerId, portalId);
        Assert.Equal(workerId, ResourceIdOf(calls[authDns]));
        Assert.Equal(portalId, ResourceIdOf(calls[consoleDns]));
        // The secret's value never reaches the Registry, the job or the steps.
        Assert.DoesNotContain(calls, c => c.Body?.Contains("\"text\"", StringComparison.Ordinal) == true);
        Assert.All(steps, s => Assert.DoesNotContain("secret_text", s.OutputJson, StringComparison.Ordinal));
    }

    private static string? ResourceIdOf(RegistryCall call)
    {
        using var body = JsonDocument.Parse(call.Body!);
        return body.RootElement.GetProperty("resourceId").GetString();
    }

    [Fact]
    public async Task P1_Staging_AppliesEveryMigration_WritesPlatformConfig_AndUsesStagingNames()
    {
        await using var env = await SandboxedProvisioning.StartAsync();
        const string pid = "pa22222222";

        var jobId = await env.ProvisionAsync(pid, "stg");
        await env.UntilStatusAsync(jobId, JobStatuses.Completed);

        var state = await env.StateAsync();
        Assert.Contains($"{pid}-default-auth-db-stg", state["d1"]);
        Assert.Contains($"{pid}-default-auth-stg", state["workers"]);
        Assert.Contains($"auth.svc.stg.default.{pid}.nno.run", state["customHostnames"]);
        Assert.Contains($"auth.svc.stg.default.{pid}.nno.run/*", state["workerRoutes"]);
        Assert.Contains($"{pid}-stg-portal", state["pagesProjects"]);
        Assert.Contains($"console.app.stg.default.{pid}.nno.run", state["pagesDomains"]);

        var uuid = (await env.CfAsync(HttpMethod.Get, $"{SandboxedProvisioning.AccountPath}/d1/database?name={pid}-default-auth-db-stg")).GetProperty("result")[0].GetProperty("uuid").GetString();
        var migrations = (await env.CfAsync(HttpMethod.Post, $"{SandboxedProvisioning.AccountPath}/d1/database/{uuid}/query", new { sql = "SELECT name FROM _nno_migrations ORDER BY name" }))
            .GetProperty("result")[0].GetProperty("results").EnumerateArray().Select(r => r.GetProperty("name").GetString()!).ToArray();
        Assert.Equal(["0001_auth_core.sql", "0002_organizations.sql", "0003_nno_permissions.sql", "0004_platform_config.sql"], migrations);
        var config = (await env.CfAsync(HttpMethod.Post, $"{SandboxedProvisioning.AccountPath}/d1/database/{uuid}/query", new { sql = "SELECT platform_id, plan_tier, environment FROM nno_platform_config" }))
            .GetProperty("result")[0].GetProperty("results")[0];
        Assert.Equal(pid, config.GetProperty("platform_id").GetString());
        Assert.Equal("starter", config.GetProperty("plan_tier").GetString());
        Assert.Equal("stg", config.GetProperty("environment").GetString());

        var project = (await env.CfAsync(HttpMethod.Get, $"{SandboxedProvisioning.AccountPath}/pages/projects/{pid}-stg-portal")).GetProperty("result");
        var vars = project.GetProperty("deployment_configs").GetProperty("production").GetProperty("env_vars");
        Assert.Equal($"https://auth.svc.stg.default.{pid}.nno.run", vars.GetProperty("VITE_AUTH_URL").GetProperty("value").GetString());
        Assert.Equal("stg", vars.GetProperty("VITE_ENVIRONMENT").GetProperty("value").GetString());
    }
}

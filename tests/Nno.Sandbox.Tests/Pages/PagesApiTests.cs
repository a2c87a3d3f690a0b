using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Nno.Sandbox.Tests.Pages;

public sealed class PagesApiTests(AreaSandbox fixture) : IClassFixture<AreaSandbox>
{
    private HttpClient Api => fixture.Api;

    private static string Projects(string rest = "") => AreaSandbox.Account("pages/projects" + rest);

    private async Task NewProjectAsync(string name) => await fixture.PostOkAsync(Projects(), new
    {
        name,
        production_branch = "main",
        deployment_configs = new { production = new { env_vars = new Dictionary<string, string> { ["VITE_PLATFORM_ID"] = "p1", ["VITE_ENVIRONMENT"] = "prod" } } },
    });

    private async Task<JsonElement> DeployAsync(string project, string branch, string hash, string message)
    {
        using var form = new MultipartFormDataContent
        {
            { new StringContent("""{"/index.html":"0123456789abcdef0123456789abcdef"}"""), "manifest" },
            { new StringContent(branch), "branch" },
            { new StringContent(hash), "commit_hash" },
            { new StringContent(message), "commit_message" },
        };
        return await AreaSandbox.OkAsync(await Api.PostAsync(Projects($"/{project}/deployments"), form));
    }

    private async Task SetFaultsAsync(object faults) => (await fixture.Admin.PutAsJsonAsync("faults", faults)).EnsureSuccessStatusCode();

    [Fact]
    public async Task CreateProject_HasTheSpecShape_DuplicateIs409_UnknownIs404Code8000007()
    {
        await NewProjectAsync("shape-portal");
        var project = await AreaSandbox.OkAsync(await Api.GetAsync(Projects("/shape-portal")));
        foreach (var field in new[] { "id", "name", "subdomain", "domains", "production_branch", "source", "build_config", "deployment_configs", "latest_deployment", "created_on" })
        {
            Assert.True(project.TryGetProperty(field, out _), field);
        }

        Assert.Equal("shape-portal.pages.dev", project.GetProperty("subdomain").GetString());
        Assert.Equal("p1", project.GetProperty("deployment_configs").GetProperty("production").GetProperty("env_vars")
            .GetProperty("VITE_PLATFORM_ID").GetProperty("value").GetString());
        Assert.Equal(JsonValueKind.Null, project.GetProperty("latest_deployment").ValueKind);

        await AreaSandbox.ErrorAsync(await Api.PostAsJsonAsync(Projects(), new { name = "shape-portal", production_branch = "main" }), HttpStatusCode.Conflict);
        await AreaSandbox.ErrorAsync(await Api.GetAsync(Projects("/no-such-portal")), HttpStatusCode.NotFound, 8000007);
        await AreaSandbox.OkAsync(await Api.DeleteAsync(Projects("/shape-portal")));
        await AreaSandbox.ErrorAsync(await Api.GetAsync(Projects("/shape-portal")), HttpStatusCode.NotFound, 8000007);
    }

    [Fact]
    public async Task Domain_IsPendingUntilTheSslDelay_ThenActive()
    {
        await NewProjectAsync("domain-portal");
        var added = await fixture.PostOkAsync(Projects("/domain-portal/domains"), new { name = "console.app.default.p1.nno.run" });
        Assert.Equal("pending", added.GetProperty("status").GetString());
        await AreaSandbox.ErrorAsync(await Api.PostAsJsonAsync(Projects("/domain-portal/domains"), new { name = "console.app.default.p1.nno.run" }), HttpStatusCode.Conflict);

        fixture.Time.Advance(TimeSpan.FromSeconds(1));
        var read = await AreaSandbox.OkAsync(await Api.GetAsync(Projects("/domain-portal/domains/console.app.default.p1.nno.run")));
        Assert.Equal("active", read.GetProperty("status").GetString());
        var project = await AreaSandbox.OkAsync(await Api.GetAsync(Projects("/domain-portal")));
        Assert.Equal(["console.app.default.p1.nno.run"], project.GetProperty("domains").EnumerateArray().Select(d => d.GetString()));

        await AreaSandbox.OkAsync(await Api.DeleteAsync(Projects("/domain-portal/domains/console.app.default.p1.nno.run")));
        await AreaSandbox.ErrorAsync(await Api.GetAsync(Projects("/domain-portal/domains/console.app.default.p1.nno.run")), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Deployment_WalksItsStagesOnTheClock_AndSucceedsAfterPagesBuildSeconds()
    {
        await SetFaultsAsync(new { pagesBuildSeconds = 10 });
        await NewProjectAsync("build-portal");
        var created = await DeployAsync("build-portal", "main", "abc123", "Add billing");
        var id = created.GetProperty("id").GetString();
        Assert.Equal("production", created.GetProperty("environment").GetString());
        Assert.Equal("queued", created.GetProperty("latest_stage").GetProperty("name").GetString());
        var trigger = created.GetProperty("deployment_trigger");
        Assert.Equal("ad_hoc", trigger.GetProperty("type").GetString());
        Assert.Equal("abc123", trigger.GetProperty("metadata").GetProperty("commit_hash").GetString());
        Assert.Equal("Add billing", trigger.GetProperty("metadata").GetProperty("commit_message").GetString());

        fixture.Time.Advance(TimeSpan.FromSeconds(7));
        var building = await AreaSandbox.OkAsync(await Api.GetAsync(Projects($"/build-portal/deployments/{id}")));
        Assert.Equal("build", building.GetProperty("latest_stage").GetProperty("name").GetString());
        Assert.Equal("active", building.GetProperty("latest_stage").GetProperty("status").GetString());

        fixture.Time.Advance(TimeSpan.FromSeconds(3));
        var done = await AreaSandbox.OkAsync(await Api.GetAsync(Projects($"/build-portal/deployments/{id}")));
        Assert.Equal("deploy", done.GetProperty("latest_stage").GetProperty("name").GetString());
        Assert.Equal("success", done.GetProperty("latest_stage").GetProperty("status").GetString());
        Assert.Equal(["queued", "initialize", "clone_repo", "build", "deploy"], done.GetProperty("stages").EnumerateArray().Select(s => s.GetProperty("name").GetString()));
        var project = await AreaSandbox.OkAsync(await Api.GetAsync(Projects("/build-portal")));
        Assert.Equal(id, project.GetProperty("latest_deployment").GetProperty("id").GetString());
        await SetFaultsAsync(new { });
    }

    [Fact]
    public async Task Deployments_ListByEnvNewestFirst_WithPages()
    {
        await SetFaultsAsync(new { pagesBuildSeconds = 0 });
        await NewProjectAsync("list-portal");
        await DeployAsync("list-portal", "main", "c1", "one");
        await DeployAsync("list-portal", "feature-x", "c2", "two");
        await DeployAsync("list-portal", "main", "c3", "three");

        var production = await AreaSandbox.EnvelopeAsync(await Api.GetAsync(Projects("/list-portal/deployments?env=production&per_page=1&page=1")));
        Assert.Equal("c3", production.GetProperty("result")[0].GetProperty("deployment_trigger").GetProperty("metadata").GetProperty("commit_hash").GetString());
        Assert.Equal(2, production.GetProperty("result_info").GetProperty("total_count").GetInt32());
        var preview = await AreaSandbox.OkAsync(await Api.GetAsync(Projects("/list-portal/deployments?env=preview")));
        Assert.Equal("preview", Assert.Single(preview.EnumerateArray()).GetProperty("environment").GetString());
        await AreaSandbox.ErrorAsync(await Api.GetAsync(Projects("/list-portal/deployments?env=staging")), HttpStatusCode.BadRequest);
        await SetFaultsAsync(new { });
    }

    [Fact]
    public async Task Rollback_OnlyToASuccessfulProductionDeployment_AnswersACopyOfItsCommit()
    {
        await SetFaultsAsync(new { pagesBuildSeconds = 5 });
        await NewProjectAsync("rollback-portal");
        var good = await DeployAsync("rollback-portal", "main", "good1", "good");
        var preview = await DeployAsync("rollback-portal", "topic", "prev1", "preview");
        var pending = await DeployAsync("rollback-portal", "main", "new1", "still building");
        await AreaSandbox.ErrorAsync(await Api.PostAsync(Projects($"/rollback-portal/deployments/{pending.GetProperty("id").GetString()}/rollback"), null), HttpStatusCode.BadRequest);

        fixture.Time.Advance(TimeSpan.FromSeconds(5));
        await AreaSandbox.ErrorAsync(await Api.PostAsync(Projects($"/rollback-portal/deployments/{preview.GetProperty("id").GetString()}/rollback"), null), HttpStatusCode.BadRequest);
        var rolled = await AreaSandbox.OkAsync(await Api.PostAsync(Projects($"/rollback-portal/deployments/{good.GetProperty("id").GetString()}/rollback"), null));
        Assert.NotEqual(good.GetProperty("id").GetString(), rolled.GetProperty("id").GetString());
        Assert.Equal("good1", rolled.GetProperty("deployment_trigger").GetProperty("metadata").GetProperty("commit_hash").GetString());
        Assert.Equal("success", rolled.GetProperty("latest_stage").GetProperty("status").GetString());

        var retried = await AreaSandbox.OkAsync(await Api.PostAsync(Projects($"/rollback-portal/deployments/{pending.GetProperty("id").GetString()}/retry"), null));
        Assert.Equal("new1", retried.GetProperty("deployment_trigger").GetProperty("metadata").GetProperty("commit_hash").GetString());
        await SetFaultsAsync(new { });
    }

    [Fact]
    public async Task FailureRate_One_FailsTheBuildStageAndNeverDeploys()
    {
        await SetFaultsAsync(new { pagesBuildSeconds = 5, pagesBuildFailureRate = 1.0, seed = 7 });
        await NewProjectAsync("failing-portal");
        var created = await DeployAsync("failing-portal", "main", "bad", "broken");
        fixture.Time.Advance(TimeSpan.FromSeconds(10));
        var failed = await AreaSandbox.OkAsync(await Api.GetAsync(Projects($"/failing-portal/deployments/{created.GetProperty("id").GetString()}")));
        Assert.Equal("build", failed.GetProperty("latest_stage").GetProperty("name").GetString());
        Assert.Equal("failure", failed.GetProperty("latest_stage").GetProperty("status").GetString());
        await AreaSandbox.ErrorAsync(await Api.PostAsync(Projects($"/failing-portal/deployments/{created.GetProperty("id").GetString()}/rollback"), null), HttpStatusCode.BadRequest);
        await SetFaultsAsync(new { });
    }
}

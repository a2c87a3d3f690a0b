using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Nno.StackRegistry.Definitions;
using Nno.StackRegistry.Tests.Support;
using Nno.Testing;

namespace Nno.StackRegistry.Tests.Api;

public sealed class SeedCatalogueTests
{
    private const string Base = StackHost.Base;

    [Fact]
    public async Task FreshInstall_ListsTheThreeSeedTemplatesActiveAtOneZeroZero_WithValidDefinitions()
    {
        await using var host = await StackHost.StartAsync();
        var list = await host.GetJsonAsync(Base);
        var templates = list.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(["analytics-pro", "crm", "saas-starter"], templates.Select(t => t.GetProperty("name").GetString()));
        Assert.All(templates, t =>
        {
            Assert.Equal("active", t.GetProperty("status").GetString());
            Assert.Equal("1.0.0", t.GetProperty("latestVersion").GetString());
            Assert.Equal("system:seed", t.GetProperty("createdBy").GetString());
            Assert.StartsWith("tpl_", t.GetProperty("id").GetString(), StringComparison.Ordinal);
            Assert.Equal(20, t.GetProperty("id").GetString()!.Length);
        });

        foreach (var name in new[] { "analytics-pro", "crm", "saas-starter" })
        {
            var version = await host.GetJsonAsync($"{Base}/{name}/versions/1.0.0");
            Assert.StartsWith("tv_", version.GetProperty("id").GetString(), StringComparison.Ordinal);
            Assert.Equal(19, version.GetProperty("id").GetString()!.Length);
            var definition = version.GetProperty("definition");
            var canonical = StackDefinitionValidator.Validate(definition, name, "1.0.0");
            Assert.Equal(version.GetProperty("definitionSha256").GetString(), canonical.Sha256);
            Assert.Equal(version.GetProperty("featureCount").GetInt32(), canonical.FeatureCount);
        }

        var saas = await host.GetJsonAsync($"{Base}/saas-starter");
        Assert.Equal("saas", saas.GetProperty("template").GetProperty("domain").GetString());
        Assert.Equal("rocket", saas.GetProperty("template").GetProperty("icon").GetString());
        var features = saas.GetProperty("latestVersion").GetProperty("definition").GetProperty("features").EnumerateArray().ToList();
        Assert.Equal(["team", "billing", "settings", "notifications"], features.Select(f => f.GetProperty("id").GetString()));
        Assert.False(features[3].GetProperty("required").GetBoolean());
    }

    [Fact]
    public async Task Restart_Twice_NoDuplicates_AndOperatorDeprecationsSurvive()
    {
        var dataDir = new TempDirectory();
        try
        {
            var first = await StackHost.StartAsync(dataDir: dataDir);
            using (var op = first.Operator())
            {
                using var patch = await op.PatchAsync($"{Base}/crm", StackHost.Json("""{"status":"deprecated"}"""));
                await StackHost.ExpectAsync(patch, HttpStatusCode.OK);
            }

            await first.DeprecateAsync("analytics-pro", "1.0.0");
            await first.Platform.StopKeepingDataAsync();

            for (var restart = 0; restart < 2; restart++)
            {
                var again = await StackHost.StartAsync(dataDir: dataDir);
                try
                {
                    var counts = await again.DbAsync(async db => (await db.Templates.CountAsync(), await db.Versions.CountAsync()));
                    Assert.Equal((3, 3), counts);
                    var crm = await again.GetJsonAsync($"{Base}/crm");
                    Assert.Equal("deprecated", crm.GetProperty("template").GetProperty("status").GetString());
                    var analytics = await again.GetJsonAsync($"{Base}/analytics-pro/versions/1.0.0");
                    Assert.Equal("deprecated", analytics.GetProperty("status").GetString());
                    Assert.Null(await again.LatestAsync("analytics-pro"));
                }
                finally
                {
                    await again.Platform.StopKeepingDataAsync();
                }
            }
        }
        finally
        {
            dataDir.Dispose();
        }
    }

    [Fact]
    public async Task SeedDisabled_CatalogueStartsEmpty_AndReadinessIsReady()
    {
        await using var host = await StackHost.StartAsync(new Dictionary<string, string?> { ["StackRegistry:Seed:Enabled"] = "false" });
        var list = await host.GetJsonAsync(Base);
        Assert.Empty(list.GetProperty("data").EnumerateArray());
        using var client = host.NoToken();
        using var ready = await client.GetAsync("/health/ready");
        var body = await StackHost.ExpectAsync(ready, HttpStatusCode.OK);
        Assert.Equal("ok", body.GetProperty("checks").GetProperty("seeds").GetString());
        Assert.Equal("ok", body.GetProperty("checks").GetProperty("database").GetString());
    }

    [Fact]
    public void EverySeed_PassesTheSameValidationAsAPublish()
    {
        var seeds = Seeds.SeedCatalogue.Load();
        Assert.Equal(["analytics-pro", "crm", "saas-starter"], seeds.Select(s => s.Template.Name));
        foreach (var seed in seeds)
        {
            var version = Assert.Single(seed.Versions);
            Assert.Equal("1.0.0", version.Version);
            var (_, definition, _) = Versions.VersionCatalogue.ValidatePublish(seed.Template.Name, new Versions.PublishVersionRequest(version.Version, version.Definition));
            using var doc = JsonDocument.Parse(definition.Json);
            Assert.All(doc.RootElement.GetProperty("features").EnumerateArray(), f => Assert.Equal("1.0.0", f.GetProperty("version").GetString()));
            Assert.True(doc.RootElement.GetProperty("features").GetArrayLength() <= 5, "every seed fits the starter tier's five active features");
        }
    }
}

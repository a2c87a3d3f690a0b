using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Nno.StackRegistry.Tests.Support;

namespace Nno.StackRegistry.Tests.Api;

/// <summary>stack-registry.md §4.2 and §7 items 9–16, 19–21, 23.</summary>
public sealed class VersionsTests(VersionsTests.Fixture fixture) : IClassFixture<VersionsTests.Fixture>
{
    private const string Base = StackHost.Base;

    public sealed class Fixture : IAsyncLifetime
    {
        public StackHost Host { get; private set; } = null!;

        public async Task InitializeAsync() => Host = await StackHost.StartAsync();

        public async Task DisposeAsync() => await Host.DisposeAsync();
    }

    private StackHost Host => fixture.Host;

    private async Task<string> NewTemplateAsync()
    {
        var name = StackHost.NewName("v");
        await Host.CreateTemplateAsync(name);
        return name;
    }

    [Fact]
    public async Task Publish_201_SetsLatest_AndAppearsInList()
    {
        var name = await NewTemplateAsync();
        using var response = await Host.PublishAsync(name, "1.0.0", changelog: "First.\n\n- notes");
        var version = await StackHost.ExpectAsync(response, HttpStatusCode.Created);
        Assert.Equal($"{Base}/{name}/versions/1.0.0", response.Headers.Location!.OriginalString);
        Assert.Equal(name, version.GetProperty("templateName").GetString());
        Assert.Equal("active", version.GetProperty("status").GetString());
        Assert.Equal(2, version.GetProperty("featureCount").GetInt32());
        Assert.Equal("First.\n\n- notes", version.GetProperty("changelog").GetString());
        Assert.Equal(64, version.GetProperty("definitionSha256").GetString()!.Length);
        Assert.True(version.GetProperty("definition").GetProperty("features")[0].GetProperty("required").GetBoolean());
        Assert.Equal("1.0.0", await Host.LatestAsync(name));
        var list = await Host.GetJsonAsync($"{Base}/{name}/versions");
        var item = Assert.Single(list.GetProperty("data").EnumerateArray());
        Assert.Equal("1.0.0", item.GetProperty("version").GetString());
        Assert.False(item.TryGetProperty("definition", out _));
    }

    [Theory]
    [InlineData("1.0")]
    [InlineData("v1.0.0")]
    [InlineData("01.0.0")]
    [InlineData("1.0.0+b1")]
    [InlineData("1.0.0-")]
    [InlineData("1.0.0-01")]
    [InlineData("^1.0.0")]
    public async Task Publish_BadSemver_400NamingVersion(string version)
    {
        var name = await NewTemplateAsync();
        using var response = await Host.PublishAsync(name, version);
        Assert.Contains("version", await StackHost.ExpectFieldsAsync(response));
        Assert.Null(await Host.LatestAsync(name));
    }

    [Fact]
    public async Task Publish_65CharVersion_400_PrereleaseAccepted()
    {
        var name = await NewTemplateAsync();
        var longVersion = "1.0.0-" + new string('a', 59);
        Assert.Equal(65, longVersion.Length);
        using (var tooLong = await Host.PublishAsync(name, longVersion))
        {
            Assert.Contains("version", await StackHost.ExpectFieldsAsync(tooLong));
        }

        await Host.PublishOkAsync(name, "1.0.0-alpha.1");
    }

    [Fact]
    public async Task Publish_DefinitionNameOrVersionMismatch_400WithPath()
    {
        var name = await NewTemplateAsync();
        using (var wrongName = await Host.PublishAsync(name, "1.0.0", TestDefinitions.Valid("other-name", "1.0.0")))
        {
            Assert.Contains("definition.name", await StackHost.ExpectFieldsAsync(wrongName));
        }

        using var wrongVersion = await Host.PublishAsync(name, "1.0.0", TestDefinitions.Valid(name, "1.0.1"));
        Assert.Contains("definition.version", await StackHost.ExpectFieldsAsync(wrongVersion));
    }

    [Fact]
    public async Task Publish_UnknownTemplate_404()
    {
        using var response = await Host.PublishAsync("no-such-template", "1.0.0");
        await StackHost.ExpectErrorAsync(response, HttpStatusCode.NotFound, "NOT_FOUND");
    }

    [Fact]
    public async Task Republish_IdenticalEvenReordered_200SameId_DifferentFeatures_409_RowUnchanged()
    {
        var name = await NewTemplateAsync();
        var first = await Host.PublishOkAsync(name, "1.0.0");

        // Same content, keys in another order and with whitespace, defaults spelled out.
        var reordered = $$"""
            {
              "version": "1.0.0",
              "definition": {
                "resources": { "kv": true, "r2": false, "d1": true },
                "features": [
                  { "version": "1.0.0", "service": true, "id": "core", "required": true },
                  { "config": { "maxTokens": 5 }, "dependsOn": ["core"], "id": "extra", "version": "1.0.0", "service": false }
                ],
                "configSchema": { "additionalProperties": false, "properties": { "days": { "default": 14, "maximum": 60, "minimum": 0, "type": "integer" } }, "type": "object" },
                "permissions": [ { "defaultRoles": ["owner", "admin", "member"], "label": "Read core", "key": "core:read" } ],
                "displayName": "Test stack",
                "version": "1.0.0",
                "name": "{{name}}",
                "schemaVersion": 1
              }
            }
            """;
        using var client = Host.Operator();
        using (var again = await client.PostAsync($"{Base}/{name}/versions", StackHost.Json(reordered)))
        {
            var same = await StackHost.ExpectAsync(again, HttpStatusCode.OK);
            Assert.Equal(first.GetProperty("id").GetString(), same.GetProperty("id").GetString());
        }

        var different = TestDefinitions.With(name, "1.0.0", d => d["features"]!.AsArray().Add(TestDefinitions.Feature("third")));
        using (var conflict = await Host.PublishAsync(name, "1.0.0", different))
        {
            await StackHost.ExpectErrorAsync(conflict, HttpStatusCode.Conflict, "CONFLICT");
        }

        using (var otherChangelog = await Host.PublishAsync(name, "1.0.0", changelog: "changed"))
        {
            await StackHost.ExpectErrorAsync(otherChangelog, HttpStatusCode.Conflict, "CONFLICT");
        }

        var stored = await Host.GetJsonAsync($"{Base}/{name}/versions/1.0.0");
        Assert.Equal(first.GetProperty("definitionSha256").GetString(), stored.GetProperty("definitionSha256").GetString());
        Assert.Equal(2, stored.GetProperty("definition").GetProperty("features").GetArrayLength());
    }

    [Fact]
    public async Task Versions_PutPatchDelete_405WithAllow()
    {
        var name = await NewTemplateAsync();
        await Host.PublishOkAsync(name, "1.0.0");
        using var client = Host.Operator();
        foreach (var method in new[] { HttpMethod.Put, HttpMethod.Patch, HttpMethod.Delete })
        {
            using var request = new HttpRequestMessage(method, $"{Base}/{name}/versions/1.0.0") { Content = StackHost.Json("{}") };
            using var response = await client.SendAsync(request);
            await StackHost.ExpectErrorAsync(response, HttpStatusCode.MethodNotAllowed, "METHOD_NOT_ALLOWED");
            Assert.Equal("GET", string.Join(", ", response.Content.Headers.Allow));
        }
    }

    [Fact]
    public async Task Sql_UpdateOfDefinition_OrDeleteOfVersion_FailsInTheDatabase()
    {
        var name = await NewTemplateAsync();
        var version = await Host.PublishOkAsync(name, "1.0.0");
        var id = version.GetProperty("id").GetString()!;
        await Host.DbAsync<bool>(async db =>
        {
            var update = await Assert.ThrowsAsync<SqliteException>(() => db.Database.ExecuteSqlAsync($"UPDATE stack_template_versions SET definition = '{{}}' WHERE id = {id}"));
            Assert.Contains("immutable", update.Message, StringComparison.Ordinal);
            await Assert.ThrowsAsync<SqliteException>(() => db.Database.ExecuteSqlAsync($"UPDATE stack_template_versions SET changelog = 'x' WHERE id = {id}"));
            await Assert.ThrowsAsync<SqliteException>(() => db.Database.ExecuteSqlAsync($"DELETE FROM stack_template_versions WHERE id = {id}"));
            await Assert.ThrowsAsync<SqliteException>(() => db.Database.ExecuteSqlAsync($"UPDATE stack_template_versions SET status = 'retired' WHERE id = {id}"));
            return true;
        });
        await Host.DeprecateAsync(name, "1.0.0");
        await Host.DbAsync<bool>(async db =>
        {
            // Once deprecated, one way: no return to active, even by SQL.
            await Assert.ThrowsAsync<SqliteException>(() => db.Database.ExecuteSqlAsync($"UPDATE stack_template_versions SET status = 'active' WHERE id = {id}"));
            return true;
        });
        var stored = await Host.GetJsonAsync($"{Base}/{name}/versions/1.0.0");
        Assert.Equal(version.GetProperty("definitionSha256").GetString(), stored.GetProperty("definitionSha256").GetString());
        Assert.Equal("deprecated", stored.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Latest_FollowsTheRulesOfSection42()
    {
        var name = await NewTemplateAsync();
        await Host.PublishOkAsync(name, "1.0.0");
        await Host.PublishOkAsync(name, "2.0.0-beta.1");
        Assert.Equal("1.0.0", await Host.LatestAsync(name));
        await Host.PublishOkAsync(name, "1.1.0");
        Assert.Equal("1.1.0", await Host.LatestAsync(name));
        await Host.PublishOkAsync(name, "0.9.0");
        Assert.Equal("1.1.0", await Host.LatestAsync(name));
        await Host.DeprecateAsync(name, "1.1.0");
        Assert.Equal("1.0.0", await Host.LatestAsync(name));
        await Host.DeprecateAsync(name, "1.0.0");
        Assert.Equal("0.9.0", await Host.LatestAsync(name));
        Assert.Equal("0.9.0", (await Host.GetJsonAsync($"{Base}/{name}/versions/latest")).GetProperty("version").GetString());
        await Host.DeprecateAsync(name, "0.9.0");
        Assert.Equal("2.0.0-beta.1", await Host.LatestAsync(name));
        await Host.DeprecateAsync(name, "2.0.0-beta.1");
        Assert.Null(await Host.LatestAsync(name));
        using var client = Host.User();
        using var latest = await client.GetAsync($"{Base}/{name}/versions/latest");
        await StackHost.ExpectErrorAsync(latest, HttpStatusCode.NotFound, "NOT_FOUND");
        Assert.Equal(JsonValueKind.Null, (await Host.GetJsonAsync($"{Base}/{name}")).GetProperty("latestVersion").ValueKind);
    }

    [Fact]
    public async Task List_OrdersBySemverPrecedence_HighestFirst_AndPaginatesWithoutGaps()
    {
        var name = await NewTemplateAsync();
        string[] expected = ["1.10.0", "1.9.0", "1.9.0-rc.10", "1.9.0-rc.2", "1.9.0-beta", "1.2.0", "0.1.0"];
        foreach (var version in new[] { "1.9.0-beta", "0.1.0", "1.9.0-rc.10", "1.10.0", "1.2.0", "1.9.0", "1.9.0-rc.2" })
        {
            await Host.PublishOkAsync(name, version);
        }

        var all = await Host.GetJsonAsync($"{Base}/{name}/versions?limit=100");
        Assert.Equal(expected, all.GetProperty("data").EnumerateArray().Select(v => v.GetProperty("version").GetString()));

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await Host.GetJsonAsync($"{Base}/{name}/versions?limit=2&includeTotal=true" + (cursor is null ? "" : "&cursor=" + cursor));
            Assert.Equal(7, page.GetProperty("pagination").GetProperty("total").GetInt32());
            seen.AddRange(page.GetProperty("data").EnumerateArray().Select(v => v.GetProperty("version").GetString()!));
            cursor = page.GetProperty("pagination").GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);

        Assert.Equal(expected, seen);

        await Host.DeprecateAsync(name, "1.9.0");
        var deprecated = await Host.GetJsonAsync($"{Base}/{name}/versions?status=deprecated");
        Assert.Equal(["1.9.0"], deprecated.GetProperty("data").EnumerateArray().Select(v => v.GetProperty("version").GetString()));
        var active = await Host.GetJsonAsync($"{Base}/{name}/versions?status=active");
        Assert.Equal(6, active.GetProperty("data").GetArrayLength());

        using var client = Host.User();
        using var tooMany = await client.GetAsync($"{Base}/{name}/versions?limit=101");
        Assert.Contains("limit", await StackHost.ExpectFieldsAsync(tooMany));
        var firstPage = await Host.GetJsonAsync($"{Base}/{name}/versions?limit=1");
        var good = firstPage.GetProperty("pagination").GetProperty("nextCursor").GetString()!;
        using var tampered = await client.GetAsync($"{Base}/{name}/versions?limit=1&cursor={(good[0] == 'A' ? 'B' : 'A')}{good[1..]}");
        Assert.Contains("cursor", await StackHost.ExpectFieldsAsync(tampered));
        using var otherList = await client.GetAsync($"{Base}?cursor={good}");
        Assert.Contains("cursor", await StackHost.ExpectFieldsAsync(otherList));
        using var unknown = await client.GetAsync($"{Base}/no-such-template/versions");
        await StackHost.ExpectErrorAsync(unknown, HttpStatusCode.NotFound, "NOT_FOUND");
    }

    [Fact]
    public async Task Deprecate_Twice_409InvalidTransition_WithoutReason_400_StillReadable()
    {
        var name = await NewTemplateAsync();
        await Host.PublishOkAsync(name, "1.0.0");
        using var client = Host.Operator();
        using (var noReason = await client.PostAsync($"{Base}/{name}/versions/1.0.0/deprecate", StackHost.Json("{}")))
        {
            Assert.Contains("reason", await StackHost.ExpectFieldsAsync(noReason));
        }

        using (var blank = await client.PostAsJsonAsync($"{Base}/{name}/versions/1.0.0/deprecate", new { reason = "  " }))
        {
            Assert.Contains("reason", await StackHost.ExpectFieldsAsync(blank));
        }

        var deprecated = await Host.DeprecateAsync(name, "1.0.0", "broken billing");
        Assert.Equal("deprecated", deprecated.GetProperty("status").GetString());
        Assert.Equal("broken billing", deprecated.GetProperty("deprecationReason").GetString());
        Assert.Equal("usr_operator00000000000001", deprecated.GetProperty("deprecatedBy").GetString());
        using (var twice = await client.PostAsJsonAsync($"{Base}/{name}/versions/1.0.0/deprecate", new { reason = "again" }))
        {
            await StackHost.ExpectErrorAsync(twice, HttpStatusCode.Conflict, "INVALID_TRANSITION");
        }

        var read = await Host.GetJsonAsync($"{Base}/{name}/versions/1.0.0");
        Assert.Equal("deprecated", read.GetProperty("status").GetString());
        Assert.Equal("broken billing", read.GetProperty("deprecationReason").GetString());
        using var unknown = await client.PostAsJsonAsync($"{Base}/{name}/versions/9.9.9/deprecate", new { reason = "x" });
        await StackHost.ExpectErrorAsync(unknown, HttpStatusCode.NotFound, "NOT_FOUND");
    }

    [Fact]
    public async Task Get_UnknownOrMalformedVersion_404()
    {
        var name = await NewTemplateAsync();
        await Host.PublishOkAsync(name, "1.0.0");
        using var client = Host.User();
        foreach (var version in new[] { "2.0.0", "not-a-version", "LATEST" })
        {
            using var response = await client.GetAsync($"{Base}/{name}/versions/{version}");
            var error = await StackHost.ExpectErrorAsync(response, HttpStatusCode.NotFound, "NOT_FOUND");
            Assert.Equal("stack_template_version", error.GetProperty("details").GetProperty("resource").GetString());
        }
    }

    [Fact]
    public async Task Definition_Over64KiB_400_BodyOver1MiB_413()
    {
        var name = await NewTemplateAsync();
        var big = TestDefinitions.With(name, "1.0.0", d => d["description"] = new string('x', 65 * 1024));
        using (var tooLarge = await Host.PublishAsync(name, "1.0.0", big))
        {
            var error = await StackHost.ExpectErrorAsync(tooLarge, HttpStatusCode.BadRequest, "VALIDATION_ERROR");
            Assert.Contains("too large", error.GetProperty("details").GetProperty("fields").GetProperty("definition")[0].GetString(), StringComparison.Ordinal);
        }

        var huge = TestDefinitions.With(name, "1.0.0", d => d["description"] = new string('x', 1024 * 1024 + 10));
        using (var payload = await Host.PublishAsync(name, "1.0.0", huge))
        {
            await StackHost.ExpectErrorAsync(payload, HttpStatusCode.RequestEntityTooLarge, "PAYLOAD_TOO_LARGE");
        }

        Assert.Null(await Host.LatestAsync(name));
    }

    [Fact]
    public async Task ConcurrentPublishes_SameVersionDifferentContent_One201One409_Identical_201And200_DifferentVersions_Both201()
    {
        var name = await NewTemplateAsync();
        var a = TestDefinitions.Valid(name, "1.0.0");
        var b = TestDefinitions.With(name, "1.0.0", d => d["features"]!.AsArray().Add(TestDefinitions.Feature("third")));
        var statuses = await Task.WhenAll(PublishStatusAsync(name, "1.0.0", a), PublishStatusAsync(name, "1.0.0", b));
        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Conflict], statuses.Order());

        statuses = await Task.WhenAll(PublishStatusAsync(name, "1.0.1", TestDefinitions.Valid(name, "1.0.1")), PublishStatusAsync(name, "1.0.1", TestDefinitions.Valid(name, "1.0.1")));
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Created], statuses.Order());

        statuses = await Task.WhenAll(PublishStatusAsync(name, "1.1.0", TestDefinitions.Valid(name, "1.1.0")), PublishStatusAsync(name, "1.2.0", TestDefinitions.Valid(name, "1.2.0")));
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.Created, s));
        Assert.Equal("1.2.0", await Host.LatestAsync(name));
        Assert.Equal(4, (await Host.GetJsonAsync($"{Base}/{name}/versions")).GetProperty("data").GetArrayLength());
    }

    private async Task<HttpStatusCode> PublishStatusAsync(string name, string version, JsonNode definition)
    {
        using var response = await Host.PublishAsync(name, version, definition);
        return response.StatusCode;
    }

    [Fact]
    public async Task ETag_OnVersionRead_IfNoneMatch304_ChangesAfterDeprecation()
    {
        var name = await NewTemplateAsync();
        var published = await Host.PublishOkAsync(name, "1.0.0");
        using var client = Host.User();
        string etag;
        using (var first = await client.GetAsync($"{Base}/{name}/versions/1.0.0"))
        {
            await StackHost.ExpectAsync(first, HttpStatusCode.OK);
            etag = first.Headers.ETag!.ToString();
            Assert.Equal($"\"{published.GetProperty("definitionSha256").GetString()}-active\"", etag);
        }

        using (var request = new HttpRequestMessage(HttpMethod.Get, $"{Base}/{name}/versions/1.0.0"))
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", etag);
            using var notModified = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
            Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());
        }

        await Host.DeprecateAsync(name, "1.0.0");
        using (var request = new HttpRequestMessage(HttpMethod.Get, $"{Base}/{name}/versions/1.0.0"))
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", etag);
            using var changed = await client.SendAsync(request);
            await StackHost.ExpectAsync(changed, HttpStatusCode.OK);
            Assert.NotEqual(etag, changed.Headers.ETag!.ToString());
            Assert.EndsWith("-deprecated\"", changed.Headers.ETag!.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Publish_VersionCap_500_409()
    {
        var name = await NewTemplateAsync();
        var template = await Host.GetJsonAsync($"{Base}/{name}");
        var templateId = template.GetProperty("template").GetProperty("id").GetString()!;
        await Host.PublishOkAsync(name, "0.0.1");
        var stored = await Host.DbAsync(db => db.Versions.AsNoTracking().FirstAsync(v => v.TemplateId == templateId));
        await Host.DbAsync(async db =>
        {
            // Rows written directly (test setup): 499 more copies of the stored content under other patch numbers.
            for (var patch = 2; patch <= 500; patch++)
            {
                db.Versions.Add(new Data.StackTemplateVersionRecord
                {
                    Id = $"tv_cap{patch:D13}",
                    TemplateId = templateId,
                    Version = $"0.0.{patch}",
                    Patch = patch,
                    Definition = stored.Definition,
                    DefinitionSha256 = stored.DefinitionSha256,
                    FeatureCount = stored.FeatureCount,
                    PublishedBy = "test",
                    PublishedAt = stored.PublishedAt,
                });
            }

            return await db.SaveChangesAsync();
        });
        using var response = await Host.PublishAsync(name, "1.0.0");
        var error = await StackHost.ExpectErrorAsync(response, HttpStatusCode.Conflict, "CONFLICT");
        Assert.Equal("version_limit", error.GetProperty("details").GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Publish_DefinitionRejections_OverHttp_400WithPaths_AndNothingStored()
    {
        var name = await NewTemplateAsync();
        var bad = TestDefinitions.With(name, "1.0.0", d =>
        {
            d["surprise"] = true;
            d["features"]![0]!["colour"] = "red";
        });
        using (var response = await Host.PublishAsync(name, "1.0.0", bad))
        {
            var fields = await StackHost.ExpectFieldsAsync(response);
            Assert.Contains("definition.surprise", fields);
            Assert.Contains("definition.features[0].colour", fields);
        }

        var deep = TestDefinitions.With(name, "1.0.0", d =>
        {
            JsonNode nested = new JsonObject();
            for (var i = 0; i < 40; i++)
            {
                nested = new JsonObject { ["n"] = nested };
            }

            d["features"]![1]!["config"] = nested;
        });
        using (var response = await Host.PublishAsync(name, "1.0.0", deep))
        {
            Assert.Contains("definition", await StackHost.ExpectFieldsAsync(response));
        }

        using var client = Host.Operator();
        using (var unknownTop = await client.PostAsync($"{Base}/{name}/versions", StackHost.Json($$"""{"version":"1.0.0","definition":{},"extra":1}""")))
        {
            Assert.Contains("extra", await StackHost.ExpectFieldsAsync(unknownTop));
        }

        Assert.Empty((await Host.GetJsonAsync($"{Base}/{name}/versions")).GetProperty("data").EnumerateArray());
    }

    [Fact]
    public async Task Post_WithIdempotencyKey_ReplaysTheFirstAnswer()
    {
        var name = StackHost.NewName("idem");
        using var client = Host.Operator();
        async Task<(HttpStatusCode, string)> CreateAsync()
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, Base) { Content = JsonContent.Create(new { name, displayName = "X", description = "Y" }) };
            request.Headers.Add("Idempotency-Key", "idem-" + name);
            using var response = await client.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        var first = await CreateAsync();
        var second = await CreateAsync();
        Assert.Equal(HttpStatusCode.Created, first.Item1);
        Assert.Equal(first, second);
    }

    [Fact]
    public async Task Create_CatalogueFull_409()
    {
        await using var host = await StackHost.StartAsync();
        await host.DbAsync(async db =>
        {
            var existing = await db.Templates.CountAsync();
            for (var i = existing; i < 1000; i++)
            {
                db.Templates.Add(new Data.StackTemplateRecord
                {
                    Id = $"tpl_full{i:D12}", Name = $"full-{i}", DisplayName = "F", Description = "F", CreatedBy = "test", UpdatedBy = "test",
                });
            }

            return await db.SaveChangesAsync();
        });
        using var client = host.Operator();
        using var response = await client.PostAsJsonAsync(Base, new { name = "one-too-many", displayName = "X", description = "Y" });
        var error = await StackHost.ExpectErrorAsync(response, HttpStatusCode.Conflict, "CONFLICT");
        Assert.Equal("catalogue_full", error.GetProperty("details").GetProperty("reason").GetString());
    }
}

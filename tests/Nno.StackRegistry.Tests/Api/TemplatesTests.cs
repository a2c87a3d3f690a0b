using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Nno.StackRegistry.Tests.Support;

namespace Nno.StackRegistry.Tests.Api;

/// <summary>stack-registry.md §4.3 and §7 items 5–8, 13 (templates), 21–22.</summary>
public sealed class TemplatesTests(TemplatesTests.Fixture fixture) : IClassFixture<TemplatesTests.Fixture>
{
    private const string Base = StackHost.Base;

    public sealed class Fixture : IAsyncLifetime
    {
        public StackHost Host { get; private set; } = null!;

        public async Task InitializeAsync() => Host = await StackHost.StartAsync();

        public async Task DisposeAsync() => await Host.DisposeAsync();
    }

    private StackHost Host => fixture.Host;

    public static TheoryData<string, string> BadCreates => new()
    {
        { """{"name":"Bad","displayName":"X","description":"Y"}""", "name" },
        { """{"name":"a_b","displayName":"X","description":"Y"}""", "name" },
        { """{"name":"-a","displayName":"X","description":"Y"}""", "name" },
        { $$"""{"name":"{{new string('a', 65)}}","displayName":"X","description":"Y"}""", "name" },
        { """{"name":"default","displayName":"X","description":"Y"}""", "name" },
        { """{"name":"ok-name","displayName":"","description":"Y"}""", "displayName" },
        { $$"""{"name":"ok-name","displayName":"{{new string('x', 129)}}","description":"Y"}""", "displayName" },
        { $$"""{"name":"ok-name","displayName":"X","description":"{{new string('x', 1025)}}"}""", "description" },
        { """{"name":"ok-name","displayName":"X\u202E","description":"Y"}""", "displayName" },
        { """{"name":"ok-name","displayName":"X","description":"Y","icon":"Rocket"}""", "icon" },
        { """{"name":"ok-name","displayName":"X","description":"Y","domain":"sales team"}""", "domain" },
        { """{"name":"ok-name","displayName":"X","description":"Y","extra":1}""", "extra" },
        { """{"displayName":"X","description":"Y"}""", "name" },
    };

    [Theory]
    [MemberData(nameof(BadCreates))]
    public async Task Create_InvalidFields_400NamingTheField(string body, string field)
    {
        using var client = Host.Operator();
        using var response = await client.PostAsync(Base, StackHost.Json(body));
        Assert.Contains(field, await StackHost.ExpectFieldsAsync(response));
    }

    [Fact]
    public async Task Create_TrimsText_AndAnswersTemplateWithLocation()
    {
        var name = StackHost.NewName("trim");
        using var client = Host.Operator();
        using var response = await client.PostAsJsonAsync(Base, new { name, displayName = "  Spaced  ", description = " D ", icon = "box", domain = "ops" });
        var created = await StackHost.ExpectAsync(response, HttpStatusCode.Created);
        Assert.Equal("Spaced", created.GetProperty("displayName").GetString());
        Assert.Equal("D", created.GetProperty("description").GetString());
        Assert.Equal(JsonValueKind.Null, created.GetProperty("latestVersion").ValueKind);
        Assert.Equal("2026-01-01T00:00:00.000Z", created.GetProperty("createdAt").GetString());
        Assert.Equal($"{Base}/{name}", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Create_DuplicateName_409_AlsoWhenTheExistingIsDeprecated()
    {
        var name = StackHost.NewName("dup");
        await Host.CreateTemplateAsync(name);
        using var client = Host.Operator();
        using (var again = await client.PostAsJsonAsync(Base, new { name, displayName = "X", description = "Y" }))
        {
            await StackHost.ExpectErrorAsync(again, HttpStatusCode.Conflict, "CONFLICT");
        }

        using (var deprecate = await client.PatchAsync($"{Base}/{name}", StackHost.Json("""{"status":"deprecated"}""")))
        {
            await StackHost.ExpectAsync(deprecate, HttpStatusCode.OK);
        }

        using var third = await client.PostAsJsonAsync(Base, new { name, displayName = "X", description = "Y" });
        await StackHost.ExpectErrorAsync(third, HttpStatusCode.Conflict, "CONFLICT");
    }

    [Theory]
    [InlineData("unknown-template")]
    [InlineData("UPPER")]
    [InlineData("a_b")]
    public async Task Get_UnknownOrMalformedName_404WithResource(string name)
    {
        using var client = Host.User();
        using var response = await client.GetAsync($"{Base}/{name}");
        var error = await StackHost.ExpectErrorAsync(response, HttpStatusCode.NotFound, "NOT_FOUND");
        Assert.Equal("stack_template", error.GetProperty("details").GetProperty("resource").GetString());
    }

    [Fact]
    public async Task Get_TemplateWithoutVersions_LatestVersionNull()
    {
        var name = StackHost.NewName("empty");
        await Host.CreateTemplateAsync(name);
        var detail = await Host.GetJsonAsync($"{Base}/{name}");
        Assert.Equal(name, detail.GetProperty("template").GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Null, detail.GetProperty("latestVersion").ValueKind);
        Assert.Equal(JsonValueKind.Null, detail.GetProperty("template").GetProperty("latestVersion").ValueKind);
    }

    [Fact]
    public async Task Patch_NameOrEmptyOrUnknown_400_AndTemplateUnchanged()
    {
        var name = StackHost.NewName("patch");
        await Host.CreateTemplateAsync(name);
        using var client = Host.Operator();
        using (var rename = await client.PatchAsync($"{Base}/{name}", StackHost.Json("""{"name":"other-name"}""")))
        {
            Assert.Contains("name", await StackHost.ExpectFieldsAsync(rename));
        }

        using (var empty = await client.PatchAsync($"{Base}/{name}", StackHost.Json("{}")))
        {
            await StackHost.ExpectFieldsAsync(empty);
        }

        using (var unknown = await client.PatchAsync($"{Base}/{name}", StackHost.Json("""{"displayName":"New","colour":"red"}""")))
        {
            Assert.Contains("colour", await StackHost.ExpectFieldsAsync(unknown));
        }

        using (var badStatus = await client.PatchAsync($"{Base}/{name}", StackHost.Json("""{"status":"retired"}""")))
        {
            Assert.Contains("status", await StackHost.ExpectFieldsAsync(badStatus));
        }

        var detail = await Host.GetJsonAsync($"{Base}/{name}");
        Assert.Equal(name, detail.GetProperty("template").GetProperty("name").GetString());
        Assert.Equal("Test stack", detail.GetProperty("template").GetProperty("displayName").GetString());
    }

    [Fact]
    public async Task Patch_NullClearsIconAndDomain_AbsentLeavesThem()
    {
        var name = StackHost.NewName("clear");
        await Host.CreateTemplateAsync(name, domain: "ops");
        using var client = Host.Operator();
        using var first = await client.PatchAsync($"{Base}/{name}", StackHost.Json("""{"description":"New text"}"""));
        var kept = await StackHost.ExpectAsync(first, HttpStatusCode.OK);
        Assert.Equal("box", kept.GetProperty("icon").GetString());
        Assert.Equal("ops", kept.GetProperty("domain").GetString());
        using var second = await client.PatchAsync($"{Base}/{name}", StackHost.Json("""{"icon":null,"domain":null}"""));
        var cleared = await StackHost.ExpectAsync(second, HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, cleared.GetProperty("icon").ValueKind);
        Assert.Equal(JsonValueKind.Null, cleared.GetProperty("domain").ValueKind);
        Assert.Equal("New text", cleared.GetProperty("description").GetString());
    }

    [Fact]
    public async Task Patch_UnknownTemplate_404()
    {
        using var client = Host.Operator();
        using var response = await client.PatchAsync($"{Base}/no-such-template", StackHost.Json("""{"displayName":"X"}"""));
        await StackHost.ExpectErrorAsync(response, HttpStatusCode.NotFound, "NOT_FOUND");
    }

    [Fact]
    public async Task Deprecated_HiddenFromDefaultList_ShownWithAllAndByName_BlocksPublishUntilReactivated()
    {
        var name = StackHost.NewName("dep");
        await Host.CreateTemplateAsync(name);
        using var client = Host.Operator();
        using (var patch = await client.PatchAsync($"{Base}/{name}", StackHost.Json("""{"status":"deprecated"}""")))
        {
            await StackHost.ExpectAsync(patch, HttpStatusCode.OK);
        }

        Assert.DoesNotContain(name, await AllNamesAsync(Base + "?limit=100"));
        Assert.Contains(name, await AllNamesAsync(Base + "?status=all&limit=100"));
        Assert.Contains(name, await AllNamesAsync(Base + "?status=deprecated&limit=100"));
        Assert.Equal("deprecated", (await Host.GetJsonAsync($"{Base}/{name}")).GetProperty("template").GetProperty("status").GetString());

        using (var blocked = await Host.PublishAsync(name, "1.0.0"))
        {
            await StackHost.ExpectErrorAsync(blocked, HttpStatusCode.Conflict, "CONFLICT");
        }

        using (var patch = await client.PatchAsync($"{Base}/{name}", StackHost.Json("""{"status":"active"}""")))
        {
            await StackHost.ExpectAsync(patch, HttpStatusCode.OK);
        }

        await Host.PublishOkAsync(name, "1.0.0");
    }

    [Fact]
    public async Task Delete_Template_405WithAllow()
    {
        using var client = Host.Operator();
        using var response = await client.DeleteAsync($"{Base}/crm");
        await StackHost.ExpectErrorAsync(response, HttpStatusCode.MethodNotAllowed, "METHOD_NOT_ALLOWED");
        Assert.Equal("GET, PATCH", string.Join(", ", response.Content.Headers.Allow));
        Assert.Equal("active", (await Host.GetJsonAsync($"{Base}/crm")).GetProperty("template").GetProperty("status").GetString());
    }

    [Fact]
    public async Task List_PaginatesByNameWithoutGapsOrDuplicates_WithTotal()
    {
        var prefix = "pg" + Guid.NewGuid().ToString("N")[..6];
        var names = Enumerable.Range(0, 7).Select(i => $"{prefix}-{i}").ToList();
        foreach (var name in names.AsEnumerable().Reverse())
        {
            await Host.CreateTemplateAsync(name);
        }

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await Host.GetJsonAsync($"{Base}?q={prefix}&limit=3&includeTotal=true" + (cursor is null ? "" : "&cursor=" + cursor));
            Assert.Equal(7, page.GetProperty("pagination").GetProperty("total").GetInt32());
            seen.AddRange(page.GetProperty("data").EnumerateArray().Select(t => t.GetProperty("name").GetString()!));
            cursor = page.GetProperty("pagination").GetProperty("nextCursor").GetString();
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(3, pages);
        Assert.Equal(names, seen);
    }

    [Theory]
    [InlineData("?limit=101", "limit")]
    [InlineData("?limit=0", "limit")]
    [InlineData("?cursor=AAAA", "cursor")]
    [InlineData("?status=retired", "status")]
    [InlineData("?domain=Sales!", "domain")]
    [InlineData("?includeTotal=yes", "includeTotal")]
    public async Task List_BadQuery_400(string query, string field)
    {
        using var client = Host.User();
        using var response = await client.GetAsync(Base + query);
        Assert.Contains(field, await StackHost.ExpectFieldsAsync(response));
    }

    [Fact]
    public async Task List_TamperedCursor_Or_CursorOfOtherFilters_400()
    {
        var first = await Host.GetJsonAsync($"{Base}?limit=1&status=all");
        var cursor = first.GetProperty("pagination").GetProperty("nextCursor").GetString()!;
        var tampered = (cursor[0] == 'A' ? 'B' : 'A') + cursor[1..];
        using var client = Host.User();
        using (var response = await client.GetAsync($"{Base}?limit=1&status=all&cursor={tampered}"))
        {
            Assert.Contains("cursor", await StackHost.ExpectFieldsAsync(response));
        }

        using var other = await client.GetAsync($"{Base}?limit=1&status=active&cursor={cursor}");
        Assert.Contains("cursor", await StackHost.ExpectFieldsAsync(other));
    }

    [Fact]
    public async Task List_Query_FindsBySubstring_EscapesWildcards_FiltersByDomain()
    {
        Assert.Equal(["saas-starter"], await AllNamesAsync($"{Base}?q=star"));
        Assert.Equal(["saas-starter"], await AllNamesAsync($"{Base}?q=STAR"));
        Assert.Contains("analytics-pro", await AllNamesAsync($"{Base}?q=Analytics%20Pro"));
        Assert.Empty(await AllNamesAsync($"{Base}?q=%25"));
        Assert.Empty(await AllNamesAsync($"{Base}?q=_"));
        Assert.Equal(["crm"], await AllNamesAsync($"{Base}?domain=sales"));
        using var client = Host.User();
        using var tooLong = await client.GetAsync($"{Base}?q={new string('a', 101)}");
        Assert.Contains("q", await StackHost.ExpectFieldsAsync(tooLong));
    }

    private async Task<List<string>> AllNamesAsync(string path)
    {
        var page = await Host.GetJsonAsync(path);
        return [.. page.GetProperty("data").EnumerateArray().Select(t => t.GetProperty("name").GetString()!)];
    }
}

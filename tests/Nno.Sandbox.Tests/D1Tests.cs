using System.Net.Http.Json;

namespace Nno.Sandbox.Tests;

public sealed class D1Tests
{
    private static string Path(string suffix = "") => $"accounts/{Sandbox.Account}/d1/database{suffix}";

    [Fact]
    public async Task Create_ListGetDelete_AndTheRealFileFollows()
    {
        await using var sandbox = await Sandbox.StartAsync();
        var api = sandbox.ApiClient();
        var uuid = await api.CreateD1Async("p1-dev-auth-db");
        var file = System.IO.Path.Combine(sandbox.DataDirectory.Path, "sandbox", "cloudflare", "d1", $"{uuid}.sqlite3");
        Assert.True(File.Exists(file));

        var body = await (await api.GetAsync(Path("?name=p1-dev-auth-db"))).EnvelopeAsync();
        Assert.Equal(uuid, body.GetProperty("result")[0].GetProperty("uuid").GetString());
        Assert.Equal(1, body.GetProperty("result_info").GetProperty("total_count").GetInt32());
        var one = await (await api.GetAsync(Path($"/{uuid}"))).ResultAsync();
        Assert.Equal("p1-dev-auth-db", one.GetProperty("name").GetString());
        Assert.Equal("production", one.GetProperty("version").GetString());

        await (await api.DeleteAsync(Path($"/{uuid}"))).ResultAsync();
        Assert.False(File.Exists(file));
        await (await api.GetAsync(Path($"/{uuid}"))).AssertErrorAsync(404, 7404);
        await (await api.DeleteAsync(Path($"/{uuid}"))).AssertErrorAsync(404, 7404);
        await (await api.QueryAsync(uuid, new { sql = "SELECT 1" })).AssertErrorAsync(404, 7404);
    }

    [Fact]
    public async Task Create_DuplicateName_Is400Code7502_AndBadNames400()
    {
        await using var sandbox = await Sandbox.StartAsync();
        var api = sandbox.ApiClient();
        await api.CreateD1Async("twice");
        await (await api.PostAsJsonAsync(Path(), new { name = "twice" })).AssertErrorAsync(400, 7502);
        await (await api.PostAsJsonAsync(Path(), new { name = "bad name!" })).AssertErrorAsync(400, 7400);
        await (await api.PostAsJsonAsync(Path(), new { name = 5 })).AssertErrorAsync(400, 7400);
        await (await api.PostAsync(Path(), new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"))).AssertErrorAsync(400, 7400);
    }

    [Fact]
    public async Task List_PagesWithResultInfo()
    {
        await using var sandbox = await Sandbox.StartAsync();
        var api = sandbox.ApiClient();
        for (var i = 0; i < 12; i++)
        {
            await api.CreateD1Async($"db-{i:00}");
        }

        var body = await (await api.GetAsync(Path("?page=2&per_page=10"))).EnvelopeAsync();
        Assert.Equal(2, body.GetProperty("result").GetArrayLength());
        var info = body.GetProperty("result_info");
        Assert.Equal(2, info.GetProperty("page").GetInt32());
        Assert.Equal(10, info.GetProperty("per_page").GetInt32());
        Assert.Equal(2, info.GetProperty("count").GetInt32());
        Assert.Equal(12, info.GetProperty("total_count").GetInt32());
        Assert.Equal(2, info.GetProperty("total_pages").GetInt32());
        await (await api.GetAsync(Path("?page=0"))).AssertErrorAsync(400, 7400);
    }

    [Fact]
    public async Task Query_SemicolonSeparatedStatementsAndParams_GiveOneResultPerStatementWithMeta()
    {
        await using var sandbox = await Sandbox.StartAsync();
        var api = sandbox.ApiClient();
        var uuid = await api.CreateD1Async("q");
        var created = await (await api.QueryAsync(uuid, new { sql = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, note TEXT); INSERT INTO users (email, note) VALUES ('a@x', 'semi;colon')" })).ResultAsync();
        Assert.Equal(2, created.GetArrayLength());
        Assert.True(created[1].GetProperty("meta").GetProperty("changed_db").GetBoolean());
        Assert.Equal(1, created[1].GetProperty("meta").GetProperty("changes").GetInt32());
        Assert.Equal(1, created[1].GetProperty("meta").GetProperty("last_row_id").GetInt32());
        Assert.True(created[1].GetProperty("meta").GetProperty("size_after").GetInt64() > 0);

        await (await api.QueryAsync(uuid, new { sql = "INSERT INTO users (email, note) VALUES (?, ?)", @params = new object?[] { "b@x", null } })).ResultAsync();
        var selected = await (await api.QueryAsync(uuid, new { sql = "SELECT id, email, note FROM users WHERE id >= ? ORDER BY id", @params = new object[] { 1 } })).ResultAsync();
        var rows = selected[0].GetProperty("results");
        Assert.Equal(2, rows.GetArrayLength());
        Assert.Equal("semi;colon", rows[0].GetProperty("note").GetString());
        Assert.Equal("b@x", rows[1].GetProperty("email").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, rows[1].GetProperty("note").ValueKind);
        Assert.True(selected[0].GetProperty("success").GetBoolean());
        Assert.False(selected[0].GetProperty("meta").GetProperty("changed_db").GetBoolean());
        Assert.Equal(2, selected[0].GetProperty("meta").GetProperty("rows_read").GetInt32());

        var raw = await (await api.QueryAsync(uuid, new { sql = "SELECT id, email FROM users ORDER BY id" }, "raw")).ResultAsync();
        Assert.Equal(["id", "email"], raw[0].GetProperty("results").GetProperty("columns").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(2, raw[0].GetProperty("results").GetProperty("rows")[1][0].GetInt32());
        Assert.Equal("b@x", raw[0].GetProperty("results").GetProperty("rows")[1][1].GetString());
    }

    [Fact]
    public async Task Batch_FailingOnTheSecondStatement_LeavesNothingFromTheFirst_AndAnswers7500WithTheSqliteMessage()
    {
        await using var sandbox = await Sandbox.StartAsync();
        var api = sandbox.ApiClient();
        var uuid = await api.CreateD1Async("atomic");
        await (await api.QueryAsync(uuid, new { sql = "CREATE TABLE t (v TEXT UNIQUE)" })).ResultAsync();

        var message = await (await api.QueryAsync(uuid, new
        {
            batch = new object[]
            {
                new { sql = "INSERT INTO t VALUES (?)", @params = new[] { "first" } },
                new { sql = "INSERT INTO missing_table VALUES (1)" },
            },
        })).AssertErrorAsync(400, 7500);
        Assert.Contains("no such table: missing_table", message, StringComparison.Ordinal);

        // The same inside one sql text: the second statement breaks a constraint.
        await (await api.QueryAsync(uuid, new { sql = "INSERT INTO t VALUES ('x'); INSERT INTO t VALUES ('x')" })).AssertErrorAsync(400, 7500);

        var count = await (await api.QueryAsync(uuid, new { sql = "SELECT count(*) AS n FROM t" })).ResultAsync();
        Assert.Equal(0, count[0].GetProperty("results")[0].GetProperty("n").GetInt32());

        var ok = await (await api.QueryAsync(uuid, new { batch = new object[] { new { sql = "INSERT INTO t VALUES ('a')" }, new { sql = "SELECT v FROM t" } } })).ResultAsync();
        Assert.Equal(2, ok.GetArrayLength());
        Assert.Equal("a", ok[1].GetProperty("results")[0].GetProperty("v").GetString());
    }

    [Fact]
    public async Task Query_BadInput_Is400WithoutChanges()
    {
        await using var sandbox = await Sandbox.StartAsync();
        var api = sandbox.ApiClient();
        var uuid = await api.CreateD1Async("bad");
        await (await api.QueryAsync(uuid, new { sql = "SELECT ?", @params = Array.Empty<object>() })).AssertErrorAsync(400, 7500);
        await (await api.QueryAsync(uuid, new { sql = "SELECT 1", extra = true })).AssertErrorAsync(400, 7400);
        await (await api.QueryAsync(uuid, new { batch = Array.Empty<object>() })).AssertErrorAsync(400, 7400);
        var attach = await (await api.QueryAsync(uuid, new { sql = "ATTACH DATABASE 'other.db' AS o" })).AssertErrorAsync(400, 7500);
        Assert.Contains("attached", attach, StringComparison.OrdinalIgnoreCase);
    }
}

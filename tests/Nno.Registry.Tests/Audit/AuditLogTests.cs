using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Nno.Registry.Audit;
using Nno.Registry.Tests.Support;

namespace Nno.Registry.Tests.Audit;

/// <summary>registry.md §7 tests 20 (HTTP part) and 21: audit reads, filters and the absence of write routes.</summary>
public sealed class AuditLogTests : IAsyncLifetime
{
    private RegistryHost _host = null!;
    private string _pid = null!;

    public async Task InitializeAsync()
    {
        _host = await RegistryHost.StartAsync();
        _pid = (await _host.ImportAsync("audited", owner: "usr_o")).GetProperty("id").GetString()!;
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<string[]> ActionsAsync(HttpClient client, string query)
    {
        var page = await client.GetFromJsonAsync<JsonElement>($"{RegistryApi.Platforms}/{_pid}/audit-log?{query}");
        return [.. page.GetProperty("data").EnumerateArray().Select(e => e.GetProperty("action").GetString()!)];
    }

    [Fact]
    public async Task PlatformAuditLog_NewestFirst_FiltersByActionPrefixActorAndTime_Pages()
    {
        using var owner = _host.User("usr_o", (_pid, "owner"));
        using var op = _host.Operator();
        _host.Time.Advance(TimeSpan.FromMinutes(1));
        (await owner.PatchJsonAsync($"{RegistryApi.Platforms}/{_pid}", new { name = "One" })).Dispose();
        _host.Time.Advance(TimeSpan.FromMinutes(1));
        var middle = _host.Time.GetUtcNow();
        (await op.PostJsonAsync($"{RegistryApi.Platforms}/{_pid}/suspend", new { reason = "check" })).Dispose();
        _host.Time.Advance(TimeSpan.FromMinutes(1));
        (await op.PostJsonAsync($"{RegistryApi.Platforms}/{_pid}/restore", new { })).Dispose();

        Assert.Equal(new[] { "platform.restored", "platform.suspended", "platform.updated", "platform.created" }, await ActionsAsync(owner, ""));
        Assert.Equal(new[] { "platform.suspended" }, await ActionsAsync(owner, "action=platform.suspended"));
        Assert.Equal(4, (await ActionsAsync(owner, "action=platform.")).Length);
        Assert.Empty(await ActionsAsync(owner, "action=entity."));
        Assert.Equal(new[] { "platform.updated" }, await ActionsAsync(owner, "actorId=usr_o"));
        var since = Uri.EscapeDataString(middle.ToString("O"));
        Assert.Equal(new[] { "platform.restored", "platform.suspended" }, await ActionsAsync(owner, $"since={since}"));
        Assert.Equal(new[] { "platform.updated", "platform.created" }, await ActionsAsync(owner, $"until={Uri.EscapeDataString(middle.AddSeconds(-1).ToString("O"))}"));

        var first = await owner.GetFromJsonAsync<JsonElement>($"{RegistryApi.Platforms}/{_pid}/audit-log?limit=3&includeTotal=true");
        Assert.Equal(4, first.GetProperty("pagination").GetProperty("total").GetInt32());
        var cursor = first.GetProperty("pagination").GetProperty("nextCursor").GetString();
        var second = await owner.GetFromJsonAsync<JsonElement>($"{RegistryApi.Platforms}/{_pid}/audit-log?limit=3&includeTotal=true&cursor={cursor}");
        Assert.Equal("platform.created", Assert.Single(second.GetProperty("data").EnumerateArray()).GetProperty("action").GetString());
    }

    [Theory]
    [InlineData("since=yesterday")]
    [InlineData("action=Platform")]
    [InlineData("limit=0")]
    public async Task PlatformAuditLog_BadFilter_Is400(string query)
    {
        using var owner = _host.User("usr_o", (_pid, "owner"));
        using var response = await owner.GetAsync($"{RegistryApi.Platforms}/{_pid}/audit-log?{query}");
        await response.ExpectErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
    }

    [Fact]
    public async Task GlobalAuditLog_UserGets404_OperatorFiltersByPlatform()
    {
        var other = (await _host.ImportAsync("elsewhere", owner: "usr_e")).GetProperty("id").GetString()!;
        using var owner = _host.User("usr_o", (_pid, "owner"));
        using (var response = await owner.GetAsync($"{RegistryApi.Platforms}/audit-log"))
        {
            var error = await response.ExpectErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
            Assert.Equal(JsonValueKind.Null, error.GetProperty("error").GetProperty("details").ValueKind);
        }

        using var op = _host.Operator();
        var all = await op.GetFromJsonAsync<JsonElement>($"{RegistryApi.Platforms}/audit-log");
        Assert.Equal(2, all.GetProperty("data").GetArrayLength());
        var one = await op.GetFromJsonAsync<JsonElement>($"{RegistryApi.Platforms}/audit-log?platformId={other}");
        Assert.Equal(other, Assert.Single(one.GetProperty("data").EnumerateArray()).GetProperty("platformId").GetString());
    }

    [Theory]
    [InlineData("PUT", "audit-log")]
    [InlineData("PATCH", "audit-log")]
    [InlineData("DELETE", "audit-log")]
    [InlineData("PUT", "{pid}/audit-log")]
    [InlineData("DELETE", "{pid}/audit-log")]
    [InlineData("DELETE", "{pid}/lifecycle-events")]
    public async Task AuditRoutes_WriteMethods_Are405(string method, string path)
    {
        using var op = _host.Operator();
        using var request = new HttpRequestMessage(new HttpMethod(method), $"{RegistryApi.Platforms}/{path.Replace("{pid}", _pid, StringComparison.Ordinal)}");
        if (method != "DELETE")
        {
            request.Content = JsonContent.Create(new { });
        }

        using var response = await op.SendAsync(request);
        await response.ExpectErrorAsync(HttpStatusCode.MethodNotAllowed, "METHOD_NOT_ALLOWED");
    }

    [Fact]
    public void Details_MaskEmails_RedactSecrets_AndStayUnder16KiB()
    {
        var json = AuditDetails.Serialize(new { billingEmail = "alice@example.com", nested = new { apiToken = "tok_123", list = new[] { "bob@corp.io" } }, note = "no mail" });
        var root = JsonDocument.Parse(json).RootElement;
        Assert.Equal("a***@example.com", root.GetProperty("billingEmail").GetString());
        Assert.Equal("[redacted]", root.GetProperty("nested").GetProperty("apiToken").GetString());
        Assert.Equal("b***@corp.io", root.GetProperty("nested").GetProperty("list")[0].GetString());
        Assert.DoesNotContain("tok_123", json, StringComparison.Ordinal);

        var changes = AuditDetails.Changes();
        changes.Diff("name", new string('a', 20_000), "b");
        var big = AuditDetails.Serialize(new { changes });
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(big) <= AuditDetails.MaxBytes);
        Assert.True(JsonDocument.Parse(big).RootElement.GetProperty("truncated").GetBoolean());
        Assert.Equal("name", JsonDocument.Parse(big).RootElement.GetProperty("changedFields")[0].GetString());
    }
}

using System.Net.Http.Json;
using System.Text.Json;

namespace Nno.Sandbox.Tests;

public sealed class CustomHostnamesTests
{
    private const string Path = $"zones/{Sandbox.Zone}/custom_hostnames";

    [Fact]
    public async Task Create_StartsPending_AndGoesActiveAfterTheSslDelayOnTheClock()
    {
        var time = Sandbox.NewClock();
        await using var sandbox = await Sandbox.StartAsync(time, new Dictionary<string, string?> { ["Sandbox:Cloudflare:SslActivationDelaySeconds"] = "60" });
        var api = sandbox.ApiClient();
        var created = await (await api.PostAsJsonAsync(Path, new
        {
            hostname = "p1-dev.nno.run",
            ssl = new { method = "http", type = "dv" },
            custom_metadata = new { platform = "p1" },
        })).ResultAsync();
        var id = created.GetProperty("id").GetString();
        Assert.Equal("pending", created.GetProperty("status").GetString());
        Assert.Equal("pending_validation", created.GetProperty("ssl").GetProperty("status").GetString());
        Assert.Equal("dv", created.GetProperty("ssl").GetProperty("type").GetString());
        Assert.StartsWith("http://p1-dev.nno.run/.well-known/", created.GetProperty("ssl").GetProperty("validation_records")[0].GetProperty("http_url").GetString(), StringComparison.Ordinal);
        Assert.Equal("p1", created.GetProperty("custom_metadata").GetProperty("platform").GetString());
        Assert.Equal("2026-01-01T00:00:00.000000Z", created.GetProperty("created_at").GetString());

        time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal("pending", (await (await api.GetAsync($"{Path}/{id}")).ResultAsync()).GetProperty("status").GetString());
        time.Advance(TimeSpan.FromSeconds(1));
        var active = await (await api.GetAsync($"{Path}/{id}")).ResultAsync();
        Assert.Equal("active", active.GetProperty("status").GetString());
        Assert.Equal("active", active.GetProperty("ssl").GetProperty("status").GetString());
        Assert.Equal(0, active.GetProperty("ssl").GetProperty("validation_records").GetArrayLength());
    }

    [Fact]
    public async Task TxtMethod_GivesTxtValidationRecordsAndOwnershipVerification()
    {
        await using var sandbox = await Sandbox.StartAsync();
        var created = await (await sandbox.ApiClient().PostAsJsonAsync(Path, new { hostname = "app.customer.com", ssl = new { method = "txt", type = "dv" } })).ResultAsync();
        var record = created.GetProperty("ssl").GetProperty("validation_records")[0];
        Assert.Equal("_acme-challenge.app.customer.com", record.GetProperty("txt_name").GetString());
        Assert.False(string.IsNullOrEmpty(record.GetProperty("txt_value").GetString()));
        var ownership = created.GetProperty("ownership_verification");
        Assert.Equal("txt", ownership.GetProperty("type").GetString());
        Assert.Equal("_cf-custom-hostname.app.customer.com", ownership.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Duplicate409Code1406_Unknown404_BadInput400()
    {
        await using var sandbox = await Sandbox.StartAsync();
        var api = sandbox.ApiClient();
        await (await api.PostAsJsonAsync(Path, new { hostname = "a.nno.run", ssl = new { method = "http" } })).ResultAsync();
        await (await api.PostAsJsonAsync(Path, new { hostname = "a.nno.run", ssl = new { method = "http" } })).AssertErrorAsync(409, 1406);
        await (await api.PostAsJsonAsync(Path, new { hostname = "Not A Host", ssl = new { method = "http" } })).AssertErrorAsync(400, 1411);
        await (await api.PostAsJsonAsync(Path, new { hostname = "b.nno.run", ssl = new { method = "email" } })).AssertErrorAsync(400, 1409);
        await (await api.GetAsync($"{Path}/00000000-0000-0000-0000-000000000000")).AssertErrorAsync(404, 1436);
    }

    [Fact]
    public async Task List_FiltersByHostnameAndPages_PatchRestartsValidation_DeleteRemoves()
    {
        var time = Sandbox.NewClock();
        await using var sandbox = await Sandbox.StartAsync(time);
        var api = sandbox.ApiClient();
        string? id = null;
        for (var i = 0; i < 7; i++)
        {
            var created = await (await api.PostAsJsonAsync(Path, new { hostname = $"h{i}.nno.run", ssl = new { method = "http" } })).ResultAsync();
            id ??= created.GetProperty("id").GetString();
        }

        var filtered = await (await api.GetAsync($"{Path}?hostname=h0.nno.run")).EnvelopeAsync();
        Assert.Equal(id, filtered.GetProperty("result")[0].GetProperty("id").GetString());
        Assert.Equal(1, filtered.GetProperty("result_info").GetProperty("total_count").GetInt32());
        var page = await (await api.GetAsync($"{Path}?page=2&per_page=5")).EnvelopeAsync();
        Assert.Equal(2, page.GetProperty("result").GetArrayLength());
        Assert.Equal(2, page.GetProperty("result_info").GetProperty("total_pages").GetInt32());

        time.Advance(TimeSpan.FromSeconds(1));
        var patched = await (await api.PatchAsJsonAsync($"{Path}/{id}", new { ssl = new { method = "txt", type = "dv" }, custom_metadata = new { k = "v" } })).ResultAsync();
        Assert.Equal("pending", patched.GetProperty("status").GetString());
        Assert.Equal("txt", patched.GetProperty("ssl").GetProperty("method").GetString());
        Assert.Equal("v", patched.GetProperty("custom_metadata").GetProperty("k").GetString());

        var deleted = await (await api.DeleteAsync($"{Path}/{id}")).ResultAsync();
        Assert.Equal(id, deleted.GetProperty("id").GetString());
        await (await api.GetAsync($"{Path}/{id}")).AssertErrorAsync(404, 1436);
        var state = await sandbox.AdminClient().GetFromJsonAsync<JsonElement>("state");
        Assert.Equal(6, state.GetProperty("customHostnames").GetProperty("count").GetInt32());
    }
}

using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Nno.Sandbox.Tests;

public sealed class WorkersTests
{
    private static string Script(string name, string suffix = "") => $"accounts/{Sandbox.Account}/workers/scripts/{name}{suffix}";

    private static JsonObject AuthMetadata(string d1Id, bool keepSecrets, params JsonObject[] extra)
    {
        var bindings = new JsonArray
        {
            new JsonObject { ["type"] = "d1", ["name"] = "DB", ["id"] = d1Id },
            new JsonObject { ["type"] = "plain_text", ["name"] = "PLATFORM_ID", ["text"] = "p1" },
        };
        foreach (var binding in extra)
        {
            bindings.Add(binding);
        }

        var metadata = new JsonObject
        {
            ["main_module"] = "index.js",
            ["compatibility_date"] = "2025-01-01",
            ["bindings"] = bindings,
            ["tags"] = new JsonArray("nno", "platform-p1", "env-dev"),
        };
        if (keepSecrets)
        {
            metadata["keep_bindings"] = new JsonArray("secret_text");
        }

        return metadata;
    }

    private static async Task<string[]> SecretNamesAsync(HttpClient api, string name) =>
        (await (await api.GetAsync(Script(name, "/secrets"))).ResultAsync()).EnumerateArray().Select(s => s.GetProperty("name").GetString()!).ToArray();

    [Fact]
    public async Task Upload_WithBindingsToExistingResources_StoresTheScriptAndItsSettings()
    {
        await using var sandbox = await Sandbox.StartAsync();
        var api = sandbox.ApiClient();
        var db = await api.CreateD1Async("auth-db");
        var result = await (await api.UploadWorkerAsync("p1-dev-auth", AuthMetadata(db, keepSecrets: true,
            new JsonObject { ["type"] = "secret_text", ["name"] = "BETTER_AUTH_SECRET", ["text"] = "s3cr3t" },
            new JsonObject { ["type"] = "json", ["name"] = "CONFIG", ["json"] = new JsonObject { ["a"] = 1 } }))).ResultAsync();
        Assert.Equal("p1-dev-auth", result.GetProperty("id").GetString());
        Assert.Matches("^[0-9a-f]{64}$", result.GetProperty("etag").GetString());

        var settings = await (await api.GetAsync(Script("p1-dev-auth", "/settings"))).ResultAsync();
        Assert.Equal("2025-01-01", settings.GetProperty("compatibility_date").GetString());
        var bindings = settings.GetProperty("bindings").EnumerateArray().ToDictionary(b => b.GetProperty("name").GetString()!, b => b);
        Assert.Equal(db, bindings["DB"].GetProperty("id").GetString());
        Assert.Equal("secret_text", bindings["BETTER_AUTH_SECRET"].GetProperty("type").GetString());
        Assert.False(bindings["BETTER_AUTH_SECRET"].TryGetProperty("text", out _));
        Assert.DoesNotContain("s3cr3t", settings.ToString(), StringComparison.Ordinal);
        Assert.Equal(["nno", "platform-p1", "env-dev"], settings.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));

        var list = await (await api.GetAsync($"accounts/{Sandbox.Account}/workers/scripts")).ResultAsync();
        Assert.Equal("p1-dev-auth", list[0].GetProperty("id").GetString());
    }

    [Theory]
    [InlineData("{\"type\":\"d1\",\"name\":\"DB\",\"id\":\"00000000-0000-0000-0000-000000000000\"}")]
    [InlineData("{\"type\":\"service\",\"name\":\"AUTH\",\"service\":\"missing-worker\"}")]
    [InlineData("{\"type\":\"kv_namespace\",\"name\":\"KV\",\"namespace_id\":\"nope\"}")]
    [InlineData("{\"type\":\"plain_text\",\"name\":\"X\"}")]
    [InlineData("{\"type\":\"teleport\",\"name\":\"X\"}")]
    public async Task Upload_WithABindingToNothing_Is400AndStoresNothing(string binding)
    {
        await using var sandbox = await Sandbox.StartAsync();
        var api = sandbox.ApiClient();
        var metadata = new JsonObject { ["main_module"] = "index.js", ["bindings"] = new JsonArray(JsonNode.Parse(binding)) };
        var response = await api.UploadWorkerAsync("w", metadata);
        Assert.Equal(400, (int)response.StatusCode);
        await (await api.GetAsync(Script("w", "/settings"))).AssertErrorAsync(404, 10007);
    }

    [Fact]
    public async Task Upload_WithoutMetadataOrMainModule_Is400()
    {
        await using var sandbox = await Sandbox.StartAsync();
        var api = sandbox.ApiClient();
        var noMain = await api.UploadWorkerAsync("w", new JsonObject { ["main_module"] = "other.js" });
        Assert.Equal(400, (int)noMain.StatusCode);
        using var noMetadata = new MultipartFormDataContent { { new StringContent("export default {}"), "index.js", "index.js" } };
        Assert.Equal(400, (int)(await api.PutAsync(Script("w"), noMetadata)).StatusCode);
        Assert.Equal(400, (int)(await api.PutAsJsonAsync(Script("w"), new { main_module = "index.js" })).StatusCode);
    }

    [Fact]
    public async Task Upload_Over10MiB_Is413()
    {
        await using var sandbox = await Sandbox.StartAsync();
        var big = new string('x', (10 * 1024 * 1024) + 1);
        var response = await sandbox.ApiClient().PutAsync(Script("big"), Sandbox.WorkerUpload(new JsonObject { ["main_module"] = "index.js" }, big));
        Assert.Equal(413, (int)response.StatusCode);
    }

    [Fact]
    public async Task ReUpload_KeepsSecretsOnlyWhenKeepBindingsHoldsSecretText()
    {
        await using var sandbox = await Sandbox.StartAsync();
        var api = sandbox.ApiClient();
        var db = await api.CreateD1Async("db");
        await (await api.UploadWorkerAsync("w", AuthMetadata(db, keepSecrets: false))).ResultAsync();
        await (await api.PutAsJsonAsync(Script("w", "/secrets"), new { name = "STRIPE_KEY", text = "sk", type = "secret_text" })).ResultAsync();
        Assert.Equal(["STRIPE_KEY"], await SecretNamesAsync(api, "w"));

        await (await api.UploadWorkerAsync("w", AuthMetadata(db, keepSecrets: true))).ResultAsync();
        Assert.Equal(["STRIPE_KEY"], await SecretNamesAsync(api, "w"));

        await (await api.UploadWorkerAsync("w", AuthMetadata(db, keepSecrets: false))).ResultAsync();
        Assert.Empty(await SecretNamesAsync(api, "w"));
    }

    [Fact]
    public async Task Secrets_PutListDelete_AndUnknownScript404Code10007()
    {
        await using var sandbox = await Sandbox.StartAsync();
        var api = sandbox.ApiClient();
        await (await api.PutAsJsonAsync(Script("ghost", "/secrets"), new { name = "A", text = "x", type = "secret_text" })).AssertErrorAsync(404, 10007);
        await (await api.UploadWorkerAsync("w", new JsonObject { ["main_module"] = "index.js" })).ResultAsync();
        var put = await (await api.PutAsJsonAsync(Script("w", "/secrets"), new { name = "A", text = "x", type = "secret_text" })).ResultAsync();
        Assert.Equal("A", put.GetProperty("name").GetString());
        await (await api.PutAsJsonAsync(Script("w", "/secrets"), new { name = "B", text = "y" })).ResultAsync();
        Assert.Equal(["A", "B"], await SecretNamesAsync(api, "w"));
        await (await api.DeleteAsync(Script("w", "/secrets/A"))).ResultAsync();
        Assert.Equal(["B"], await SecretNamesAsync(api, "w"));
        await (await api.DeleteAsync(Script("w", "/secrets/A"))).AssertErrorAsync(404, 10056);
        await (await api.GetAsync(Script("ghost", "/secrets"))).AssertErrorAsync(404, 10007);
    }

    [Fact]
    public async Task Delete_WithRoutes_NeedsForce_ThenRemovesScriptRoutesAndSecrets()
    {
        await using var sandbox = await Sandbox.StartAsync();
        var api = sandbox.ApiClient();
        await (await api.UploadWorkerAsync("w", new JsonObject { ["main_module"] = "index.js" })).ResultAsync();
        await (await api.PutAsJsonAsync(Script("w", "/secrets"), new { name = "A", text = "x" })).ResultAsync();
        await (await api.PostAsJsonAsync($"zones/{Sandbox.Zone}/workers/routes", new { pattern = "w.nno.run/*", script = "w" })).ResultAsync();

        await (await api.DeleteAsync(Script("w"))).AssertErrorAsync(400, 10064);
        await (await api.DeleteAsync(Script("w?force=true"))).ResultAsync();
        await (await api.GetAsync(Script("w", "/settings"))).AssertErrorAsync(404, 10007);
        await (await api.DeleteAsync(Script("w"))).AssertErrorAsync(404, 10007);
        Assert.Equal(0, (await (await api.GetAsync($"zones/{Sandbox.Zone}/workers/routes")).ResultAsync()).GetArrayLength());

        // A new script of the same name starts without the old secrets.
        await (await api.UploadWorkerAsync("w", new JsonObject { ["main_module"] = "index.js", ["keep_bindings"] = new JsonArray("secret_text") })).ResultAsync();
        Assert.Empty(await SecretNamesAsync(api, "w"));
    }

    [Fact]
    public async Task Routes_ToAMissingScript400Code10019_DuplicatePattern409Code10020_AndDelete()
    {
        await using var sandbox = await Sandbox.StartAsync();
        var api = sandbox.ApiClient();
        var routes = $"zones/{Sandbox.Zone}/workers/routes";
        await (await api.PostAsJsonAsync(routes, new { pattern = "p1-dev.nno.run/*", script = "missing" })).AssertErrorAsync(400, 10019);
        await (await api.UploadWorkerAsync("p1-dev-auth", new JsonObject { ["main_module"] = "index.js" })).ResultAsync();
        var route = await (await api.PostAsJsonAsync(routes, new { pattern = "p1-dev.nno.run/*", script = "p1-dev-auth" })).ResultAsync();
        var id = route.GetProperty("id").GetString();
        await (await api.PostAsJsonAsync(routes, new { pattern = "p1-dev.nno.run/*", script = "p1-dev-auth" })).AssertErrorAsync(409, 10020);
        await (await api.PostAsJsonAsync(routes, new { pattern = "example.com/*", script = "p1-dev-auth" })).AssertErrorAsync(400, 7400);

        var list = await (await api.GetAsync(routes)).ResultAsync();
        Assert.Equal("p1-dev-auth", Assert.Single(list.EnumerateArray()).GetProperty("script").GetString());
        var deleted = await (await api.DeleteAsync($"{routes}/{id}")).ResultAsync();
        Assert.Equal(id, deleted.GetProperty("id").GetString());
        await (await api.DeleteAsync($"{routes}/{id}")).AssertErrorAsync(404, 10005);
    }
}

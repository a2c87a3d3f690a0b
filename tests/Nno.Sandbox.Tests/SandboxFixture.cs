using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Nno.Testing.Sandbox;

namespace Nno.Sandbox.Tests;

/// <summary>Shared helpers: a sandbox on a fake clock, envelope reading, Workers uploads.</summary>
internal static class Sandbox
{
    public const string Account = "0123456789abcdef0123456789abcdef";
    public const string Zone = "fedcba9876543210fedcba9876543210";

    public static FakeTimeProvider NewClock() => new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public static Task<TestSandbox> StartAsync(FakeTimeProvider? time = null, IDictionary<string, string?>? settings = null) =>
        TestSandbox.StartAsync(time ?? NewClock(), settings);

    public static async Task<JsonElement> EnvelopeAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    /// <summary>Asserts a failed envelope with <paramref name="status"/> and <paramref name="code"/>; returns the message.</summary>
    public static async Task<string> AssertErrorAsync(this HttpResponseMessage response, int status, int code)
    {
        var body = await response.EnvelopeAsync();
        Assert.Equal(status, (int)response.StatusCode);
        Assert.False(body.GetProperty("success").GetBoolean());
        var error = body.GetProperty("errors")[0];
        Assert.Equal(code, error.GetProperty("code").GetInt32());
        Assert.Equal(JsonValueKind.Array, body.GetProperty("messages").ValueKind);
        return error.GetProperty("message").GetString()!;
    }

    /// <summary>Asserts success and returns <c>result</c>.</summary>
    public static async Task<JsonElement> ResultAsync(this HttpResponseMessage response)
    {
        var body = await response.EnvelopeAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        Assert.True(body.GetProperty("success").GetBoolean());
        Assert.Equal(0, body.GetProperty("errors").GetArrayLength());
        return body.GetProperty("result");
    }

    public static async Task<string> CreateD1Async(this HttpClient api, string name)
    {
        var result = await (await api.PostAsJsonAsync($"accounts/{Account}/d1/database", new { name })).ResultAsync();
        return result.GetProperty("uuid").GetString()!;
    }

    public static Task<HttpResponseMessage> QueryAsync(this HttpClient api, string uuid, object body, string kind = "query") =>
        api.PostAsJsonAsync($"accounts/{Account}/d1/database/{uuid}/{kind}", body);

    public static MultipartFormDataContent WorkerUpload(JsonObject metadata, string script = "export default { fetch() { return new Response('ok'); } };", string module = "index.js")
    {
        var content = new MultipartFormDataContent();
        var meta = new StringContent(metadata.ToJsonString(), Encoding.UTF8);
        meta.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        content.Add(meta, "metadata");
        var code = new StringContent(script, Encoding.UTF8);
        code.Headers.ContentType = new MediaTypeHeaderValue("application/javascript+module");
        content.Add(code, module, module);
        return content;
    }

    public static Task<HttpResponseMessage> UploadWorkerAsync(this HttpClient api, string name, JsonObject metadata) =>
        api.PutAsync($"accounts/{Account}/workers/scripts/{name}", WorkerUpload(metadata));

    public static Task<HttpResponseMessage> PutFaultsAsync(this HttpClient admin, object faults) => admin.PutAsJsonAsync("faults", faults);
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Nno.Testing.Sandbox;

namespace Nno.Sandbox.Tests;

/// <summary>
/// A Sandbox per test class for the KV, R2, S3, Pages, Queues and Analytics tests, on a fake clock, with helpers to
/// read Cloudflare's envelope. (Kept in the KV folder: the areas' tests share it.)
/// </summary>
public sealed class AreaSandbox : IAsyncLifetime
{
    public const string AccountId = "0123456789abcdef0123456789abcdef";

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

    public TestSandbox Sandbox { get; private set; } = null!;

    public HttpClient Api { get; private set; } = null!;

    public HttpClient Admin { get; private set; } = null!;

    /// <summary>Extra configuration for the sandbox (set before it starts).</summary>
    public Dictionary<string, string?> Settings { get; } = [];

    public async Task InitializeAsync()
    {
        Sandbox = await TestSandbox.StartAsync(Time, Settings);
        Api = Sandbox.ApiClient();
        Admin = Sandbox.AdminClient();
    }

    public async Task DisposeAsync() => await Sandbox.DisposeAsync();

    /// <summary>The account-scoped path <c>accounts/{id}/{rest}</c> relative to the API client's base.</summary>
    public static string Account(string rest) => $"accounts/{AccountId}/{rest}";

    /// <summary>Reads the envelope and asserts success; returns <c>result</c>.</summary>
    public static async Task<JsonElement> OkAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        var root = JsonDocument.Parse(body).RootElement;
        Assert.True(root.GetProperty("success").GetBoolean(), body);
        return root.GetProperty("result").Clone();
    }

    /// <summary>Reads the whole envelope of a successful answer.</summary>
    public static async Task<JsonElement> EnvelopeAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Asserts an error envelope with <paramref name="status"/> and, when given, <paramref name="code"/>.</summary>
    public static async Task<JsonElement> ErrorAsync(HttpResponseMessage response, HttpStatusCode status, int? code = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        var root = JsonDocument.Parse(body).RootElement;
        Assert.False(root.GetProperty("success").GetBoolean());
        var error = root.GetProperty("errors")[0];
        if (code is { } expected)
        {
            Assert.Equal(expected, error.GetProperty("code").GetInt32());
        }

        return error.Clone();
    }

    /// <summary>POSTs JSON and returns the successful result.</summary>
    public async Task<JsonElement> PostOkAsync(string path, object body) => await OkAsync(await Api.PostAsJsonAsync(path, body));
}

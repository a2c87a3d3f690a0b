using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Nno.Testing.Sandbox;
using Stripe;

namespace Nno.Sandbox.Tests.StripeEmulation;

/// <summary>Helpers for the Stripe emulator tests: the real Stripe.net client on the sandbox, raw HTTP clients, error checks.</summary>
internal static class StripeSandbox
{
    public const string Key = "sk_test_nno_sandbox";

    public static DateTimeOffset Start { get; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static FakeTimeProvider NewClock() => new(Start);

    public static Task<TestSandbox> StartAsync(FakeTimeProvider? time = null, IDictionary<string, string?>? settings = null) =>
        TestSandbox.StartAsync(time ?? NewClock(), settings);

    /// <summary>The <c>apiBase</c> Stripe.net gets: <c>http://127.0.0.1:{port}/stripe</c>.</summary>
    public static string StripeBase(this TestSandbox sandbox) => sandbox.Address.ToString().TrimEnd('/') + "/stripe";

    /// <summary>The real Stripe.net client on the sandbox (retries without sleeping, so tests stay fast).</summary>
    public static StripeClient StripeClient(this TestSandbox sandbox, string key = Key, int maxNetworkRetries = 2)
    {
        var http = new SystemNetHttpClient(new HttpClient(), maxNetworkRetries);
        return new StripeClient(new StripeClientOptions { ApiKey = key, ApiBase = sandbox.StripeBase(), HttpClient = http });
    }

    /// <summary>A raw client of <c>/stripe/v1/</c> with the bearer key (none when null).</summary>
    public static HttpClient StripeHttp(this TestSandbox sandbox, string? key = Key)
    {
        var client = new HttpClient { BaseAddress = new Uri(sandbox.StripeBase() + "/v1/") };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return client;
    }

    /// <summary>A client of <c>/stripe/_admin/</c> with the admin header (none when null).</summary>
    public static HttpClient StripeAdmin(this TestSandbox sandbox, string? adminToken = TestSandbox.AdminToken)
    {
        var client = new HttpClient { BaseAddress = new Uri(sandbox.StripeBase() + "/_admin/") };
        if (adminToken is not null)
        {
            client.DefaultRequestHeaders.Add("X-Sandbox-Admin", adminToken);
        }

        return client;
    }

    /// <summary>A form body with the pairs in the given order.</summary>
    public static FormUrlEncodedContent Form(params (string Key, string Value)[] pairs) =>
        new(pairs.Select(p => new KeyValuePair<string, string>(p.Key, p.Value)));

    public static Task<HttpResponseMessage> PostFormAsync(this HttpClient client, string path, string? idempotencyKey, params (string Key, string Value)[] pairs)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Form(pairs) };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return client.SendAsync(request);
    }

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    /// <summary>Asserts a success and returns the body.</summary>
    public static async Task<JsonElement> OkAsync(this HttpResponseMessage response)
    {
        var body = await response.JsonAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        return body;
    }

    /// <summary>Asserts Stripe's error object with <paramref name="status"/>, type, code and param (null = absent); returns the message.</summary>
    public static async Task<string> AssertStripeErrorAsync(this HttpResponseMessage response, int status, string type, string? code = null, string? param = null)
    {
        var body = await response.JsonAsync();
        Assert.Equal(status, (int)response.StatusCode);
        var error = body.GetProperty("error");
        Assert.Equal(type, error.GetProperty("type").GetString());
        Assert.Equal(code, error.TryGetProperty("code", out var c) ? c.GetString() : null);
        Assert.Equal(param, error.TryGetProperty("param", out var p) ? p.GetString() : null);
        Assert.StartsWith("req_", response.Headers.GetValues("Request-Id").Single(), StringComparison.Ordinal);
        return error.GetProperty("message").GetString()!;
    }

    public static Task<HttpResponseMessage> PutJsonAsync(this HttpClient client, string path, string json) =>
        client.PutAsync(path, new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string path, string json) =>
        client.PostAsync(path, new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
}

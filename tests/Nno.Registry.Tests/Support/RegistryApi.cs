using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Nno.Registry.Outbox;

namespace Nno.Registry.Tests.Support;

/// <summary>Calls and assertions the Registry tests share.</summary>
internal static class RegistryApi
{
    public const string Platforms = "/api/v1/platforms";

    /// <summary>Imports a platform as an operator and returns its JSON.</summary>
    public static async Task<JsonElement> ImportAsync(this RegistryHost host, string slug, string owner = "usr_owner", string tier = "starter", object? extra = null)
    {
        using var op = host.Operator();
        var body = new Dictionary<string, object?> { ["name"] = "Platform " + slug, ["slug"] = slug, ["ownerUserId"] = owner, ["tier"] = tier };
        if (extra is not null)
        {
            foreach (var property in JsonSerializer.SerializeToElement(extra, Core.Json.NnoJson.Options).EnumerateObject())
            {
                body[property.Name] = property.Value;
            }
        }

        using var response = await op.PostAsJsonAsync(Platforms, body);
        var json = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"import {slug}: {(int)response.StatusCode} {json}\n{string.Join("\n", host.Logs.Lines.TakeLast(3))}");
        return json;
    }

    /// <summary>Sets a platform's status (and related fields) directly, to start a test from any state.</summary>
    public static Task SetStatusAsync(this RegistryHost host, string platformId, string status, long? cancelEffectiveAt = null, string? stripeCustomerId = null) =>
        host.WithDbAsync(db => db.Platforms.Where(p => p.Id == platformId).ExecuteUpdateAsync(s => s
            .SetProperty(p => p.Status, status)
            .SetProperty(p => p.CancelEffectiveAt, cancelEffectiveAt)
            .SetProperty(p => p.StripeCustomerId, stripeCustomerId)
            .SetProperty(p => p.DeletedAt, status == "deleted" ? 1L : null)));

    /// <summary>The outbox rows of a platform, oldest first.</summary>
    public static Task<List<OutboxRecord>> OutboxAsync(this RegistryHost host, string platformId) =>
        host.WithDbAsync(db => db.Outbox.AsNoTracking().Where(o => o.PlatformId == platformId).OrderBy(o => o.CreatedAt).ThenBy(o => o.Id).ToListAsync());

    /// <summary>Set by hosts so a failed status assertion shows the server's exception.</summary>
    public static AsyncLocal<RegistryHost?> CurrentHost { get; } = new();

    private static string LastErrors => CurrentHost.Value is { } host
        ? "\n" + string.Join("\n", host.Logs.Lines.Where(l => l.Contains("xception", StringComparison.Ordinal)).TakeLast(2))
        : "";

    public static async Task<JsonElement> ReadJsonAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Asserts the status and the envelope's code; returns the body.</summary>
    public static async Task<JsonElement> ExpectErrorAsync(this HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var json = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status} {code}, got {(int)response.StatusCode}: {json}{LastErrors}");
        Assert.Equal(code, json.GetProperty("error").GetProperty("code").GetString());
        return json;
    }

    public static async Task<JsonElement> ExpectAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        var json = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {json}{LastErrors}");
        return json;
    }

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string path, object? body) =>
        client.PostAsync(path, new StringContent(body is null ? "{}" : JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"));

    public static Task<HttpResponseMessage> PatchJsonAsync(this HttpClient client, string path, object body, string? ifMatch = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Patch, path) { Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json") };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return client.SendAsync(request);
    }

    /// <summary>The error body without its per-request id, to compare two 404s.</summary>
    public static string WithoutRequestId(JsonElement error)
    {
        var body = error.GetProperty("error");
        return JsonSerializer.Serialize(new
        {
            code = body.GetProperty("code").GetString(),
            message = body.GetProperty("message").GetString(),
            details = body.GetProperty("details"),
        });
    }
}

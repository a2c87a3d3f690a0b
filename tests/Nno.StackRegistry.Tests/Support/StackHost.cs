using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Nno.Client.Identity;
using Nno.Core.Services;
using Nno.StackRegistry.Data;
using Nno.Testing;
using Nno.Testing.Security;

namespace Nno.StackRegistry.Tests.Support;

/// <summary>
/// IAM (for real service tokens) and the Stack Registry in memory on a temp directory, called as the gateway would:
/// the gateway's real token plus the identity headers of one principal (gateway.md §4.5).
/// </summary>
public sealed class StackHost : IAsyncDisposable
{
    public const string StaticKeyFingerprint = "5e55a0c1";
    public const string Base = "/api/v1/stacks";

    private readonly List<HttpClient> _clients = [];

    private StackHost(TestPlatform platform) => Platform = platform;

    public TestPlatform Platform { get; }

    public static async Task<StackHost> StartAsync(IDictionary<string, string?>? settings = null, TempDirectory? dataDir = null) =>
        new(await TestPlatform.StartAsync([NnoServices.Iam, NnoServices.StackRegistry], settings, dataDir: dataDir));

    /// <summary>A client sending <paramref name="identity"/> with the gateway's token.</summary>
    public HttpClient As(GatewayIdentity identity) => Track(Platform.GatewayClient(NnoServices.StackRegistry, identity));

    public HttpClient Operator() => As(GatewayIdentity.Session("usr_operator00000000000001", "ses_operator1", role: "platform-admin"));

    public HttpClient User() => As(GatewayIdentity.Session("usr_user000000000000000001", "ses_user1"));

    public HttpClient StaticKey() => As(GatewayIdentity.StaticKey(StaticKeyFingerprint));

    public HttpClient ApiKey(string role, params string[] scopes) =>
        As(GatewayIdentity.ApiKey("usr_keyowner000000000000001", "key_aaaaaaaaaaaaaaaaaaaa", scopes, role));

    public HttpClient Anonymous() => As(GatewayIdentity.Anonymous());

    /// <summary>Another service calling with its own real token.</summary>
    public async Task<HttpClient> ServiceAsync(string service) =>
        Track(Platform.ClientWithToken(NnoServices.StackRegistry, (await Platform.IssueServiceTokenAsync(service)).Token));

    /// <summary>No token at all.</summary>
    public HttpClient NoToken() => Track(Platform.Client(NnoServices.StackRegistry));

    /// <summary>A fresh, valid template name.</summary>
    public static string NewName(string prefix = "t") => prefix + "-" + Guid.NewGuid().ToString("N")[..12];

    public async Task<JsonElement> CreateTemplateAsync(string name, string? domain = null, string displayName = "Test stack")
    {
        using var client = Operator();
        using var response = await client.PostAsJsonAsync(Base, new { name, displayName, description = "A test template.", icon = "box", domain });
        return await ExpectAsync(response, HttpStatusCode.Created);
    }

    public async Task<HttpResponseMessage> PublishAsync(string name, string version, JsonNode? definition = null, string? changelog = null, HttpClient? client = null)
    {
        var own = client is null;
        client ??= Operator();
        try
        {
            var body = new JsonObject { ["version"] = version, ["definition"] = definition ?? TestDefinitions.Valid(name, version) };
            if (changelog is not null)
            {
                body["changelog"] = changelog;
            }

            return await client.PostAsync($"{Base}/{name}/versions", Json(body));
        }
        finally
        {
            if (own)
            {
                client.Dispose();
            }
        }
    }

    public async Task<JsonElement> PublishOkAsync(string name, string version, JsonNode? definition = null)
    {
        using var response = await PublishAsync(name, version, definition);
        return await ExpectAsync(response, HttpStatusCode.Created);
    }

    public async Task<JsonElement> DeprecateAsync(string name, string version, string reason = "superseded")
    {
        using var client = Operator();
        using var response = await client.PostAsJsonAsync($"{Base}/{name}/versions/{version}/deprecate", new { reason });
        return await ExpectAsync(response, HttpStatusCode.OK);
    }

    public async Task<JsonElement> GetJsonAsync(string path, HttpClient? client = null)
    {
        var own = client is null;
        client ??= User();
        try
        {
            using var response = await client.GetAsync(path);
            return await ExpectAsync(response, HttpStatusCode.OK);
        }
        finally
        {
            if (own)
            {
                client.Dispose();
            }
        }
    }

    /// <summary>The template's <c>latestVersion</c>.</summary>
    public async Task<string?> LatestAsync(string name) =>
        (await GetJsonAsync($"{Base}/{name}")).GetProperty("template").GetProperty("latestVersion").GetString();

    public async Task<T> DbAsync<T>(Func<MarketplaceDbContext, Task<T>> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        await using var scope = Platform.Host.Apps[NnoServices.StackRegistry].Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<MarketplaceDbContext>());
    }

    public static StringContent Json(JsonNode node) => new(node.ToJsonString(), Encoding.UTF8, "application/json");

    public static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");

    /// <summary>Asserts the status and returns the parsed body.</summary>
    public static async Task<JsonElement> ExpectAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        ArgumentNullException.ThrowIfNull(response);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"Expected {(int)status}, got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Asserts an error envelope with <paramref name="status"/> and <paramref name="code"/>; returns its <c>error</c> object.</summary>
    public static async Task<JsonElement> ExpectErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var body = await ExpectAsync(response, status);
        var error = body.GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        return error;
    }

    /// <summary>The field names of a 400's <c>details.fields</c>.</summary>
    public static async Task<IReadOnlyList<string>> ExpectFieldsAsync(HttpResponseMessage response)
    {
        var error = await ExpectErrorAsync(response, HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        return [.. error.GetProperty("details").GetProperty("fields").EnumerateObject().Select(p => p.Name)];
    }

    private HttpClient Track(HttpClient client)
    {
        lock (_clients)
        {
            _clients.Add(client);
        }

        return client;
    }

    public async ValueTask DisposeAsync()
    {
        lock (_clients)
        {
            foreach (var client in _clients)
            {
                client.Dispose();
            }
        }

        await Platform.DisposeAsync();
    }
}

/// <summary>Builders of StackDefinition JSON for tests.</summary>
public static class TestDefinitions
{
    /// <summary>A small valid definition: features <c>core</c> and <c>extra</c> (depends on core), one permission, a configSchema.</summary>
    public static JsonObject Valid(string name, string version) => new()
    {
        ["schemaVersion"] = 1,
        ["name"] = name,
        ["version"] = version,
        ["displayName"] = "Test stack",
        ["features"] = new JsonArray
        {
            new JsonObject { ["id"] = "core", ["version"] = "1.0.0", ["service"] = true },
            new JsonObject { ["id"] = "extra", ["version"] = "1.0.0", ["dependsOn"] = new JsonArray("core"), ["config"] = new JsonObject { ["maxTokens"] = 5 } },
        },
        ["resources"] = new JsonObject { ["d1"] = true, ["r2"] = false, ["kv"] = true },
        ["permissions"] = new JsonArray
        {
            new JsonObject { ["key"] = "core:read", ["label"] = "Read core", ["defaultRoles"] = new JsonArray("owner", "admin", "member") },
        },
        ["configSchema"] = new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject { ["days"] = new JsonObject { ["type"] = "integer", ["minimum"] = 0, ["maximum"] = 60, ["default"] = 14 } },
            ["additionalProperties"] = false,
        },
    };

    /// <summary><see cref="Valid"/> changed by <paramref name="change"/>.</summary>
    public static JsonObject With(string name, string version, Action<JsonObject> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var definition = Valid(name, version);
        change(definition);
        return definition;
    }

    /// <summary>A feature reference.</summary>
    public static JsonObject Feature(string id, params string[] dependsOn)
    {
        var feature = new JsonObject { ["id"] = id, ["version"] = "1.0.0" };
        if (dependsOn.Length > 0)
        {
            feature["dependsOn"] = new JsonArray([.. dependsOn.Select(d => (JsonNode?)JsonValue.Create(d))]);
        }

        return feature;
    }
}

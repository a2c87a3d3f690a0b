using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Errors;
using Nno.Provisioning.Tests.Support;
using Nno.Stacks.Definitions;

namespace Nno.Provisioning.Tests.Api;

/// <summary>
/// P6 with an inline <c>definition</c> applies every StackDefinition rule of stack-registry.md §4.1 (the Stack
/// Registry's own validator, shared) and refuses features without a shipped bundle: 400 naming the field, no job.
/// </summary>
public sealed class StackDefinitionValidationTests
{
    private const string Activate = "/api/v1/provision/stack/activate";
    private const string Pid = "sdv0000001";

    private const string Valid = """
        {
          "schemaVersion": 1,
          "name": "custom",
          "version": "0.0.0",
          "displayName": "CRM light",
          "features": [
            { "id": "contacts", "version": "1.0.0", "service": true, "config": { "pageSize": 20 } },
            { "id": "deals", "version": "1.0.0", "required": false, "dependsOn": ["contacts"] }
          ],
          "resources": { "d1": true, "r2": false, "kv": false },
          "permissions": [ { "key": "contacts:read", "label": "View contacts", "defaultRoles": ["owner", "admin", "member"] } ],
          "configSchema": { "type": "object", "properties": { "currency": { "type": "string", "enum": ["EUR", "USD"], "default": "EUR" } }, "additionalProperties": false }
        }
        """;

    /// <summary>Each case edits the valid definition and names the field the 400 must carry.</summary>
    public static TheoryData<string, string> InvalidDefinitions() => new()
    {
        { "root is an array", "definition" },
        { "unknown top-level field", "definition.surprise" },
        { "unknown FeatureRef field", "definition.features[0].colour" },
        { "resources missing", "definition.resources" },
        { "resources.kv not a boolean", "definition.resources.kv" },
        { "resources with an extra key", "definition.resources.queue" },
        { "schemaVersion 2", "definition.schemaVersion" },
        { "name not a template name", "definition.name" },
        { "version a range", "definition.version" },
        { "displayName empty", "definition.displayName" },
        { "no features", "definition.features" },
        { "51 features", "definition.features" },
        { "feature id with upper case", "definition.features[0].id" },
        { "feature version a range", "definition.features[0].version" },
        { "feature id twice", "definition.features[1].id" },
        { "dependsOn an unknown feature", "definition.features[1].dependsOn[0]" },
        { "dependsOn itself", "definition.features[0].dependsOn[0]" },
        { "dependsOn cycle", "definition.features[0].dependsOn" },
        { "required not a boolean", "definition.features[0].required" },
        { "config with a secret-like key", "definition.features[0].config.apiKey" },
        { "permission prefix not a feature", "definition.permissions[0].key" },
        { "permission defaultRoles outside owner/admin/member", "definition.permissions[0].defaultRoles" },
        { "permission key twice", "definition.permissions[1].key" },
        { "configSchema with $ref", "definition.configSchema.properties.currency.$ref" },
        { "configSchema root not an object type", "definition.configSchema.type" },
        { "configSchema default outside its enum", "definition.configSchema.properties.currency.default" },
        { "feature without any bundle", "definition.features[0].id" },
        { "feature at a version with no bundle", "definition.features[1].version" },
    };

    [Theory]
    [MemberData(nameof(InvalidDefinitions))]
    public async Task InvalidInlineDefinition_Answers400NamingTheField_AndCreatesNoJob(string change, string field)
    {
        await using var host = await ProvisioningHost.StartAsync();
        using var registry = await host.RegistryClientAsync();
        await ProvisioningHost.PostJobAsync(registry, "/api/v1/provision/platform", ProvisioningHost.ProvisionBody(Pid));

        using var response = await PostAsync(registry, Edit(change));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await ProvisioningHost.JsonAsync(response)).GetProperty("error");
        Assert.Equal(ErrorCodes.ValidationError, error.GetProperty("code").GetString());
        var fields = error.GetProperty("details").GetProperty("fields");
        Assert.True(fields.TryGetProperty(field, out var problems), $"{change}: expected '{field}' in {fields}");
        Assert.NotEqual(0, problems.GetArrayLength());
        Assert.Equal(0, await host.WithDbAsync(db => db.Jobs.CountAsync(j => j.Type == "ACTIVATE_STACK")));
    }

    [Fact]
    public async Task ValidCustomDefinition_IsAccepted_AndKeptAsSent()
    {
        await using var host = await ProvisioningHost.StartAsync();
        using var registry = await host.RegistryClientAsync();
        await ProvisioningHost.PostJobAsync(registry, "/api/v1/provision/platform", ProvisioningHost.ProvisionBody(Pid));

        using var response = await PostAsync(registry, JsonNode.Parse(Valid)!);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var jobId = (await ProvisioningHost.JsonAsync(response)).GetProperty("jobId").GetString();
        var payload = await host.WithDbAsync(db => db.Jobs.Where(j => j.Id == jobId).Select(j => j.PayloadJson).SingleAsync());
        using var doc = JsonDocument.Parse(payload);
        Assert.Equal("CRM light", doc.RootElement.GetProperty("definition").GetProperty("displayName").GetString());
    }

    [Fact]
    public async Task DefinitionWithAnyNameAndVersion_IsAccepted_SinceACustomStackHasNoTemplateToMatch()
    {
        await using var host = await ProvisioningHost.StartAsync();
        using var registry = await host.RegistryClientAsync();
        await ProvisioningHost.PostJobAsync(registry, "/api/v1/provision/platform", ProvisioningHost.ProvisionBody(Pid));
        var definition = JsonNode.Parse(Valid)!;
        definition["name"] = "my-crm";
        definition["version"] = "2.1.0-rc.1";

        using var response = await PostAsync(registry, definition);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public async Task ProblemsAndPaths_AreExactlyThoseOfTheStackRegistryValidator_AllAtOnce()
    {
        await using var host = await ProvisioningHost.StartAsync();
        using var registry = await host.RegistryClientAsync();
        await ProvisioningHost.PostJobAsync(registry, "/api/v1/provision/platform", ProvisioningHost.ProvisionBody(Pid));
        var definition = JsonNode.Parse(Valid)!;
        definition["schemaVersion"] = 3;
        definition["features"]![0]!["id"] = "Contacts";
        definition["features"]![1]!["version"] = "~1.0";
        definition["permissions"]![0]!["defaultRoles"] = new JsonArray("root");

        using var response = await PostAsync(registry, definition);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var fields = (await ProvisioningHost.JsonAsync(response)).GetProperty("error").GetProperty("details").GetProperty("fields");
        var expected = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        using var sent = JsonDocument.Parse(definition.ToJsonString());
        Assert.Null(StackDefinitionRules.Check(sent.RootElement, null, null, "definition", expected));
        Assert.Equal(
            expected.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (p.Key, string.Join(" | ", p.Value))),
            fields.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => (p.Name, string.Join(" | ", p.Value.EnumerateArray().Select(v => v.GetString())))));
        Assert.True(expected.Count >= 4, string.Join(", ", expected.Keys));
    }

    private static JsonNode Edit(string change)
    {
        var d = JsonNode.Parse(Valid)!;
        var features = d["features"]!.AsArray();
        var first = features[0]!;
        var second = features[1]!;
        var schema = d["configSchema"]!;
        switch (change)
        {
            case "root is an array":
                return new JsonArray(1, 2);
            case "unknown top-level field":
                d["surprise"] = 1;
                break;
            case "unknown FeatureRef field":
                first["colour"] = "blue";
                break;
            case "resources missing":
                d.AsObject().Remove("resources");
                break;
            case "resources.kv not a boolean":
                d["resources"]!["kv"] = "yes";
                break;
            case "resources with an extra key":
                d["resources"]!["queue"] = true;
                break;
            case "schemaVersion 2":
                d["schemaVersion"] = 2;
                break;
            case "name not a template name":
                d["name"] = "Custom_Stack";
                break;
            case "version a range":
                d["version"] = "^1.0.0";
                break;
            case "displayName empty":
                d["displayName"] = "   ";
                break;
            case "no features":
                features.Clear();
                break;
            case "51 features":
                features.Clear();
                for (var i = 0; i < 51; i++)
                {
                    features.Add(new JsonObject { ["id"] = "f" + i, ["version"] = "1.0.0" });
                }

                d["permissions"] = new JsonArray();
                break;
            case "feature id with upper case":
                first["id"] = "Contacts";
                break;
            case "feature version a range":
                first["version"] = ">=1.0.0";
                break;
            case "feature id twice":
                second["id"] = "contacts";
                second.AsObject().Remove("dependsOn");
                break;
            case "dependsOn an unknown feature":
                second["dependsOn"] = new JsonArray("billing");
                break;
            case "dependsOn itself":
                first["dependsOn"] = new JsonArray("contacts");
                break;
            case "dependsOn cycle":
                first["dependsOn"] = new JsonArray("deals");
                break;
            case "required not a boolean":
                first["required"] = "true";
                break;
            case "config with a secret-like key":
                first["config"] = new JsonObject { ["apiKey"] = "x" };
                break;
            case "permission prefix not a feature":
                d["permissions"]![0]!["key"] = "billing:read";
                break;
            case "permission defaultRoles outside owner/admin/member":
                d["permissions"]![0]!["defaultRoles"] = new JsonArray("owner", "root");
                break;
            case "permission key twice":
                d["permissions"]!.AsArray().Add(new JsonObject { ["key"] = "contacts:read", ["label"] = "Again" });
                break;
            case "configSchema with $ref":
                schema["properties"]!["currency"]!["$ref"] = "https://example.com/currency.json";
                break;
            case "configSchema root not an object type":
                schema["type"] = "array";
                break;
            case "configSchema default outside its enum":
                schema["properties"]!["currency"]!["default"] = "GBP";
                break;
            case "feature without any bundle":
                first["id"] = "crm-extras";
                second["dependsOn"] = new JsonArray("crm-extras");
                d["permissions"] = new JsonArray();
                break;
            case "feature at a version with no bundle":
                second["version"] = "9.9.9";
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(change), change, "no such case");
        }

        return d;
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, JsonNode definition)
    {
        var body = new JsonObject
        {
            ["platformId"] = Pid,
            ["entityId"] = "ent0000001",
            ["stackId"] = "stk0000001",
            ["environment"] = "prod",
            ["definition"] = definition,
        };
        return client.PostAsync(new Uri(Activate, UriKind.Relative), new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;
using Nno.Core.Errors;
using Nno.StackRegistry.Definitions;
using Nno.StackRegistry.Tests.Support;

namespace Nno.StackRegistry.Tests.Definitions;

/// <summary>stack-registry.md §4.1 and §7 items 17–18: each rejection is a 400 with a path.</summary>
public sealed class StackDefinitionValidatorTests
{
    private const string Name = "my-stack";
    private const string Version = "1.0.0";

    private static Dictionary<string, string[]> Problems(JsonNode definition)
    {
        using var doc = JsonDocument.Parse(definition.ToJsonString());
        var ex = Assert.Throws<ApiException>(() => StackDefinitionValidator.Validate(doc.RootElement, Name, Version));
        Assert.Equal(ErrorCodes.ValidationError, ex.Code);
        var json = JsonSerializer.SerializeToElement(ex.Details);
        return json.GetProperty("fields").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(v => v.GetString()!).ToArray());
    }

    private static JsonObject With(Action<JsonObject> change) => TestDefinitions.With(Name, Version, change);

    private static JsonArray Features(params JsonObject[] features) => new([.. features]);

    public static TheoryData<string, string> Rejections => new()
    {
        { "zero features", "definition.features" },
        { "51 features", "definition.features" },
        { "duplicate feature id", "definition.features[1].id" },
        { "feature id Billing", "definition.features[0].id" },
        { "feature id a_b", "definition.features[0].id" },
        { "feature id 33 chars", "definition.features[0].id" },
        { "config apiToken", "definition.features[1].config.apiToken" },
        { "version range", "definition.features[0].version" },
        { "dependsOn unknown", "definition.features[1].dependsOn[0]" },
        { "dependsOn self", "definition.features[1].dependsOn[0]" },
        { "dependsOn cycle", "definition.features[0].dependsOn" },
        { "permission billing_read", "definition.permissions[0].key" },
        { "permission Billing:Read", "definition.permissions[0].key" },
        { "permission prefix not a feature", "definition.permissions[0].key" },
        { "permission duplicate key", "definition.permissions[1].key" },
        { "permission defaultRoles empty", "definition.permissions[0].defaultRoles" },
        { "resources missing kv", "definition.resources.kv" },
        { "resources extra key", "definition.resources.queue" },
        { "schemaVersion 2", "definition.schemaVersion" },
        { "unknown top-level property", "definition.extra" },
        { "unknown feature property", "definition.features[0].colour" },
        { "config over 16 KiB", "definition.features[1].config" },
        { "displayName with bidi override", "definition.displayName" },
    };

    private static JsonObject Build(string rejection) => rejection switch
    {
        "zero features" => With(d => { d["features"] = new JsonArray(); d["permissions"] = new JsonArray(); }),
        "51 features" => With(d => { d["features"] = Features([.. Enumerable.Range(0, 51).Select(i => TestDefinitions.Feature("f" + i))]); d["permissions"] = new JsonArray(); }),
        "duplicate feature id" => With(d => d["features"] = Features(TestDefinitions.Feature("core"), TestDefinitions.Feature("core"))),
        "feature id Billing" => With(d => d["features"]![0]!["id"] = "Billing"),
        "feature id a_b" => With(d => d["features"]![0]!["id"] = "a_b"),
        "feature id 33 chars" => With(d => d["features"]![0]!["id"] = new string('a', 33)),
        "config apiToken" => With(d => d["features"]![1]!["config"] = new JsonObject { ["apiToken"] = "x", ["maxTokens"] = 3 }),
        "version range" => With(d => d["features"]![0]!["version"] = "^1.0.0"),
        "dependsOn unknown" => With(d => d["features"]![1]!["dependsOn"] = new JsonArray("ghost")),
        "dependsOn self" => With(d => d["features"]![1]!["dependsOn"] = new JsonArray("extra")),
        "dependsOn cycle" => With(d => d["features"]![0]!["dependsOn"] = new JsonArray("extra")),
        "permission billing_read" => With(d => d["permissions"]![0]!["key"] = "billing_read"),
        "permission Billing:Read" => With(d => d["permissions"]![0]!["key"] = "Billing:Read"),
        "permission prefix not a feature" => With(d => d["permissions"]![0]!["key"] = "billing:read"),
        "permission duplicate key" => With(d => d["permissions"]!.AsArray().Add(new JsonObject { ["key"] = "core:read", ["label"] = "Again" })),
        "permission defaultRoles empty" => With(d => d["permissions"]![0]!["defaultRoles"] = new JsonArray()),
        "resources missing kv" => With(d => d["resources"] = new JsonObject { ["d1"] = true, ["r2"] = false }),
        "resources extra key" => With(d => d["resources"]!["queue"] = true),
        "schemaVersion 2" => With(d => d["schemaVersion"] = 2),
        "unknown top-level property" => With(d => d["extra"] = 1),
        "unknown feature property" => With(d => d["features"]![0]!["colour"] = "red"),
        "config over 16 KiB" => With(d => d["features"]![1]!["config"] = new JsonObject { ["blob"] = new string('x', 17 * 1024) }),
        "displayName with bidi override" => With(d => d["displayName"] = "Evil\u202Eeman"),
        _ => throw new ArgumentOutOfRangeException(nameof(rejection)),
    };

    [Theory]
    [MemberData(nameof(Rejections))]
    public void Rejection_NamesThePath(string rejection, string path) => Assert.Contains(path, Problems(Build(rejection)).Keys);

    [Fact]
    public void SecretLikeConfigKey_Rejected_WhileMaxTokensAccepted()
    {
        var problems = Problems(With(d => d["features"]![1]!["config"] = new JsonObject { ["apiToken"] = "x", ["maxTokens"] = 3, ["nested"] = new JsonObject { ["webhook_secret"] = "y" } }));
        Assert.Equal(["definition.features[1].config.apiToken", "definition.features[1].config.nested.webhook_secret"], problems.Keys.Order(StringComparer.Ordinal));
        using var doc = JsonDocument.Parse(TestDefinitions.Valid(Name, Version).ToJsonString());
        Assert.Equal(2, StackDefinitionValidator.Validate(doc.RootElement, Name, Version).FeatureCount);
    }

    [Fact]
    public void AllProblems_ReportedAtOnce_AcrossFieldAndCrossFieldRules()
    {
        var problems = Problems(With(d =>
        {
            d["name"] = "other";
            d["features"]![0]!["id"] = "Bad_Id";
            d["permissions"]![0]!["defaultRoles"] = new JsonArray("root");
            d["configSchema"]!["properties"]!["days"]!["default"] = 99;
        }));
        Assert.Contains("definition.name", problems.Keys);
        Assert.Contains("definition.features[0].id", problems.Keys);
        Assert.Contains("definition.permissions[0].defaultRoles", problems.Keys);
        Assert.Contains("definition.configSchema.properties.days.default", problems.Keys);
    }

    [Fact]
    public void ShapeProblems_StopBeforeFieldRules_AndAreAllReported()
    {
        var problems = Problems(With(d =>
        {
            d["schemaVersion"] = "one";
            d["features"]![0]!["required"] = "yes";
            d.Remove("resources");
            d["name"] = "Bad Name";
        }));
        Assert.Equal(["definition.features[0].required", "definition.resources", "definition.schemaVersion"], problems.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void DependencyCycle_ThroughThreeFeatures_Reported()
    {
        var problems = Problems(With(d =>
        {
            d["features"] = Features(TestDefinitions.Feature("a", "c"), TestDefinitions.Feature("b", "a"), TestDefinitions.Feature("c", "b"));
            d["permissions"] = new JsonArray();
        }));
        var cycle = Assert.Single(problems, p => p.Key.EndsWith(".dependsOn", StringComparison.Ordinal));
        Assert.Contains("cycle", cycle.Value[0], StringComparison.Ordinal);
    }

    public static TheoryData<string, string> SchemaRejections => new()
    {
        { """{"type":"string"}""", "definition.configSchema.type" },
        { """{"type":"object","properties":{"a":{"$ref":"#/x"}}}""", "definition.configSchema.properties.a.$ref" },
        { """{"type":"object","allOf":[{"type":"object"}]}""", "definition.configSchema.allOf" },
        { """{"type":"object","properties":{"a":{"type":"object","properties":{"b":{"type":"object","properties":{"c":{"type":"object","properties":{"d":{"type":"object","properties":{"e":{"type":"string"}}}}}}}}}}}""", "definition.configSchema.properties.a.properties.b.properties.c.properties.d.properties.e" },
        { """{"type":"object","properties":{"n":{"type":"integer","maximum":10,"default":11}}}""", "definition.configSchema.properties.n.default" },
        { """{"type":"object","properties":{"s":{"type":"string","pattern":"(a+)+\\1"}}}""", "definition.configSchema.properties.s.pattern" },
        { """{"type":"object","properties":{"s":{"type":"string","format":"ipv4"}}}""", "definition.configSchema.properties.s.format" },
        { """{"type":"object","$id":"https://example.com/x"}""", "definition.configSchema.$id" },
        { """{"type":"object","$defs":{}}""", "definition.configSchema.$defs" },
        { """{"type":"object","if":{},"then":{}}""", "definition.configSchema.if" },
        { """{"type":"object","additionalProperties":{"type":"string"}}""", "definition.configSchema.additionalProperties" },
        { """{"type":"object","$schema":"http://json-schema.org/draft-07/schema#"}""", "definition.configSchema.$schema" },
        { """{"type":"object","properties":{"e":{"type":"string","format":"email","default":"not-an-email"}}}""", "definition.configSchema.properties.e.default" },
        { """{"type":"object","properties":{"l":{"type":"array","items":{"type":"string","maxLength":3},"default":["toolong"]}}}""", "definition.configSchema.properties.l.default" },
    };

    [Theory]
    [MemberData(nameof(SchemaRejections))]
    public void ConfigSchema_Rejection_NamesThePath(string schema, string path)
    {
        var problems = Problems(With(d => d["configSchema"] = JsonNode.Parse(schema)));
        Assert.Contains(path, problems.Keys);
    }

    [Fact]
    public void ConfigSchema_Over100Properties_Rejected()
    {
        var properties = new JsonObject();
        for (var i = 0; i < 101; i++)
        {
            properties["p" + i] = new JsonObject { ["type"] = "string" };
        }

        Assert.Contains("definition.configSchema", Problems(With(d => d["configSchema"] = new JsonObject { ["type"] = "object", ["properties"] = properties })).Keys);
    }

    [Fact]
    public void ConfigSchema_AllowedKeywordsAndGoodDefaults_Accepted()
    {
        var definition = With(d => d["configSchema"] = JsonNode.Parse("""
            {
              "$schema": "https://json-schema.org/draft/2020-12/schema",
              "type": "object", "title": "Settings", "description": "d", "required": ["currency"], "additionalProperties": false,
              "properties": {
                "currency": { "type": "string", "pattern": "^[A-Z]{3}$", "default": "USD", "enum": ["USD", "EUR"] },
                "site": { "type": "string", "format": "uri", "default": "https://example.com" },
                "stages": { "type": "array", "items": { "type": "string", "minLength": 1, "maxLength": 40 }, "minItems": 1, "maxItems": 20, "uniqueItems": true, "default": ["lead", "won"] },
                "ratio": { "type": "number", "minimum": 0, "maximum": 1, "default": 0.5 },
                "mode": { "const": "fast" }
              }
            }
            """));
        using var doc = JsonDocument.Parse(definition.ToJsonString());
        var canonical = StackDefinitionValidator.Validate(doc.RootElement, Name, Version);
        Assert.Contains("\"properties\":{\"currency\":", canonical.Json, StringComparison.Ordinal);
    }

    [Fact]
    public void Canonical_KeyOrderWhitespaceAndSpelledOutDefaults_GiveTheSameBytesAndHash()
    {
        var plain = TestDefinitions.Valid(Name, Version);
        var spelled = TestDefinitions.With(Name, Version, d =>
        {
            d["features"]![0]!["required"] = true;
            d["features"]![1]!["service"] = false;
            d["features"]![0]!["dependsOn"] = new JsonArray();
        });
        var reordered = new JsonObject();
        foreach (var (key, value) in spelled.Reverse())
        {
            reordered[key] = value?.DeepClone();
        }

        using var a = JsonDocument.Parse(plain.ToJsonString());
        using var b = JsonDocument.Parse(reordered.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        var ca = StackDefinitionValidator.Validate(a.RootElement, Name, Version);
        var cb = StackDefinitionValidator.Validate(b.RootElement, Name, Version);
        Assert.Equal(ca.Json, cb.Json);
        Assert.Equal(ca.Sha256, cb.Sha256);
        Assert.StartsWith("{\"schemaVersion\":1,\"name\":\"my-stack\",\"version\":\"1.0.0\",\"displayName\"", ca.Json, StringComparison.Ordinal);
        Assert.DoesNotContain(" ", ca.Json.Replace("Test stack", "", StringComparison.Ordinal).Replace("Read core", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void Canonical_FillsDefaults_PermissionsAndConfigSchema()
    {
        var minimal = new JsonObject
        {
            ["schemaVersion"] = 1,
            ["name"] = Name,
            ["version"] = Version,
            ["features"] = new JsonArray(new JsonObject { ["id"] = "core", ["version"] = "1.0.0" }),
            ["resources"] = new JsonObject { ["d1"] = true, ["r2"] = false, ["kv"] = false },
        };
        using var doc = JsonDocument.Parse(minimal.ToJsonString());
        var canonical = StackDefinitionValidator.Validate(doc.RootElement, Name, Version);
        Assert.Equal(
            """{"schemaVersion":1,"name":"my-stack","version":"1.0.0","features":[{"id":"core","version":"1.0.0","required":true,"service":false,"dependsOn":[],"config":{}}],"resources":{"d1":true,"r2":false,"kv":false},"permissions":[],"configSchema":{"type":"object"}}""",
            canonical.Json);
    }
}

using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Nno.StackRegistry.Tests.Support;

namespace Nno.StackRegistry.Tests.Api;

/// <summary>
/// stack-registry.md §7 item 24: requests generated from the service's own <c>/openapi/v1.json</c> (malformed JSON,
/// wrong types, unknown fields and enum values, bad path values) get only 4xx envelopes or successes, never a 5xx;
/// every response echoes <c>X-Request-Id</c>, JSON is camelCase and timestamps are ISO-8601 UTC. Deterministic and
/// bounded (a few hundred in-memory requests).
/// </summary>
public sealed partial class OpenApiFuzzTests
{
    private static readonly string[] Routes =
    [
        "get /api/v1/stacks", "post /api/v1/stacks", "get /api/v1/stacks/{name}", "patch /api/v1/stacks/{name}",
        "post /api/v1/stacks/{name}/versions", "get /api/v1/stacks/{name}/versions", "get /api/v1/stacks/{name}/versions/{version}",
        "post /api/v1/stacks/{name}/versions/{version}/deprecate",
    ];

    private static readonly string[] MalformedBodies =
    [
        "{", "[]", "null", "\"text\"", "{\"a\":}", "{\"a\":1,}", "{} {}", "{\"a\":1 /* c */}", string.Concat(Enumerable.Repeat("[", 40)) + string.Concat(Enumerable.Repeat("]", 40)),
    ];

    private static readonly JsonNode?[] WrongValues = [12345, true, new JsonArray(), new JsonObject(), null, "", new string('x', 5000), "\u202E"];

    private static readonly string[] QueryValues = ["", "bogus", "-1", "101", "1.5", "%25", "%00", new string('x', 150), "true"];

    private int _counter;

    [Fact]
    public async Task Fuzz_FromOpenApiDocument_OnlyClientErrorsOrSuccess_WithEnvelopesCamelCaseIsoTimestampsAndRequestIds()
    {
        await using var host = await StackHost.StartAsync();
        var name = StackHost.NewName("fuzz");
        await host.CreateTemplateAsync(name);
        await host.PublishOkAsync(name, "1.0.0");

        using var anonymous = host.NoToken();
        var document = JsonNode.Parse(await anonymous.GetStringAsync("/openapi/v1.json"))!;
        var paths = document["paths"]!.AsObject();
        var described = paths.SelectMany(p => p.Value!.AsObject().Select(o => o.Key + " " + p.Key)).ToHashSet(StringComparer.Ordinal);
        Assert.Superset(Routes.ToHashSet(StringComparer.Ordinal), described);
        var patchBody = Resolve(document, paths["/api/v1/stacks/{name}"]!["patch"]!["requestBody"]?["content"]?["application/json"]?["schema"]);
        Assert.NotNull(patchBody?["properties"]?["displayName"]);

        using var client = host.Operator();
        var requests = 0;
        foreach (var (path, operations) in paths)
        {
            if (!path.StartsWith(StackHost.Base, StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var (method, operation) in operations!.AsObject())
            {
                var parameters = operation!["parameters"]?.AsArray().Select(p => p!).ToList() ?? [];
                var queryNames = parameters.Where(p => (string?)p["in"] == "query").Select(p => (string)p["name"]!).ToList();
                var bodySchema = Resolve(document, operation["requestBody"]?["content"]?["application/json"]?["schema"]);

                foreach (var target in PathVariants(path, name))
                {
                    // Query parameters: each alone with hostile values (unknown enum values among them).
                    foreach (var query in queryNames)
                    {
                        foreach (var value in QueryValues)
                        {
                            await SendAsync(client, method, $"{target}?{query}={Uri.EscapeDataString(value)}", null, "application/json");
                            requests++;
                        }
                    }

                    if (bodySchema is null)
                    {
                        await SendAsync(client, method, target, null, null);
                        requests++;
                        continue;
                    }

                    foreach (var malformed in MalformedBodies)
                    {
                        await SendAsync(client, method, target, malformed, "application/json");
                        requests++;
                    }

                    await SendAsync(client, method, target, "{}", "text/plain");
                    var properties = bodySchema["properties"]?.AsObject().Select(p => p.Key).ToList() ?? [];
                    foreach (var property in properties)
                    {
                        foreach (var wrong in WrongValues)
                        {
                            var body = Sample(document, bodySchema, name);
                            body[property] = wrong?.DeepClone();
                            await SendAsync(client, method, target, body.ToJsonString(), "application/json");
                            requests++;
                        }
                    }

                    var unknown = Sample(document, bodySchema, name);
                    unknown["zzzUnknown"] = 1;
                    unknown["status"] = "bogus";
                    await SendAsync(client, method, target, unknown.ToJsonString(), "application/json");
                    requests += 2;
                }
            }
        }

        Assert.InRange(requests, 200, 3000);
    }

    private static IEnumerable<string> PathVariants(string path, string name)
    {
        string[] names = [name, "UPPER", "x" + new string('a', 70), "%2e%2e", "crm"];
        string[] versions = ["1.0.0", "latest", "v1", "1.0.0+meta", "%00"];
        foreach (var n in names)
        {
            if (!path.Contains("{version}", StringComparison.Ordinal))
            {
                yield return path.Replace("{name}", n, StringComparison.Ordinal);
                continue;
            }

            foreach (var v in n == name ? versions : versions[..1])
            {
                yield return path.Replace("{name}", n, StringComparison.Ordinal).Replace("{version}", v, StringComparison.Ordinal);
            }
        }
    }

    /// <summary>A body with a plausible value for every property of <paramref name="schema"/>.</summary>
    private static JsonObject Sample(JsonNode document, JsonNode schema, string name)
    {
        var body = new JsonObject();
        foreach (var (property, propertySchema) in schema["properties"]?.AsObject() ?? [])
        {
            body[property] = property switch
            {
                "definition" => TestDefinitions.Valid(name, "9.9.9"),
                "version" => "9.9.9",
                "name" => StackHost.NewName("fz"),
                _ => Resolve(document, propertySchema) is { } resolved && resolved["type"]?.ToJsonString().Contains("string", StringComparison.Ordinal) == true ? "fuzz" : null,
            };
        }

        return body;
    }

    private static JsonNode? Resolve(JsonNode document, JsonNode? schema)
    {
        var reference = (string?)schema?["$ref"];
        return reference is null ? schema : document["components"]!["schemas"]![reference["#/components/schemas/".Length..]];
    }

    private async Task SendAsync(HttpClient client, string method, string target, string? body, string? contentType)
    {
        var requestId = "fuzz-" + Interlocked.Increment(ref _counter);
        using var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), target);
        request.Headers.Add("X-Request-Id", requestId);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType ?? "application/json");
        }

        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var what = $"{method.ToUpperInvariant()} {target} {body?[..Math.Min(body.Length, 120)]} → {(int)response.StatusCode} {text[..Math.Min(text.Length, 300)]}";
        Assert.True((int)response.StatusCode < 500, what);
        Assert.True(response.Headers.TryGetValues("X-Request-Id", out var echoed) && echoed.Single() == requestId, "X-Request-Id not echoed: " + what);
        if (response.StatusCode == HttpStatusCode.NotModified || text.Length == 0)
        {
            return;
        }

        var json = JsonNode.Parse(text)!;
        if ((int)response.StatusCode >= 400)
        {
            Assert.Equal(requestId, (string?)json["error"]?["requestId"]);
            Assert.False(string.IsNullOrEmpty((string?)json["error"]?["code"]), what);
        }

        CheckNames(json, what, inFreeForm: false);
    }

    /// <summary>camelCase property names and ISO-8601 UTC timestamps, outside free-form values (definitions, details.fields).</summary>
    private static void CheckNames(JsonNode? node, string what, bool inFreeForm)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    if (!inFreeForm)
                    {
                        Assert.True(CamelCase().IsMatch(key), $"'{key}' is not camelCase: {what}");
                        if (key.EndsWith("At", StringComparison.Ordinal) && value is JsonValue v && v.TryGetValue<string>(out var timestamp))
                        {
                            Assert.True(IsoUtc().IsMatch(timestamp), $"'{key}' = {timestamp} is not ISO-8601 UTC: {what}");
                        }
                    }

                    CheckNames(value, what, inFreeForm || key is "definition" or "fields");
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    CheckNames(item, what, inFreeForm);
                }

                break;
        }
    }

    [GeneratedRegex("^[a-z][a-zA-Z0-9]*$")]
    private static partial Regex CamelCase();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")]
    private static partial Regex IsoUtc();
}

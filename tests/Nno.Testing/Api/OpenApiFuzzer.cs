using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Xunit;

namespace Nno.Testing.Api;

/// <summary>
/// Requests generated from a service's own <c>/openapi/v1.json</c>: for every operation under a base path, hostile query
/// values, malformed JSON, a wrong content type, a wrong value for each body property, and unknown fields and enum
/// values. Every answer must be a success or a 4xx envelope (never a 5xx), echo <c>X-Request-Id</c>, use camelCase
/// names and ISO-8601 UTC timestamps. Deterministic and bounded: the callers choose the path values.
/// </summary>
public sealed partial class OpenApiFuzzer(HttpClient client, JsonNode document)
{
    private static readonly string[] MalformedBodies =
    [
        "{", "[]", "null", "\"text\"", "{\"a\":}", "{\"a\":1,}", "{} {}", "{\"a\":1 /* c */}", string.Concat(Enumerable.Repeat("[", 40)) + string.Concat(Enumerable.Repeat("]", 40)),
    ];

    private static readonly JsonNode?[] WrongValues = [12345, true, new JsonArray(), new JsonObject(), null, "", new string('x', 5000), "\u202E"];

    private static readonly string[] QueryValues = ["", "bogus", "-1", "101", "1.5", "%25", "%00", new string('x', 150), "true"];

    private int _counter;

    /// <summary>The document the fuzzer walks.</summary>
    public JsonNode Document { get; } = document;

    /// <summary>Concrete request paths for one templated path (valid ids first, then hostile ones). Default: the template itself.</summary>
    public Func<string, IEnumerable<string>> PathVariants { get; init; } = path => [path];

    /// <summary>A plausible value for a body property, or null to let the fuzzer pick one from the schema.</summary>
    public Func<string, JsonNode?> SampleProperty { get; init; } = _ => null;

    /// <summary>Properties whose values are free-form (a definition, field lists): their inner names are not checked.</summary>
    public IReadOnlySet<string> FreeFormKeys { get; init; } = new HashSet<string>(StringComparer.Ordinal) { "fields" };

    /// <summary>Operations not to send (<c>"post /path"</c>), e.g. ones that end the fixture's own session.</summary>
    public IReadOnlySet<string> Skip { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>The operations the document lists, as <c>"method /path"</c>.</summary>
    public IReadOnlySet<string> Operations =>
        Document["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject().Select(o => o.Key + " " + p.Key)).ToHashSet(StringComparer.Ordinal);

    /// <summary>Fetches the OpenAPI document from <paramref name="documentClient"/> (it needs no token).</summary>
    public static async Task<JsonNode> LoadDocumentAsync(HttpClient documentClient) =>
        JsonNode.Parse(await documentClient.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative)))!;

    /// <summary>The resolved request-body schema of one operation, or null.</summary>
    public JsonNode? BodySchema(string method, string path) =>
        Resolve(Document["paths"]?[path]?[method]?["requestBody"]?["content"]?["application/json"]?["schema"]);

    /// <summary>Fuzzes every operation whose path starts with <paramref name="basePath"/>; returns how many requests it sent.</summary>
    public async Task<int> RunAsync(string basePath)
    {
        var requests = 0;
        foreach (var (path, operations) in Document["paths"]!.AsObject())
        {
            if (!path.StartsWith(basePath, StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var (method, operation) in operations!.AsObject())
            {
                if (Skip.Contains(method + " " + path))
                {
                    continue;
                }

                var parameters = operation!["parameters"]?.AsArray().Select(p => p!).ToList() ?? [];
                var queryNames = parameters.Where(p => (string?)p["in"] == "query").Select(p => (string)p["name"]!).ToList();
                var bodySchema = Resolve(operation["requestBody"]?["content"]?["application/json"]?["schema"]);
                foreach (var target in PathVariants(path))
                {
                    requests += await FuzzOperationAsync(method, target, queryNames, bodySchema);
                }
            }
        }

        return requests;
    }

    private async Task<int> FuzzOperationAsync(string method, string target, List<string> queryNames, JsonNode? bodySchema)
    {
        var requests = 0;
        foreach (var query in queryNames)
        {
            foreach (var value in QueryValues)
            {
                var separator = target.Contains('?', StringComparison.Ordinal) ? '&' : '?';
                await SendAsync(method, $"{target}{separator}{query}={Uri.EscapeDataString(value)}", null, "application/json");
                requests++;
            }
        }

        if (bodySchema is null)
        {
            await SendAsync(method, target, null, null);
            return requests + 1;
        }

        foreach (var malformed in MalformedBodies)
        {
            await SendAsync(method, target, malformed, "application/json");
            requests++;
        }

        await SendAsync(method, target, "{}", "text/plain");
        requests++;
        var properties = bodySchema["properties"]?.AsObject().Select(p => p.Key).ToList() ?? [];
        foreach (var property in properties)
        {
            foreach (var wrong in WrongValues)
            {
                var body = Sample(bodySchema);
                body[property] = wrong?.DeepClone();
                await SendAsync(method, target, body.ToJsonString(), "application/json");
                requests++;
            }
        }

        var unknown = Sample(bodySchema);
        unknown["zzzUnknown"] = 1;
        await SendAsync(method, target, unknown.ToJsonString(), "application/json");
        var badEnum = Sample(bodySchema);
        badEnum["status"] = "bogus";
        await SendAsync(method, target, badEnum.ToJsonString(), "application/json");
        return requests + 2;
    }

    /// <summary>A body with a plausible value for every property of <paramref name="schema"/>.</summary>
    private JsonObject Sample(JsonNode schema)
    {
        var body = new JsonObject();
        foreach (var (property, propertySchema) in schema["properties"]?.AsObject() ?? [])
        {
            body[property] = SampleProperty(property)
                ?? (Resolve(propertySchema) is { } resolved && resolved["type"]?.ToJsonString().Contains("string", StringComparison.Ordinal) == true ? "fuzz" : null);
        }

        return body;
    }

    private JsonNode? Resolve(JsonNode? schema)
    {
        var reference = (string?)schema?["$ref"];
        return reference is null ? schema : Document["components"]!["schemas"]![reference["#/components/schemas/".Length..]];
    }

    private async Task SendAsync(string method, string target, string? body, string? contentType)
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
        if (response.StatusCode == HttpStatusCode.NotModified || text.Length == 0 || response.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.Ordinal) != true)
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

    /// <summary>camelCase property names and ISO-8601 UTC timestamps, outside free-form values.</summary>
    private void CheckNames(JsonNode? node, string what, bool inFreeForm)
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

                    CheckNames(value, what, inFreeForm || FreeFormKeys.Contains(key));
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

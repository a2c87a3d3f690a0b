using Nno.StackRegistry.Tests.Support;
using Nno.Testing.Api;

namespace Nno.StackRegistry.Tests.Api;

/// <summary>
/// stack-registry.md §7 item 24: requests generated from the service's own <c>/openapi/v1.json</c> (malformed JSON,
/// wrong types, unknown fields and enum values, bad path values) get only 4xx envelopes or successes, never a 5xx;
/// every response echoes <c>X-Request-Id</c>, JSON is camelCase and timestamps are ISO-8601 UTC (the shared
/// <see cref="OpenApiFuzzer"/>). Deterministic and bounded (a few hundred in-memory requests).
/// </summary>
public sealed class OpenApiFuzzTests
{
    private static readonly string[] Routes =
    [
        "get /api/v1/stacks", "post /api/v1/stacks", "get /api/v1/stacks/{name}", "patch /api/v1/stacks/{name}",
        "post /api/v1/stacks/{name}/versions", "get /api/v1/stacks/{name}/versions", "get /api/v1/stacks/{name}/versions/{version}",
        "post /api/v1/stacks/{name}/versions/{version}/deprecate",
    ];

    [Fact]
    public async Task Fuzz_FromOpenApiDocument_OnlyClientErrorsOrSuccess_WithEnvelopesCamelCaseIsoTimestampsAndRequestIds()
    {
        await using var host = await StackHost.StartAsync();
        var name = StackHost.NewName("fuzz");
        await host.CreateTemplateAsync(name);
        await host.PublishOkAsync(name, "1.0.0");

        using var anonymous = host.NoToken();
        using var client = host.Operator();
        var fuzzer = new OpenApiFuzzer(client, await OpenApiFuzzer.LoadDocumentAsync(anonymous))
        {
            PathVariants = path => PathVariants(path, name),
            SampleProperty = property => property switch
            {
                "definition" => TestDefinitions.Valid(name, "9.9.9"),
                "version" => "9.9.9",
                "name" => StackHost.NewName("fz"),
                _ => null,
            },
            FreeFormKeys = new HashSet<string>(StringComparer.Ordinal) { "definition", "fields" },
        };
        Assert.Superset(Routes.ToHashSet(StringComparer.Ordinal), fuzzer.Operations.ToHashSet(StringComparer.Ordinal));
        Assert.NotNull(fuzzer.BodySchema("patch", "/api/v1/stacks/{name}")?["properties"]?["displayName"]);

        var requests = await fuzzer.RunAsync(StackHost.Base);

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
}

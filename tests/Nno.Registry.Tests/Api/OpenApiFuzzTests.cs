using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Nno.Core.Services;
using Nno.Registry.Tests.Support;
using Nno.Testing.Api;

namespace Nno.Registry.Tests.Api;

/// <summary>
/// registry.md §7 item 58: requests generated from the Registry's own <c>/openapi/v1.json</c> (malformed JSON, wrong
/// types, unknown fields and enum values, hostile path and query values) get only 4xx envelopes or successes, never a
/// 5xx, with request ids, camelCase names and ISO-8601 UTC timestamps. Sent once as an operator (every public route)
/// and once as Provisioning (the internal report routes), against a platform holding one object of every kind.
/// </summary>
public sealed partial class OpenApiFuzzTests
{
    private static readonly string[] Hostile = ["UPPERCASE1", "%2e%2e", "x" + new string('a', 70)];

    [Fact]
    public async Task Fuzz_FromOpenApiDocument_OnlyClientErrorsOrSuccess_AsOperatorAndAsProvisioning()
    {
        await using var host = await RegistryHost.StartAsync();
        var seeded = await host.SeedPlatformAsync("fuzz");
        using var anonymous = host.Platform.Client(NnoServices.Registry);
        var document = await OpenApiFuzzer.LoadDocumentAsync(anonymous);

        using var provisioning = await host.ProvisioningAsync();
        var asProvisioning = Fuzzer(provisioning, document, seeded);
        Assert.Contains("post /api/v1/platforms/{pid}/resources", asProvisioning.Operations);
        var internalRequests = await asProvisioning.RunAsync(RegistryApi.Platforms + "/{pid}/");

        // The operator goes last: its lifecycle calls may leave the seeded platform cancelled or deleted.
        using var operatorClient = host.Operator();
        var operatorRequests = await Fuzzer(operatorClient, document, seeded).RunAsync(RegistryApi.Platforms);

        Assert.InRange(internalRequests, 100, 20_000);
        Assert.InRange(operatorRequests, 300, 20_000);
    }

    private static OpenApiFuzzer Fuzzer(HttpClient client, JsonNode document, SeededPlatform seeded) => new(client, document)
    {
        PathVariants = path => PathVariants(path, seeded),
        SampleProperty = property => property switch
        {
            "tenantId" or "entityId" or "parentId" => seeded.EntityId,
            "stackId" => seeded.StackId,
            "environment" => "prod",
            "slug" or "name" => ObjectSeeds.NewSlug("fz"),
            "reason" => "fuzzing",
            _ => null,
        },
        FreeFormKeys = new HashSet<string>(StringComparer.Ordinal) { "definition", "fields", "metadata", "config", "details", "verificationRecords", "before", "after" },
    };

    /// <summary>Every placeholder with the seeded platform's ids, then each placeholder alone replaced by hostile values.</summary>
    private static IEnumerable<string> PathVariants(string path, SeededPlatform seeded)
    {
        var placeholders = Placeholder().Matches(path).Select(m => m.Value).ToList();
        var valid = placeholders.ToDictionary(p => p, p => ValidValue(path, p, seeded), StringComparer.Ordinal);
        yield return Fill(path, valid);
        foreach (var placeholder in placeholders)
        {
            foreach (var hostile in Hostile)
            {
                yield return Fill(path, new Dictionary<string, string>(valid, StringComparer.Ordinal) { [placeholder] = hostile });
            }
        }
    }

    private static string ValidValue(string path, string placeholder, SeededPlatform seeded)
    {
        var before = path[..path.IndexOf(placeholder, StringComparison.Ordinal)];
        return placeholder switch
        {
            "{pid}" => seeded.Id,
            "{eid}" => seeded.EntityId,
            "{sid}" => seeded.StackId,
            "{faId}" => seeded.ActivationId,
            "{name}" => seeded.SecretName,
            "{env}" => "stg",
            _ when before.EndsWith("/custom-domains/", StringComparison.Ordinal) => seeded.CustomDomainId,
            _ when before.EndsWith("/dns-records/", StringComparison.Ordinal) => seeded.DnsRecordId,
            _ when before.EndsWith("/resources/", StringComparison.Ordinal) => seeded.WorkerId,
            _ => "abcdefghij",
        };
    }

    private static string Fill(string path, IReadOnlyDictionary<string, string> values) =>
        values.Aggregate(path, (current, pair) => current.Replace(pair.Key, pair.Value, StringComparison.Ordinal));

    [GeneratedRegex(@"\{[A-Za-z]+\}")]
    private static partial Regex Placeholder();
}

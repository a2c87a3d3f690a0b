using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Nno.Core.Json;
using Nno.Core.Services;
using Nno.Provisioning.Bundles;
using Nno.Provisioning.Data;
using Nno.Provisioning.Jobs;
using Nno.Provisioning.Steps.Features;

namespace Nno.Provisioning.Steps.Stacks;

/// <summary>
/// What <c>resolve_stack_definition</c> snapshots (its <c>output_json</c>): the definition as reported, the template
/// version (<c>0.0.0</c> for a custom one), the features in activation order with their manifests, the shared resources
/// to ensure, and for an upgrade the features it adds, changes and drops.
/// </summary>
internal sealed record StackSnapshot(
    string TemplateVersion,
    JsonElement Definition,
    IReadOnlyList<FeatureSpec> Features,
    StackResourceNeeds Resources,
    IReadOnlyList<string> Added,
    IReadOnlyList<string> Changed,
    IReadOnlyList<string> Dropped,
    IReadOnlyList<FeatureSpec>? Previous);

/// <summary>The shared resources a stack needs.</summary>
internal sealed record StackResourceNeeds(bool D1, bool R2, bool Kv, bool Queue)
{
    public FeatureResources AsFeatureResources => new(D1, R2, Kv, Queue);
}

/// <summary>Reading definitions: Stack Registry fetch, FeatureRefs in dependency order, the stack's current snapshot.</summary>
internal static class StackDefinitions
{
    public const string SnapshotKey = "snapshot";

    /// <summary>The Stack Registry's <c>TemplateVersion</c> (the fields Provisioning reads).</summary>
    private sealed record TemplateVersionBody(string? Version, string? Status, JsonElement Definition);

    /// <summary>
    /// <c>GET /api/v1/stacks/{name}/versions/{version|latest}</c> through the service binding: 404 → permanent
    /// <c>STACK_DEFINITION_NOT_FOUND</c>, <c>deprecated</c> → permanent <c>STACK_VERSION_DEPRECATED</c>, 5xx/429/network → transient.
    /// </summary>
    public static async Task<(string Version, JsonElement Definition)> FetchAsync(StepContext context, string name, string version, CancellationToken ct)
    {
        var http = context.Services.GetRequiredService<IHttpClientFactory>().CreateClient(NnoServices.StackRegistryInfo.BindingName);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"api/v1/stacks/{Uri.EscapeDataString(name)}/versions/{Uri.EscapeDataString(version)}");
        if (context.Job.RequestId is { } requestId)
        {
            request.Headers.TryAddWithoutValidation("X-Request-Id", requestId);
        }

        using var response = await http.SendAsync(request, ct);
        var status = (int)response.StatusCode;
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            throw StepFailureException.Permanent(JobErrorCodes.StackDefinitionNotFound, $"The Stack Registry has no version {version} of {name}.");
        }

        if (status >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            throw StepFailureException.Transient(JobErrorCodes.StackDefinitionNotFound, $"The Stack Registry answered {status}.", response.Headers.RetryAfter?.Delta);
        }

        if (!response.IsSuccessStatusCode)
        {
            throw StepFailureException.Permanent(JobErrorCodes.StackDefinitionNotFound, $"The Stack Registry refused the read of {name} {version} ({status}).");
        }

        TemplateVersionBody? body;
        try
        {
            body = await response.Content.ReadFromJsonAsync<TemplateVersionBody>(Client.NnoApiClient.ResponseOptions, ct);
        }
        catch (JsonException)
        {
            body = null;
        }

        if (body?.Version is null || body.Definition.ValueKind != JsonValueKind.Object)
        {
            throw StepFailureException.Transient(JobErrorCodes.StackDefinitionNotFound, "The Stack Registry's answer could not be read.");
        }

        if (body.Status == "deprecated")
        {
            throw StepFailureException.Permanent(JobErrorCodes.StackVersionDeprecated, $"Version {body.Version} of {name} is deprecated.");
        }

        return (body.Version, body.Definition.Clone());
    }

    /// <summary>The FeatureRefs in <c>dependsOn</c> order (ties: definition order), each with its bundle manifest.</summary>
    public static IReadOnlyList<FeatureSpec> Features(JsonElement definition, BundleCatalogue catalogue)
    {
        ArgumentNullException.ThrowIfNull(catalogue);
        if (!definition.TryGetProperty("features", out var features) || features.ValueKind != JsonValueKind.Array)
        {
            throw StepFailureException.Permanent(JobErrorCodes.StackDefinitionNotFound, "The stack definition has no features.");
        }

        var refs = new List<(string Id, string Version, bool? Service, IReadOnlyList<string> DependsOn, JsonElement? Config)>();
        foreach (var feature in features.EnumerateArray())
        {
            var id = StepNames.String(feature, "id") ?? throw StepFailureException.Permanent(JobErrorCodes.StackDefinitionNotFound, "A FeatureRef has no id.");
            var version = StepNames.String(feature, "version") ?? throw StepFailureException.Permanent(JobErrorCodes.StackDefinitionNotFound, $"FeatureRef {id} has no version.");
            bool? service = feature.TryGetProperty("service", out var s) && s.ValueKind is JsonValueKind.True or JsonValueKind.False ? s.GetBoolean() : null;
            var dependsOn = feature.TryGetProperty("dependsOn", out var d) && d.ValueKind == JsonValueKind.Array
                ? d.EnumerateArray().Select(x => x.GetString()!).ToList()
                : [];
            JsonElement? config = feature.TryGetProperty("config", out var c) && c.ValueKind == JsonValueKind.Object ? c.Clone() : null;
            refs.Add((id, version, service, dependsOn, config));
        }

        var ordered = new List<FeatureSpec>();
        var placed = new HashSet<string>(StringComparer.Ordinal);
        while (ordered.Count < refs.Count)
        {
            // The first (in definition order) whose dependencies are all placed: a stable topological order.
            var next = refs.FirstOrDefault(r => !placed.Contains(r.Id) && r.DependsOn.All(placed.Contains));
            if (next.Id is null)
            {
                throw StepFailureException.Permanent(JobErrorCodes.StackDefinitionNotFound, "The stack definition's dependsOn has a cycle or names an unknown feature.");
            }

            var manifest = catalogue.GetManifest(next.Id, next.Version);
            // The FeatureRef decides service (default false, stack-registry.md §4.1); a bundle without a Worker cannot be one.
            ordered.Add(FeatureSpec.Of(manifest, (next.Service ?? false) && manifest.Service, next.Config));
            placed.Add(next.Id);
        }

        return ordered;
    }

    /// <summary>The resources to ensure: <c>definition.resources</c>, plus whatever a feature bundle asks for (the queue only that way).</summary>
    public static StackResourceNeeds Resources(JsonElement definition, IReadOnlyList<FeatureSpec> features)
    {
        bool Declared(string name) => definition.TryGetProperty("resources", out var r) && r.ValueKind == JsonValueKind.Object && StepNames.Bool(r, name);
        return new StackResourceNeeds(
            Declared("d1") || features.Any(f => f.Resources.D1),
            Declared("r2") || features.Any(f => f.Resources.R2),
            Declared("kv") || features.Any(f => f.Resources.Kv),
            features.Any(f => f.Resources.Queue));
    }

    /// <summary>
    /// The snapshot of the stack as it runs now in <paramref name="env"/>: that of the last COMPLETED ACTIVATE_STACK not
    /// followed by a COMPLETED DEACTIVATE_STACK covering the environment; null for a stack that is not active.
    /// </summary>
    public static async Task<StackSnapshot?> CurrentAsync(ProvisioningDbContext db, string pid, string sid, string env, string exceptJobId, CancellationToken ct)
    {
        var completed = JobStatuses.Completed;
        var last = await db.Jobs.AsNoTracking()
            .Where(j => j.PlatformId == pid && j.Status == completed && j.StackId == sid && j.Id != exceptJobId
                        && ((j.Type == JobTypes.ActivateStack && j.Environment == env) || (j.Type == JobTypes.DeactivateStack && (j.Environment == env || j.Environment == null))))
            .OrderByDescending(j => j.CompletedAt)
            .Select(j => new { j.Id, j.Type })
            .FirstOrDefaultAsync(ct);
        if (last is null || last.Type != JobTypes.ActivateStack)
        {
            return null;
        }

        return await SnapshotOfAsync(db, last.Id, ct);
    }

    /// <summary>The snapshot a job's <c>resolve_stack_definition</c> recorded, or null.</summary>
    public static async Task<StackSnapshot?> SnapshotOfAsync(ProvisioningDbContext db, string jobId, CancellationToken ct)
    {
        var output = await db.Steps.AsNoTracking().Where(s => s.JobId == jobId && s.Name == ActivateStackSteps.ResolveStep).Select(s => s.OutputJson).FirstOrDefaultAsync(ct);
        if (output is null)
        {
            return null;
        }

        using var doc = JsonDocument.Parse(output);
        return doc.RootElement.TryGetProperty(SnapshotKey, out var snapshot) ? snapshot.Deserialize<StackSnapshot>(FeatureOps.Json) : null;
    }

    /// <summary>
    /// <c>report_stack_manifest</c>: the synchronous <c>PUT /api/v1/platforms/{pid}/stacks/{sid}/manifest {jobId,
    /// templateVersion, definition}</c>. 403 <c>TIER_LIMIT_EXCEEDED</c> → permanent <c>TIER_LIMIT_EXCEEDED</c>; other 4xx →
    /// permanent <c>REGISTRY_REJECTED</c>; 5xx, 429 and network errors → transient.
    /// </summary>
    public static async Task ReportManifestAsync(StepContext context, StackSnapshot snapshot, CancellationToken ct)
    {
        var http = context.Services.GetRequiredService<IHttpClientFactory>().CreateClient(NnoServices.RegistryInfo.BindingName);
        var body = new JsonObject
        {
            ["jobId"] = context.Job.Id,
            ["templateVersion"] = snapshot.TemplateVersion,
            ["definition"] = JsonNode.Parse(snapshot.Definition.GetRawText()),
        };
        var path = $"api/v1/platforms/{context.Job.PlatformId}/stacks/{context.Job.StackId}/manifest";
        using var request = new HttpRequestMessage(HttpMethod.Put, path) { Content = new StringContent(body.ToJsonString(NnoJson.Options), Encoding.UTF8, "application/json") };
        if (context.Job.RequestId is { } requestId)
        {
            request.Headers.TryAddWithoutValidation("X-Request-Id", requestId);
        }

        using var response = await http.SendAsync(request, ct);
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync(ct);
        string? code = null;
        try
        {
            using var doc = JsonDocument.Parse(text);
            code = doc.RootElement.TryGetProperty("error", out var error) ? StepNames.String(error, "code") : null;
        }
        catch (JsonException)
        {
            // Not an envelope: the status decides.
        }

        if (status >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            throw StepFailureException.Transient(JobErrorCodes.RegistryRejected, $"The Registry answered {status} to the manifest.", response.Headers.RetryAfter?.Delta);
        }

        if (response.StatusCode == HttpStatusCode.Forbidden && code == JobErrorCodes.TierLimitExceeded)
        {
            throw StepFailureException.Permanent(JobErrorCodes.TierLimitExceeded, "The platform's tier does not allow this stack's features.");
        }

        throw StepFailureException.Permanent(JobErrorCodes.RegistryRejected, $"The Registry refused the manifest ({status} {code}).");
    }
}

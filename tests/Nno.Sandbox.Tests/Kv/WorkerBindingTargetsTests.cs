using System.Net;
using System.Text.Json.Nodes;

namespace Nno.Sandbox.Tests.Kv;

/// <summary>The Workers upload checks kv_namespace, r2_bucket and queue bindings against the KV, R2 and Queues areas.</summary>
public sealed class WorkerBindingTargetsTests(AreaSandbox fixture) : IClassFixture<AreaSandbox>
{
    private static JsonObject Metadata(params JsonObject[] bindings) =>
        new() { ["main_module"] = "index.js", ["bindings"] = new JsonArray(bindings.Select(b => (JsonNode)b).ToArray()) };

    [Fact]
    public async Task Upload_WithBindingsToExistingKvR2AndQueue_IsAccepted()
    {
        var ns = (await fixture.PostOkAsync(AreaSandbox.Account("storage/kv/namespaces"), new { title = "bound-kv" })).GetProperty("id").GetString();
        await fixture.PostOkAsync(AreaSandbox.Account("r2/buckets"), new { name = "bound-bucket" });
        await fixture.PostOkAsync(AreaSandbox.Account("queues"), new { queue_name = "bound-queue" });

        var response = await fixture.Api.UploadWorkerAsync("bound-worker", Metadata(
            new JsonObject { ["type"] = "kv_namespace", ["name"] = "KV", ["namespace_id"] = ns },
            new JsonObject { ["type"] = "r2_bucket", ["name"] = "STORAGE", ["bucket_name"] = "bound-bucket" },
            new JsonObject { ["type"] = "queue", ["name"] = "QUEUE", ["queue_name"] = "bound-queue" }));
        await AreaSandbox.OkAsync(response);
    }

    [Theory]
    [InlineData("r2_bucket", "bucket_name")]
    [InlineData("queue", "queue_name")]
    [InlineData("kv_namespace", "namespace_id")]
    public async Task Upload_WithABindingToAMissingResource_Is400(string type, string field)
    {
        var response = await fixture.Api.UploadWorkerAsync("unbound-" + type.Replace('_', '-'), Metadata(
            new JsonObject { ["type"] = type, ["name"] = "X", [field] = "does-not-exist" }));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}

using System.Net.Http.Json;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.DependencyInjection;
using Nno.Core.Environments;
using Nno.Provisioning.Bundles;
using Nno.Provisioning.Cloudflare;
using Nno.Provisioning.Cloudflare.R2;
using Nno.Provisioning.Cloudflare.Workers;

namespace Nno.Provisioning.Tests.Cloudflare;

public sealed class SandboxIntegrationTests
{
    private const string Pid = "k3m9p2xw7q";

    [Fact]
    public async Task AuthWorker_IsUploadedWithItsBindings_AndAReuploadKeepsItsSecret()
    {
        await using var cf = await SandboxCloudflare.StartAsync();
        var client = cf.Client;
        var names = new CloudflareNames(new Nno.Core.Naming.HostnameBuilder("nno.app", "nno.run"));
        var script = CloudflareNames.AuthWorker(Pid, PlatformEnvironment.Prod);
        var db = await client.CreateD1DatabaseAsync(CloudflareNames.AuthDatabase(Pid, PlatformEnvironment.Prod));
        var upload = WorkerUploadBuilder.Auth(BundleCatalogue.Embedded.AuthWorker,
            new AuthWorkerValues(Pid, PlatformEnvironment.Prod, db.Uuid, names.AuthBaseUrl(Pid, PlatformEnvironment.Prod), null, "starter"));

        Assert.Null(await client.GetWorkerSettingsAsync(script));
        await client.UploadWorkerAsync(script, upload);
        Assert.Empty(await client.ListWorkerSecretsAsync(script));
        await client.PutWorkerSecretAsync(script, "BETTER_AUTH_SECRET", "c2VjcmV0LXZhbHVlLW5ldmVyLWxvZ2dlZA");
        await client.UploadWorkerAsync(script, upload);
        var settings = await client.GetWorkerSettingsAsync(script);
        var secrets = await client.ListWorkerSecretsAsync(script);

        Assert.NotNull(settings);
        var bindings = settings!.Bindings!.ToDictionary(b => b.Name);
        Assert.Equal("d1", bindings["DB"].Type);
        Assert.Equal(db.Uuid, bindings["DB"].Id);
        Assert.Equal(Pid, bindings["PLATFORM_ID"].Text);
        Assert.Equal("https://auth.svc.default.k3m9p2xw7q.nno.run", bindings["AUTH_BASE_URL"].Text);
        Assert.Equal("2025-01-01", settings.CompatibilityDate);
        Assert.Equal(["BETTER_AUTH_SECRET"], secrets.Select(s => s.Name));
        Assert.True(await client.DeleteWorkerSecretAsync(script, "BETTER_AUTH_SECRET"));
        Assert.True(await client.DeleteWorkerAsync(script));
        Assert.False(await client.DeleteWorkerAsync(script));
    }

    [Fact]
    public async Task FeatureWorker_BindsTheStacksD1R2KvAndQueue()
    {
        await using var cf = await SandboxCloudflare.StartAsync();
        var client = cf.Client;
        const string sid = "s7h2k9w4x1";
        var env = PlatformEnvironment.Stg;
        var db = await client.CreateD1DatabaseAsync(CloudflareNames.StackDatabase(Pid, sid, env));
        var bucket = await client.CreateR2BucketAsync(CloudflareNames.StackStorage(Pid, sid, env));
        var kv = await client.CreateKvNamespaceAsync(CloudflareNames.StackKv(Pid, sid, env));
        var queue = await client.CreateQueueAsync(CloudflareNames.StackQueue(Pid, sid, env));
        var bundle = BundleCatalogue.Embedded.GetFeature("analytics", "1.0.0");
        var script = CloudflareNames.FeatureWorker(Pid, sid, "analytics", env);

        await client.UploadWorkerAsync(script, WorkerUploadBuilder.Feature(bundle, new FeatureWorkerValues(Pid, sid, env,
            "https://auth.svc.stg.default.k3m9p2xw7q.nno.run", new StackBindings(db.Uuid, bucket.Name, kv.Id, queue.QueueName))));
        var bindings = (await client.GetWorkerSettingsAsync(script))!.Bindings!.ToDictionary(b => b.Name);

        Assert.Equal(kv.Id, bindings["KV"].NamespaceId);
        Assert.Equal("k3m9p2xw7q-s7h2k9w4x1-storage-stg", bindings["STORAGE"].BucketName);
        Assert.Equal("k3m9p2xw7q-s7h2k9w4x1-queue-stg", bindings["QUEUE"].QueueName);
        Assert.Equal("analytics_", bindings["TABLE_PREFIX"].Text);
        Assert.Equal("stg", bindings["ENVIRONMENT"].Text);
        // Create-first resources are found again after a conflict.
        var kvConflict = await Assert.ThrowsAsync<CloudflareApiException>(() => client.CreateKvNamespaceAsync(kv.Title));
        var queueConflict = await Assert.ThrowsAsync<CloudflareApiException>(() => client.CreateQueueAsync(queue.QueueName));
        Assert.True(kvConflict.IsConflict);
        Assert.True(queueConflict.IsConflict);
        Assert.Equal(kv.Id, (await client.FindKvNamespaceAsync(kv.Title))!.Id);
        Assert.Equal(queue.QueueId, (await client.FindQueueAsync(queue.QueueName))!.QueueId);
        Assert.True(await client.DeleteQueueAsync(queue.QueueId));
        Assert.True(await client.DeleteKvNamespaceAsync(kv.Id));
    }

    [Fact]
    public async Task HostnameRouteAndPages_RoundTrip()
    {
        await using var cf = await SandboxCloudflare.StartAsync();
        var client = cf.Client;
        var names = new CloudflareNames(new Nno.Core.Naming.HostnameBuilder("nno.app", "nno.run"));
        var hostname = names.AuthHostname(Pid, PlatformEnvironment.Prod);
        var console = names.ConsoleHostname(Pid, PlatformEnvironment.Prod);
        var script = CloudflareNames.AuthWorker(Pid, PlatformEnvironment.Prod);
        var project = CloudflareNames.PagesProject(Pid, PlatformEnvironment.Prod);
        var db = await client.CreateD1DatabaseAsync(CloudflareNames.AuthDatabase(Pid, PlatformEnvironment.Prod));
        await client.UploadWorkerAsync(script, WorkerUploadBuilder.Auth(BundleCatalogue.Embedded.AuthWorker,
            new AuthWorkerValues(Pid, PlatformEnvironment.Prod, db.Uuid, "https://" + hostname, null, "starter")));

        Assert.Null(await client.FindCustomHostnameAsync(hostname));
        var created = await client.CreateCustomHostnameAsync(hostname, CustomHostnameSslMethod.Http,
            new Dictionary<string, string> { ["platform_id"] = Pid, ["environment"] = "prod" });
        var found = await client.FindCustomHostnameAsync(hostname);
        var duplicate = await Assert.ThrowsAsync<CloudflareApiException>(() => client.CreateCustomHostnameAsync(hostname, CustomHostnameSslMethod.Http));
        var route = await client.CreateWorkerRouteAsync(CloudflareNames.RoutePattern(hostname), script);
        var routeConflict = await Assert.ThrowsAsync<CloudflareApiException>(() => client.CreateWorkerRouteAsync(CloudflareNames.RoutePattern(hostname), script));
        Assert.Null(await client.GetPagesProjectAsync(project));
        await client.CreatePagesProjectAsync(project, "main", new Dictionary<string, string> { ["VITE_PLATFORM_ID"] = Pid });
        Assert.Null(await client.GetPagesDomainAsync(project, console));
        await client.CreatePagesDomainAsync(project, console);

        Assert.Equal(created.Id, found!.Id);
        Assert.True(duplicate.IsConflict);
        Assert.True(routeConflict.IsConflict);
        Assert.Equal(route.Id, (await client.FindWorkerRouteAsync(CloudflareNames.RoutePattern(hostname)))!.Id);
        Assert.Equal(project, (await client.GetPagesProjectAsync(project))!.Name);
        Assert.Equal(console, (await client.GetPagesDomainAsync(project, console))!.Name);
        Assert.True(await client.DeletePagesDomainAsync(project, console));
        Assert.True(await client.DeletePagesProjectAsync(project));
        Assert.True(await client.DeleteWorkerRouteAsync(route.Id));
        Assert.True(await client.DeleteCustomHostnameAsync(created.Id));
        Assert.Null(await client.GetCustomHostnameAsync(created.Id));
    }

    [Fact]
    public async Task R2BulkDelete_Of150Objects_TakesThreeListAndThreeDeleteCalls_OffTheRestBudget_AndResumesFromItsCursor()
    {
        await using var cf = await SandboxCloudflare.StartAsync(new Dictionary<string, string?> { ["Cloudflare:RequestBudget"] = "10" });
        using var admin = cf.Sandbox.AdminClient();
        (await admin.PutAsJsonAsync("faults", new { r2ListMaxKeys = 50 })).EnsureSuccessStatusCode();
        var bucket = (await cf.Client.CreateR2BucketAsync("k3m9p2xw7q-default-storage")).Name;
        using (var s3 = new AmazonS3Client(new BasicAWSCredentials(CloudflareOptions.SandboxR2AccessKeyId, CloudflareOptions.SandboxR2SecretAccessKey),
                   new AmazonS3Config { ServiceURL = cf.Sandbox.S3Url, ForcePathStyle = true, AuthenticationRegion = "auto" }))
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, 150), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, ct) =>
                await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = $"team/{i:D3}", ContentBody = "x" }, ct));
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "billing/keep", ContentBody = "x" });
        }

        var before = (await admin.GetFromJsonAsync<JsonElement>("requests")).EnumerateArray().Select(e => e.GetProperty("seq").GetInt64()).Max();
        var budgetBefore = cf.Services.GetRequiredService<ICloudflareRequestBudget>().RemainingFraction;
        var deleter = cf.Services.GetRequiredService<R2BulkDeleter>();

        // One call per step attempt, the cursor persisted between them (as output_json would hold it).
        var first = await deleter.DeleteNextAsync(bucket, "team/", null);
        var persisted = JsonSerializer.Serialize(first);
        var resumed = JsonSerializer.Deserialize<R2DeletionCursor>(persisted);
        var done = await deleter.DeleteAllAsync(bucket, "team/", resumed);

        Assert.False(first.Completed);
        Assert.Equal(50, first.Deleted);
        Assert.True(done.Completed);
        Assert.Equal(150, done.Deleted);
        var log = (await admin.GetFromJsonAsync<JsonElement>($"requests?since={before}")).EnumerateArray().ToArray();
        Assert.Equal(3, log.Count(e => e.GetProperty("method").GetString() == "GET" && e.GetProperty("path").GetString()!.Contains("/r2-s3/", StringComparison.Ordinal)));
        Assert.Equal(3, log.Count(e => e.GetProperty("method").GetString() == "POST" && e.GetProperty("query").GetString() == "?delete"));
        Assert.Equal(budgetBefore, cf.Services.GetRequiredService<ICloudflareRequestBudget>().RemainingFraction);
        // Only the prefix went: the bucket still holds the other feature's object, so it cannot be deleted yet.
        var notEmpty = await Assert.ThrowsAsync<CloudflareApiException>(() => cf.Client.DeleteR2BucketAsync(bucket));
        Assert.True(notEmpty.IsBucketNotEmpty);
        await deleter.DeleteAllAsync(bucket, null, null);
        Assert.True(await cf.Client.DeleteR2BucketAsync(bucket));
        // A missing bucket counts as already empty.
        Assert.True((await deleter.DeleteNextAsync(bucket, null, null)).Completed);
    }

    [Fact]
    public async Task R2BulkDelete_WithWrongCredentials_IsPermanentAccessDenied()
    {
        await using var cf = await SandboxCloudflare.StartAsync(new Dictionary<string, string?>
        {
            ["R2_ACCESS_KEY_ID"] = "sandbox-r2-key",
            ["R2_SECRET_ACCESS_KEY"] = "wrong-secret",
        });
        var bucket = (await cf.Client.CreateR2BucketAsync("k3m9p2xw7q-default-storage")).Name;

        var error = await Assert.ThrowsAsync<R2S3Exception>(() => cf.Services.GetRequiredService<R2BulkDeleter>().DeleteNextAsync(bucket, null, null));

        Assert.Equal("AccessDenied", error.ErrorCode);
        Assert.True(error.IsPermanent);
    }

    [Fact]
    public async Task R2BulkDelete_ServerErrors_AreTransient()
    {
        await using var cf = await SandboxCloudflare.StartAsync();
        using var admin = cf.Sandbox.AdminClient();
        var bucket = (await cf.Client.CreateR2BucketAsync("k3m9p2xw7q-default-storage")).Name;
        (await admin.PutAsJsonAsync("faults", new { failNext = new[] { new { method = "GET", pathRegex = "/r2-s3/", status = 503, code = 0, message = "SlowDown", count = 1 } } })).EnsureSuccessStatusCode();

        var error = await Assert.ThrowsAsync<R2S3Exception>(() => cf.Services.GetRequiredService<R2BulkDeleter>().DeleteNextAsync(bucket, null, null));

        Assert.True(error.IsTransient);
        Assert.True((await cf.Services.GetRequiredService<R2BulkDeleter>().DeleteNextAsync(bucket, null, null)).Completed);
    }

    [Fact]
    public async Task KvKeys_ArePagedByPrefixAndCursor_AndBulkDeleted()
    {
        await using var cf = await SandboxCloudflare.StartAsync();
        var kv = await cf.Client.CreateKvNamespaceAsync("k3m9p2xw7q-default-kv");
        using var api = cf.Sandbox.ApiClient();
        var pairs = Enumerable.Range(0, 25).Select(i => new { key = $"team:{i:D2}", value = "v" })
            .Append(new { key = "billing:1", value = "v" }).ToArray();
        (await api.PutAsJsonAsync($"accounts/{CloudflareOptions.SandboxAccountId}/storage/kv/namespaces/{kv.Id}/bulk", pairs)).EnsureSuccessStatusCode();

        var keys = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await cf.Client.ListKvKeysAsync(kv.Id, "team:", cursor, limit: 10);
            keys.AddRange(page.Keys.Select(k => k.Name));
            cursor = page.Cursor;
            pages++;
        }
        while (cursor is not null && pages < 10);
        await cf.Client.DeleteKvKeysAsync(kv.Id, keys);
        var left = await cf.Client.ListKvKeysAsync(kv.Id, null);

        Assert.Equal(25, keys.Count);
        Assert.Equal(3, pages);
        Assert.Equal(["billing:1"], left.Keys.Select(k => k.Name));
    }
}

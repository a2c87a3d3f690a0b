using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;

// MD5 here is the S3 protocol's ETag and Content-MD5, not a security use.
#pragma warning disable CA5351

namespace Nno.Sandbox.Tests.S3;

public sealed class S3ApiTests(AreaSandbox fixture) : IClassFixture<AreaSandbox>
{
    private async Task NewBucketAsync(string name) => await fixture.PostOkAsync(AreaSandbox.Account("r2/buckets"), new { name });

    private async Task PutRestAsync(string bucket, string key, string body) =>
        await AreaSandbox.OkAsync(await fixture.Api.PutAsync(AreaSandbox.Account($"r2/buckets/{bucket}/objects/{key}"), new StringContent(body)));

    [Fact]
    public async Task PutObject_WithTheRealSdk_StoresTheDecodedBody()
    {
        await NewBucketAsync("sdk-put");
        using var s3 = S3Clients.Create(fixture);
        var large = RandomNumberGenerator.GetBytes(200_000);
        var response = await s3.PutObjectAsync(new PutObjectRequest { BucketName = "sdk-put", Key = "dir/large file.bin", InputStream = new MemoryStream(large) });
        Assert.Equal(HttpStatusCode.OK, response.HttpStatusCode);
        Assert.Equal($"\"{Convert.ToHexStringLower(MD5.HashData(large))}\"", response.ETag);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "sdk-put", Key = "small.txt", ContentBody = "hello" });

        Assert.Equal(large, await fixture.Api.GetByteArrayAsync(AreaSandbox.Account("r2/buckets/sdk-put/objects/dir/large%20file.bin")));
        Assert.Equal("hello", await fixture.Api.GetStringAsync(AreaSandbox.Account("r2/buckets/sdk-put/objects/small.txt")));
    }

    [Fact]
    public async Task ListObjectsV2_WithTheRealSdk_PagesByContinuationToken()
    {
        await NewBucketAsync("sdk-list");
        foreach (var key in new[] { "f/c", "f/a", "g/x", "f/b" })
        {
            await PutRestAsync("sdk-list", key, key);
        }

        using var s3 = S3Clients.Create(fixture);
        var first = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "sdk-list", Prefix = "f/", MaxKeys = 2 });
        Assert.True(first.IsTruncated);
        Assert.Equal(2, first.KeyCount);
        Assert.Equal(["f/a", "f/b"], first.S3Objects.Select(o => o.Key));
        Assert.Equal(3, first.S3Objects[0].Size);
        var second = await s3.ListObjectsV2Async(new ListObjectsV2Request
        {
            BucketName = "sdk-list", Prefix = "f/", MaxKeys = 2, ContinuationToken = first.NextContinuationToken,
        });
        Assert.False(second.IsTruncated);
        Assert.Equal(["f/c"], second.S3Objects.Select(o => o.Key));
    }

    [Fact]
    public async Task DeleteObjects_Quiet_WithTheRealSdk_DeletesAndListsNoErrors()
    {
        await NewBucketAsync("sdk-delete");
        await PutRestAsync("sdk-delete", "a&b<c", "1");
        await PutRestAsync("sdk-delete", "keep", "2");
        using var s3 = S3Clients.Create(fixture);
        var response = await s3.DeleteObjectsAsync(new DeleteObjectsRequest
        {
            BucketName = "sdk-delete",
            Quiet = true,
            Objects = [new KeyVersion { Key = "a&b<c" }, new KeyVersion { Key = "never-there" }],
        });
        Assert.Empty(response.DeleteErrors ?? []);
        Assert.Empty(response.DeletedObjects ?? []);
        var left = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "sdk-delete" });
        Assert.Equal(["keep"], left.S3Objects.Select(o => o.Key));
    }

    [Fact]
    public async Task WrongSignature_Is403AccessDenied()
    {
        await NewBucketAsync("sdk-denied");
        await PutRestAsync("sdk-denied", "k", "v");
        using var wrongSecret = S3Clients.Create(fixture, secret: "not-the-secret");
        var error = await Assert.ThrowsAsync<AmazonS3Exception>(() =>
            wrongSecret.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "sdk-denied" }));
        Assert.Equal(HttpStatusCode.Forbidden, error.StatusCode);
        Assert.Equal("AccessDenied", error.ErrorCode);

        using var wrongKey = S3Clients.Create(fixture, accessKeyId: "someone-else");
        var denied = await Assert.ThrowsAsync<AmazonS3Exception>(() =>
            wrongKey.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = "sdk-denied", Objects = [new KeyVersion { Key = "k" }] }));
        Assert.Equal("AccessDenied", denied.ErrorCode);
        Assert.Equal("v", await fixture.Api.GetStringAsync(AreaSandbox.Account("r2/buckets/sdk-denied/objects/k")));
    }

    [Fact]
    public async Task UnsignedRequest_Is403AccessDeniedAsXml()
    {
        using var http = new HttpClient();
        var response = await http.GetAsync(fixture.Sandbox.S3Url + "/any-bucket?list-type=2");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("<Code>AccessDenied</Code>", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task DeleteObjects_1001Keys_Is400MalformedXml()
    {
        await NewBucketAsync("sdk-too-many");
        await PutRestAsync("sdk-too-many", "k0", "v");
        using var s3 = S3Clients.Create(fixture);
        var error = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.DeleteObjectsAsync(new DeleteObjectsRequest
        {
            BucketName = "sdk-too-many",
            Quiet = true,
            Objects = Enumerable.Range(0, 1001).Select(i => new KeyVersion { Key = $"k{i}" }).ToList(),
        }));
        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Equal("MalformedXML", error.ErrorCode);
        Assert.Equal("v", await fixture.Api.GetStringAsync(AreaSandbox.Account("r2/buckets/sdk-too-many/objects/k0")));
    }

    [Fact]
    public async Task ContentMd5Mismatch_Is400InvalidDigest()
    {
        await NewBucketAsync("sdk-digest");
        using var s3 = S3Clients.Create(fixture);
        var error = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = "sdk-digest",
            Key = "k",
            ContentBody = "actual body",
            MD5Digest = Convert.ToBase64String(MD5.HashData(Encoding.UTF8.GetBytes("another body"))),
        }));
        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Equal("InvalidDigest", error.ErrorCode);
        await AreaSandbox.ErrorAsync(await fixture.Api.GetAsync(AreaSandbox.Account("r2/buckets/sdk-digest/objects/k")), HttpStatusCode.NotFound, 10007);
    }

    [Fact]
    public async Task UnknownBucket_IsNoSuchBucket()
    {
        using var s3 = S3Clients.Create(fixture);
        var error = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "no-such-bucket-here" }));
        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
        Assert.Equal("NoSuchBucket", error.ErrorCode);
    }

    [Fact]
    public async Task InjectedFault_OnTheS3Surface_IsAnS3XmlError()
    {
        await NewBucketAsync("sdk-fault");
        var faults = await fixture.Admin.PutAsJsonAsync("faults", new
        {
            failNext = new[] { new { method = "GET", pathRegex = "^/cloudflare/r2-s3/.*/sdk-fault", status = 503, code = 10001, count = 1 } },
        });
        faults.EnsureSuccessStatusCode();
        using var s3 = S3Clients.Create(fixture);
        var error = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "sdk-fault" }));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.StatusCode);
        Assert.Equal("SlowDown", error.ErrorCode);
        var next = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "sdk-fault" });
        Assert.Equal(0, next.KeyCount ?? 0);
    }
}

public sealed class S3PagingTests(RateLimitedAreaSandbox limited) : IClassFixture<RateLimitedAreaSandbox>
{
    [Fact]
    public async Task Bucket150Objects_R2ListMaxKeys50_EmptiedInThreeListAndThreeDeleteCalls_NoneOnTheRestRateLimit()
    {
        var fixture = limited.Area;
        var admin = fixture.Admin;
        (await admin.PutAsJsonAsync("faults", new { r2ListMaxKeys = 50 })).EnsureSuccessStatusCode();
        await fixture.PostOkAsync(AreaSandbox.Account("r2/buckets"), new { name = "purge-me" });
        using var s3 = S3Clients.Create(fixture);
        await Parallel.ForEachAsync(Enumerable.Range(0, 150), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, ct) =>
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "purge-me", Key = $"feat/{i:D3}", ContentBody = "x" }, ct));
        var before = (await admin.GetFromJsonAsync<JsonElement>("requests")).EnumerateArray().Select(e => e.GetProperty("seq").GetInt64()).Max();

        // What DEPROVISION does: list the first page (the continuation token is spent by deletion), delete it, repeat.
        var lists = 0;
        var deletes = 0;
        while (true)
        {
            var page = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "purge-me", Prefix = "feat/", MaxKeys = 1000 });
            lists++;
            Assert.True(page.KeyCount <= 50);
            if (page.S3Objects is not { Count: > 0 } objects)
            {
                break;
            }

            var result = await s3.DeleteObjectsAsync(new DeleteObjectsRequest
            {
                BucketName = "purge-me",
                Quiet = true,
                Objects = objects.Select(o => new KeyVersion { Key = o.Key }).ToList(),
            });
            Assert.Empty(result.DeleteErrors ?? []);
            deletes++;
            if (page.IsTruncated != true)
            {
                break;
            }
        }

        Assert.Equal(3, lists);
        Assert.Equal(3, deletes);
        var log = (await admin.GetFromJsonAsync<JsonElement>($"requests?since={before}")).EnumerateArray().ToArray();
        Assert.Equal(3, log.Count(e => e.GetProperty("method").GetString() == "GET" && e.GetProperty("path").GetString()!.Contains("/r2-s3/", StringComparison.Ordinal)));
        Assert.Equal(3, log.Count(e => e.GetProperty("method").GetString() == "POST" && e.GetProperty("query").GetString() == "?delete"));

        // 156 S3 calls went through a REST limit of 20; the REST budget only shows the REST calls.
        var response = await fixture.Api.DeleteAsync(AreaSandbox.Account("r2/buckets/purge-me"));
        await AreaSandbox.OkAsync(response);
        Assert.Equal($"\"default\";r={RateLimitedAreaSandbox.Limit - 2}", string.Join("", response.Headers.GetValues("Ratelimit")).Split(";t=")[0]);
    }
}

using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Nno.Provisioning.Cloudflare;

namespace Nno.Provisioning.Tests.Cloudflare;

public sealed class CloudflareClientTests
{
    private const string Account = CloudflareOptions.SandboxAccountId;
    private const string Zone = CloudflareOptions.SandboxZoneId;

    [Fact]
    public async Task CreateD1_UnwrapsTheEnvelopeAndSendsTheBearerToken()
    {
        HttpRequestMessage? seen = null;
        using var services = CloudflareTestServices.Build(network: new ScriptedCloudflare().Then(r =>
        {
            seen = r;
            return new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StringContent("""{"success":true,"errors":[],"messages":[],"result":{"uuid":"6a1c0d5e-0000-4000-8000-000000000001","name":"k3m9p2xw7q-default-auth-db","created_at":"2026-11-27T10:00:00Z","unknown_field":1}}"""),
            };
        }));
        var client = services.GetRequiredService<CloudflareClient>();

        var database = await client.CreateD1DatabaseAsync("k3m9p2xw7q-default-auth-db");

        Assert.Equal("6a1c0d5e-0000-4000-8000-000000000001", database.Uuid);
        Assert.Equal("k3m9p2xw7q-default-auth-db", database.Name);
        Assert.Equal($"http://127.0.0.1:8799/cloudflare/client/v4/accounts/{Account}/d1/database", seen!.RequestUri!.ToString());
        Assert.Equal("Bearer", seen.Headers.Authorization!.Scheme);
        Assert.Equal(CloudflareOptions.SandboxApiToken, seen.Headers.Authorization.Parameter);
    }

    [Fact]
    public async Task SuccessFalse_OnA200_IsAnApiErrorWithTheCodes()
    {
        using var services = CloudflareTestServices.Build(network: new ScriptedCloudflare()
            .Then(HttpStatusCode.OK, """{"success":false,"errors":[{"code":7500,"message":"no such table: x"},{"code":7501,"message":"second"}],"messages":[],"result":null}"""));
        var client = services.GetRequiredService<CloudflareClient>();

        var error = await Assert.ThrowsAsync<CloudflareApiException>(() => client.QueryD1Async("db1", "SELECT * FROM x"));

        Assert.Equal(CloudflareFailureKind.ApiError, error.Kind);
        Assert.Equal([7500, 7501], error.Codes);
        Assert.Contains("no such table: x", error.Message, StringComparison.Ordinal);
        Assert.Equal("POST", error.Method);
        Assert.Equal($"accounts/{Account}/d1/database/db1/query", error.Path);
    }

    [Fact]
    public async Task RateLimited_CarriesRetryAfterAndRayId_AndIsTransient()
    {
        using var services = CloudflareTestServices.Build(network: new ScriptedCloudflare()
            .ThenError(HttpStatusCode.TooManyRequests, 971, "More than 1200 requests per 300 seconds reached", r =>
            {
                r.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(7));
                r.Headers.Add("CF-Ray", "8c1f2a3b4c5d6e7f-AMS");
            }));
        var client = services.GetRequiredService<CloudflareClient>();

        var error = await Assert.ThrowsAsync<CloudflareApiException>(() => client.CreateKvNamespaceAsync("k3m9p2xw7q-default-kv"));

        Assert.True(error.IsRateLimited);
        Assert.True(error.IsTransient);
        Assert.Equal(TimeSpan.FromSeconds(7), error.RetryAfter);
        Assert.Equal("8c1f2a3b4c5d6e7f-AMS", error.RayId);
        Assert.Contains("8c1f2a3b4c5d6e7f-AMS", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(HttpStatusCode.InternalServerError, 10001, true, false, false)]
    [InlineData(HttpStatusCode.BadGateway, 10001, true, false, false)]
    [InlineData(HttpStatusCode.BadRequest, 10019, false, false, false)]
    [InlineData(HttpStatusCode.Conflict, 10020, false, false, true)]
    [InlineData(HttpStatusCode.BadRequest, 10014, false, false, true)]
    [InlineData(HttpStatusCode.Conflict, 1406, false, false, true)]
    [InlineData(HttpStatusCode.NotFound, 7404, false, true, false)]
    [InlineData(HttpStatusCode.NotFound, 8000007, false, true, false)]
    public async Task ApiErrors_AreClassifiedByStatusAndCode(HttpStatusCode status, int code, bool transient, bool notFound, bool conflict)
    {
        using var services = CloudflareTestServices.Build(network: new ScriptedCloudflare().ThenError(status, code, "failure"));
        var client = services.GetRequiredService<CloudflareClient>();

        var error = await Assert.ThrowsAsync<CloudflareApiException>(() => client.CreateQueueAsync("k3m9p2xw7q-default-queue"));

        Assert.Equal(status, error.StatusCode);
        Assert.Equal(transient, error.IsTransient);
        Assert.Equal(!transient, error.IsPermanent);
        Assert.Equal(notFound, error.IsNotFound);
        Assert.Equal(conflict, error.IsConflict);
    }

    [Fact]
    public async Task AuthenticationError_IsPermanentAndFlagged()
    {
        using var services = CloudflareTestServices.Build(network: new ScriptedCloudflare().ThenError(HttpStatusCode.Forbidden, 10000, "Authentication error"));
        var client = services.GetRequiredService<CloudflareClient>();

        var error = await Assert.ThrowsAsync<CloudflareApiException>(() => client.CreateR2BucketAsync("k3m9p2xw7q-default-storage"));

        Assert.True(error.IsAuthenticationFailure);
        Assert.True(error.IsPermanent);
    }

    [Fact]
    public async Task NonEnvelopeErrorPage_IsAnApiErrorByStatus()
    {
        using var services = CloudflareTestServices.Build(network: new ScriptedCloudflare()
            .Then(HttpStatusCode.ServiceUnavailable, "<html>upstream unavailable</html>"));
        var client = services.GetRequiredService<CloudflareClient>();

        var error = await Assert.ThrowsAsync<CloudflareApiException>(() => client.DeleteWorkerAsync("k3m9p2xw7q-default-auth"));

        Assert.Equal(CloudflareFailureKind.ApiError, error.Kind);
        Assert.Empty(error.Errors);
        Assert.True(error.IsTransient);
    }

    [Fact]
    public async Task AnIdOutsideTheAllowedShape_IsRefusedAsAnInvalidAnswer()
    {
        using var services = CloudflareTestServices.Build(network: new ScriptedCloudflare()
            .ThenOk("""{"uuid":"../../accounts/other","name":"k3m9p2xw7q-default-db"}"""));
        var client = services.GetRequiredService<CloudflareClient>();

        var error = await Assert.ThrowsAsync<CloudflareApiException>(() => client.CreateD1DatabaseAsync("k3m9p2xw7q-default-db"));

        Assert.Equal(CloudflareFailureKind.InvalidResponse, error.Kind);
        Assert.True(error.IsPermanent);
    }

    [Fact]
    public async Task AnAnswerNamingAnotherResource_IsRefused()
    {
        using var services = CloudflareTestServices.Build(network: new ScriptedCloudflare()
            .ThenOk("""{"id":"0f2b4a6c8e","title":"someone-else"}"""));
        var client = services.GetRequiredService<CloudflareClient>();

        var error = await Assert.ThrowsAsync<CloudflareApiException>(() => client.CreateKvNamespaceAsync("k3m9p2xw7q-default-kv"));

        Assert.Equal(CloudflareFailureKind.InvalidResponse, error.Kind);
    }

    [Fact]
    public async Task NetworkError_IsTransient()
    {
        using var services = CloudflareTestServices.Build(network: new ScriptedCloudflare()
            .Then(_ => throw new HttpRequestException("Connection refused")));
        var client = services.GetRequiredService<CloudflareClient>();

        var error = await Assert.ThrowsAsync<CloudflareApiException>(() => client.CreateD1DatabaseAsync("k3m9p2xw7q-default-db"));

        Assert.Equal(CloudflareFailureKind.Network, error.Kind);
        Assert.True(error.IsTransient);
    }

    [Fact]
    public async Task WorkerSettings_404IsAbsent_OtherErrorsThrow()
    {
        using var services = CloudflareTestServices.Build(network: new ScriptedCloudflare()
            .ThenError(HttpStatusCode.NotFound, 10007, "This Worker does not exist on your account.")
            .ThenError(HttpStatusCode.BadRequest, 10000, "bad"));
        var client = services.GetRequiredService<CloudflareClient>();

        Assert.Null(await client.GetWorkerSettingsAsync("k3m9p2xw7q-default-auth"));
        await Assert.ThrowsAsync<CloudflareApiException>(() => client.GetWorkerSettingsAsync("k3m9p2xw7q-default-auth"));
    }

    [Fact]
    public async Task Delete_OfSomethingAlreadyGone_ReportsFalse()
    {
        using var services = CloudflareTestServices.Build(network: new ScriptedCloudflare()
            .ThenError(HttpStatusCode.NotFound, 7000, "gone")
            .ThenOk("""{"id":"r1"}"""));
        var client = services.GetRequiredService<CloudflareClient>();

        Assert.False(await client.DeleteWorkerRouteAsync("r1"));
        Assert.True(await client.DeleteWorkerRouteAsync("r1"));
    }

    [Fact]
    public async Task FindD1_TakesOnlyAnExactNameMatch()
    {
        var network = new ScriptedCloudflare()
            .ThenOk("""[{"uuid":"u1","name":"k3m9p2xw7q-default-auth-db-stg"},{"uuid":"u2","name":"k3m9p2xw7q-default-auth-db"}]""", """{"page":1,"per_page":100,"count":2,"total_count":2,"total_pages":1}""")
            .ThenOk("""[{"uuid":"u1","name":"k3m9p2xw7q-default-auth-db-stg"}]""", """{"page":1,"per_page":100,"count":1,"total_count":1,"total_pages":1}""");
        using var services = CloudflareTestServices.Build(network: network);
        var client = services.GetRequiredService<CloudflareClient>();

        var found = await client.FindD1DatabaseAsync("k3m9p2xw7q-default-auth-db");
        var missing = await client.FindD1DatabaseAsync("k3m9p2xw7q-default-auth-db");

        Assert.Equal("u2", found!.Uuid);
        Assert.Null(missing);
        Assert.Contains("name=k3m9p2xw7q-default-auth-db", network.Requests[0].Uri.Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gets_AreRetriedOnServerErrors_WritesAreNot()
    {
        var network = new ScriptedCloudflare()
            .ThenError(HttpStatusCode.BadGateway, 10001, "upstream")
            .ThenOk("""{"name":"k3m9p2xw7q-default-storage","creation_date":"2026-11-27T10:00:00Z"}""")
            .ThenError(HttpStatusCode.BadGateway, 10001, "upstream");
        using var services = CloudflareTestServices.Build(network: network);
        var client = services.GetRequiredService<CloudflareClient>();

        var bucket = await client.GetR2BucketAsync("k3m9p2xw7q-default-storage");
        var error = await Assert.ThrowsAsync<CloudflareApiException>(() => client.CreateR2BucketAsync("k3m9p2xw7q-default-storage"));

        Assert.NotNull(bucket);
        Assert.Equal(HttpStatusCode.BadGateway, error.StatusCode);
        Assert.Equal(3, network.Requests.Count);
        Assert.Equal([HttpMethod.Get, HttpMethod.Get, HttpMethod.Post], network.Requests.Select(r => r.Method));
        // Every attempt, retries included, drew a permit.
        Assert.Equal(1100 - 3, Math.Round(services.GetRequiredService<ICloudflareRequestBudget>().RemainingFraction * 1100));
    }

    [Fact]
    public async Task A429_PausesEveryLaterCallOnTheToken_WithoutReachingCloudflare()
    {
        var network = new ScriptedCloudflare()
            .ThenError(HttpStatusCode.TooManyRequests, 971, "rate limited", r => r.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(30)));
        using var services = CloudflareTestServices.Build(network: network);
        var client = services.GetRequiredService<CloudflareClient>();

        await Assert.ThrowsAsync<CloudflareApiException>(() => client.GetZoneAsync());
        var deferred = await Assert.ThrowsAsync<CloudflareBudgetExhaustedException>(() => client.GetZoneAsync());

        Assert.True(deferred.RateLimited);
        Assert.Equal(TimeSpan.FromSeconds(30), deferred.RetryAfter);
        Assert.Single(network.Requests);
        Assert.Equal(0, services.GetRequiredService<ICloudflareRequestBudget>().RemainingFraction);
    }

    [Fact]
    public async Task WorkerUpload_IsMultipartWithMetadataAndModules_AndSecretsAreSentAsJson()
    {
        var network = new ScriptedCloudflare()
            .ThenOk("""{"id":"k3m9p2xw7q-default-auth","etag":"e1"}""")
            .ThenOk("""{"name":"BETTER_AUTH_SECRET","type":"secret_text"}""");
        using var services = CloudflareTestServices.Build(network: network);
        var client = services.GetRequiredService<CloudflareClient>();
        var metadata = new WorkerMetadata
        {
            MainModule = "index.js",
            CompatibilityDate = "2025-01-01",
            Bindings = [WorkerBinding.ForD1("DB", "u1"), WorkerBinding.ForText("PLATFORM_ID", "k3m9p2xw7q")],
            Tags = ["nno"],
            KeepBindings = ["secret_text"],
        };

        await client.UploadWorkerAsync("k3m9p2xw7q-default-auth", new WorkerUpload(metadata, [new WorkerModule("index.js", "export default {}"u8.ToArray())]));
        await client.PutWorkerSecretAsync("k3m9p2xw7q-default-auth", "BETTER_AUTH_SECRET", "s3cr3t-value");

        var upload = network.Requests[0];
        Assert.Equal(HttpMethod.Put, upload.Method);
        Assert.Contains("name=metadata", upload.Body, StringComparison.Ordinal);
        Assert.Contains("\"main_module\":\"index.js\"", upload.Body, StringComparison.Ordinal);
        Assert.Contains("\"keep_bindings\":[\"secret_text\"]", upload.Body, StringComparison.Ordinal);
        Assert.Contains("{\"type\":\"d1\",\"name\":\"DB\",\"id\":\"u1\"}", upload.Body, StringComparison.Ordinal);
        Assert.Contains("{\"type\":\"plain_text\",\"name\":\"PLATFORM_ID\",\"text\":\"k3m9p2xw7q\"}", upload.Body, StringComparison.Ordinal);
        Assert.Contains("filename=index.js", upload.Body, StringComparison.Ordinal);
        Assert.Contains("application/javascript+module", upload.Body, StringComparison.Ordinal);
        Assert.Equal("""{"name":"BETTER_AUTH_SECRET","text":"s3cr3t-value","type":"secret_text"}""", network.Requests[1].Body);
        Assert.EndsWith($"accounts/{Account}/workers/scripts/k3m9p2xw7q-default-auth/secrets", network.Requests[1].Uri.AbsolutePath, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CustomHostname_SendsTheSslMethodAndMetadata()
    {
        var network = new ScriptedCloudflare()
            .ThenOk("""{"id":"ch1","hostname":"shop.example.com","status":"pending","ssl":{"id":"s1","type":"dv","method":"txt","status":"pending_validation","validation_records":[{"txt_name":"_acme-challenge.shop.example.com","txt_value":"abc"}]},"ownership_verification":{"type":"txt","name":"_cf-custom-hostname.shop.example.com","value":"v1"}}""");
        using var services = CloudflareTestServices.Build(network: network);
        var client = services.GetRequiredService<CloudflareClient>();

        var created = await client.CreateCustomHostnameAsync("shop.example.com", CustomHostnameSslMethod.Txt,
            new Dictionary<string, string> { ["platform_id"] = "k3m9p2xw7q", ["environment"] = "prod" });

        Assert.Equal("""{"hostname":"shop.example.com","ssl":{"method":"txt","type":"dv"},"custom_metadata":{"platform_id":"k3m9p2xw7q","environment":"prod"}}""", network.Requests[0].Body);
        Assert.EndsWith($"zones/{Zone}/custom_hostnames", network.Requests[0].Uri.AbsolutePath, StringComparison.Ordinal);
        Assert.Equal("_acme-challenge.shop.example.com", created.Ssl!.ValidationRecords![0].TxtName);
        Assert.Equal("v1", created.OwnershipVerification!.Value);
    }

    [Fact]
    public async Task KvBulkDelete_RefusesMoreThanAThousandKeys()
    {
        using var services = CloudflareTestServices.Build(network: new ScriptedCloudflare());
        var client = services.GetRequiredService<CloudflareClient>();

        await Assert.ThrowsAsync<ArgumentException>(() => client.DeleteKvKeysAsync("ns1", [.. Enumerable.Range(0, 1001).Select(i => $"team:{i}")]));
    }
}

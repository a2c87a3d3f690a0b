using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Nno.Sandbox.Tests.Kv;

public sealed class KvApiTests(AreaSandbox fixture) : IClassFixture<AreaSandbox>
{
    private HttpClient Api => fixture.Api;

    private async Task<string> NewNamespaceAsync(string title) =>
        (await fixture.PostOkAsync(AreaSandbox.Account("storage/kv/namespaces"), new { title })).GetProperty("id").GetString()!;

    private static string Values(string ns, string key) => AreaSandbox.Account($"storage/kv/namespaces/{ns}/values/{Uri.EscapeDataString(key)}");

    [Fact]
    public async Task CreateNamespace_DuplicateTitle_Is400Code10014AndListFindsTheFirst()
    {
        var id = await NewNamespaceAsync("dup-title");
        await AreaSandbox.ErrorAsync(await Api.PostAsJsonAsync(AreaSandbox.Account("storage/kv/namespaces"), new { title = "dup-title" }),
            HttpStatusCode.BadRequest, 10014);

        var envelope = await AreaSandbox.EnvelopeAsync(await Api.GetAsync(AreaSandbox.Account("storage/kv/namespaces?per_page=100")));
        var found = envelope.GetProperty("result").EnumerateArray().Single(n => n.GetProperty("title").GetString() == "dup-title");
        Assert.Equal(id, found.GetProperty("id").GetString());
        Assert.True(envelope.GetProperty("result_info").GetProperty("total_count").GetInt32() >= 1);
        var one = await AreaSandbox.OkAsync(await Api.GetAsync(AreaSandbox.Account($"storage/kv/namespaces/{id}")));
        Assert.Equal("dup-title", one.GetProperty("title").GetString());
    }

    [Fact]
    public async Task ValueGet_ReturnsTheRawBytesWritten()
    {
        var ns = await NewNamespaceAsync("raw-bytes");
        var bytes = new byte[] { 0, 1, 2, 255, 254, (byte)'{', (byte)'"' };
        await AreaSandbox.OkAsync(await Api.PutAsync(Values(ns, "bin"), new ByteArrayContent(bytes)));

        var response = await Api.GetAsync(Values(ns, "bin"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(bytes, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task ValueGet_MissingKey_Is404EnvelopeCode10009()
    {
        var ns = await NewNamespaceAsync("missing-key");
        await AreaSandbox.ErrorAsync(await Api.GetAsync(Values(ns, "nope")), HttpStatusCode.NotFound, 10009);
        await AreaSandbox.ErrorAsync(await Api.GetAsync(AreaSandbox.Account($"storage/kv/namespaces/{ns}/metadata/nope")), HttpStatusCode.NotFound, 10009);
    }

    [Fact]
    public async Task KeyWithSlash_RoundTripsAsOneKey()
    {
        var ns = await NewNamespaceAsync("slash-key");
        await AreaSandbox.OkAsync(await Api.PutAsync(Values(ns, "team:a/b c"), new StringContent("v")));
        Assert.Equal("v", await Api.GetStringAsync(Values(ns, "team:a/b c")));
        var keys = await AreaSandbox.OkAsync(await Api.GetAsync(AreaSandbox.Account($"storage/kv/namespaces/{ns}/keys")));
        Assert.Equal("team:a/b c", Assert.Single(keys.EnumerateArray()).GetProperty("name").GetString());
    }

    [Fact]
    public async Task ExpirationTtl_HidesTheValueOnceTheClockPassesIt()
    {
        var ns = await NewNamespaceAsync("ttl");
        await AreaSandbox.OkAsync(await Api.PutAsync(Values(ns, "k") + "?expiration_ttl=60", new StringContent("soon gone")));
        Assert.Equal("soon gone", await Api.GetStringAsync(Values(ns, "k")));
        var listed = await AreaSandbox.OkAsync(await Api.GetAsync(AreaSandbox.Account($"storage/kv/namespaces/{ns}/keys")));
        Assert.Equal(fixture.Time.GetUtcNow().ToUnixTimeSeconds() + 60, Assert.Single(listed.EnumerateArray()).GetProperty("expiration").GetInt64());

        fixture.Time.Advance(TimeSpan.FromSeconds(61));
        await AreaSandbox.ErrorAsync(await Api.GetAsync(Values(ns, "k")), HttpStatusCode.NotFound, 10009);
        var after = await AreaSandbox.OkAsync(await Api.GetAsync(AreaSandbox.Account($"storage/kv/namespaces/{ns}/keys")));
        Assert.Empty(after.EnumerateArray());
    }

    [Theory]
    [InlineData("expiration_ttl=59")]
    [InlineData("expiration_ttl=abc")]
    [InlineData("expiration=1")]
    public async Task BadExpiration_Is400AndWritesNothing(string query)
    {
        var ns = await NewNamespaceAsync("bad-exp-" + query.Replace('=', '-'));
        await AreaSandbox.ErrorAsync(await Api.PutAsync(Values(ns, "k") + "?" + query, new StringContent("x")), HttpStatusCode.BadRequest);
        await AreaSandbox.ErrorAsync(await Api.GetAsync(Values(ns, "k")), HttpStatusCode.NotFound, 10009);
    }

    [Fact]
    public async Task KeyRules_DotKeysAndLongKeysAreRefused()
    {
        var ns = await NewNamespaceAsync("key-rules");
        // In a URL the server folds dot segments away before routing; in a bulk body the rule applies as written.
        foreach (var dots in new[] { ".", ".." })
        {
            await AreaSandbox.ErrorAsync(await Api.PutAsJsonAsync(AreaSandbox.Account($"storage/kv/namespaces/{ns}/bulk"),
                new[] { new { key = dots, value = "x" } }), HttpStatusCode.BadRequest);
        }

        var longKey = new string('k', 513);
        var tooLong = await Api.PutAsync(Values(ns, longKey), new StringContent("x"));
        Assert.Equal(HttpStatusCode.RequestUriTooLong, tooLong.StatusCode);
        await AreaSandbox.OkAsync(await Api.PutAsync(Values(ns, new string('k', 512)), new StringContent("x")));
    }

    [Fact]
    public async Task Multipart_StoresValueAndMetadata_MetadataOver1KiBIsRefused()
    {
        var ns = await NewNamespaceAsync("multipart");
        using var form = new MultipartFormDataContent
        {
            { new StringContent("hello"), "value" },
            { new StringContent("""{"owner":"feature-a","n":1}"""), "metadata" },
        };
        await AreaSandbox.OkAsync(await Api.PutAsync(Values(ns, "m"), form));
        Assert.Equal("hello", await Api.GetStringAsync(Values(ns, "m")));
        var metadata = await AreaSandbox.OkAsync(await Api.GetAsync(AreaSandbox.Account($"storage/kv/namespaces/{ns}/metadata/m")));
        Assert.Equal("feature-a", metadata.GetProperty("owner").GetString());

        using var big = new MultipartFormDataContent
        {
            { new StringContent("v"), "value" },
            { new StringContent(JsonSerializer.Serialize(new { pad = new string('x', 1100) })), "metadata" },
        };
        await AreaSandbox.ErrorAsync(await Api.PutAsync(Values(ns, "big-meta"), big), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Value_Over25MiB_Is413()
    {
        var ns = await NewNamespaceAsync("too-big");
        var content = new ByteArrayContent(new byte[(25 * 1024 * 1024) + 1]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var response = await Api.PutAsync(Values(ns, "big"), content);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        await AreaSandbox.ErrorAsync(await Api.GetAsync(Values(ns, "big")), HttpStatusCode.NotFound, 10009);
    }

    [Fact]
    public async Task ListKeys_IsLexicographicWithPrefixAndCursorPages()
    {
        var ns = await NewNamespaceAsync("listing");
        var items = Enumerable.Range(0, 25).Select(i => new { key = $"feat:{i:D2}", value = "v" })
            .Append(new { key = "other:1", value = "v" }).Reverse().ToArray();
        var bulk = await AreaSandbox.OkAsync(await Api.PutAsJsonAsync(AreaSandbox.Account($"storage/kv/namespaces/{ns}/bulk"), items));
        Assert.Equal(26, bulk.GetProperty("successful_key_count").GetInt32());

        var names = new List<string>();
        var cursor = "";
        var pages = 0;
        do
        {
            var envelope = await AreaSandbox.EnvelopeAsync(await Api.GetAsync(
                AreaSandbox.Account($"storage/kv/namespaces/{ns}/keys?prefix=feat:&limit=10&cursor={Uri.EscapeDataString(cursor)}")));
            names.AddRange(envelope.GetProperty("result").EnumerateArray().Select(k => k.GetProperty("name").GetString()!));
            cursor = envelope.GetProperty("result_info").GetProperty("cursor").GetString()!;
            pages++;
        }
        while (cursor.Length > 0);

        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Range(0, 25).Select(i => $"feat:{i:D2}"), names);
        await AreaSandbox.ErrorAsync(await Api.GetAsync(AreaSandbox.Account($"storage/kv/namespaces/{ns}/keys?limit=9")), HttpStatusCode.BadRequest);
        await AreaSandbox.ErrorAsync(await Api.GetAsync(AreaSandbox.Account($"storage/kv/namespaces/{ns}/keys?limit=1001")), HttpStatusCode.BadRequest);
        await AreaSandbox.ErrorAsync(await Api.GetAsync(AreaSandbox.Account($"storage/kv/namespaces/{ns}/keys?cursor=!!")), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task BulkDelete_RemovesTheKeys_BulkPutWithOneBadItemWritesNothing()
    {
        var ns = await NewNamespaceAsync("bulk");
        await AreaSandbox.OkAsync(await Api.PutAsJsonAsync(AreaSandbox.Account($"storage/kv/namespaces/{ns}/bulk"), new object[]
        {
            new { key = "a", value = "1" },
            new { key = "b", value = Convert.ToBase64String(Encoding.UTF8.GetBytes("two")), base64 = true },
            new { key = "c", value = "3", metadata = new { x = 1 } },
        }));
        Assert.Equal("two", await Api.GetStringAsync(Values(ns, "b")));

        var deleted = await AreaSandbox.OkAsync(await Api.PostAsJsonAsync(AreaSandbox.Account($"storage/kv/namespaces/{ns}/bulk/delete"), new[] { "a", "b", "missing" }));
        Assert.Equal(3, deleted.GetProperty("successful_key_count").GetInt32());
        await AreaSandbox.ErrorAsync(await Api.GetAsync(Values(ns, "a")), HttpStatusCode.NotFound, 10009);
        Assert.Equal("3", await Api.GetStringAsync(Values(ns, "c")));

        await AreaSandbox.ErrorAsync(await Api.PutAsJsonAsync(AreaSandbox.Account($"storage/kv/namespaces/{ns}/bulk"), new object[]
        {
            new { key = "d", value = "4" },
            new { key = "e", value = "5", expiration_ttl = 10 },
        }), HttpStatusCode.BadRequest);
        await AreaSandbox.ErrorAsync(await Api.GetAsync(Values(ns, "d")), HttpStatusCode.NotFound, 10009);
    }

    [Fact]
    public async Task DeleteNamespace_RemovesItsValues_UnknownNamespaceIs404()
    {
        var ns = await NewNamespaceAsync("to-delete");
        await AreaSandbox.OkAsync(await Api.PutAsync(Values(ns, "k"), new StringContent("v")));
        await AreaSandbox.OkAsync(await Api.DeleteAsync(AreaSandbox.Account($"storage/kv/namespaces/{ns}")));
        await AreaSandbox.ErrorAsync(await Api.GetAsync(AreaSandbox.Account($"storage/kv/namespaces/{ns}")), HttpStatusCode.NotFound);
        await AreaSandbox.ErrorAsync(await Api.GetAsync(Values(ns, "k")), HttpStatusCode.NotFound);
        await AreaSandbox.ErrorAsync(await Api.DeleteAsync(AreaSandbox.Account($"storage/kv/namespaces/{ns}")), HttpStatusCode.NotFound);
    }
}

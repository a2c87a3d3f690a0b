using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Nno.Sandbox.Tests.R2;

public sealed class R2ApiTests(AreaSandbox fixture) : IClassFixture<AreaSandbox>
{
    private HttpClient Api => fixture.Api;

    private static string Buckets(string rest = "") => AreaSandbox.Account("r2/buckets" + rest);

    [Fact]
    public async Task CreateBucket_ThenGetAndList_ShowTheSpecShape()
    {
        var created = await fixture.PostOkAsync(Buckets(), new { name = "shape-bucket" });
        Assert.Equal("shape-bucket", created.GetProperty("name").GetString());
        Assert.Equal(fixture.Time.GetUtcNow().UtcDateTime, created.GetProperty("creation_date").GetDateTime().ToUniversalTime());

        var one = await AreaSandbox.OkAsync(await Api.GetAsync(Buckets("/shape-bucket")));
        Assert.Equal("ENAM", one.GetProperty("location").GetString());
        Assert.Equal("Standard", one.GetProperty("storage_class").GetString());

        var list = await AreaSandbox.OkAsync(await Api.GetAsync(Buckets("?name_contains=shape")));
        var listed = Assert.Single(list.GetProperty("buckets").EnumerateArray());
        Assert.Equal("shape-bucket", listed.GetProperty("name").GetString());
        Assert.True(listed.TryGetProperty("creation_date", out _));
    }

    [Theory]
    [InlineData("ab")]
    [InlineData("Upper-case")]
    [InlineData("-leading")]
    [InlineData("under_score")]
    public async Task CreateBucket_InvalidName_Is400(string name) =>
        await AreaSandbox.ErrorAsync(await Api.PostAsJsonAsync(Buckets(), new { name }), HttpStatusCode.BadRequest);

    [Fact]
    public async Task CreateBucket_Existing_Is409Code10004_UnknownIs404Code10006()
    {
        await fixture.PostOkAsync(Buckets(), new { name = "twice-bucket" });
        await AreaSandbox.ErrorAsync(await Api.PostAsJsonAsync(Buckets(), new { name = "twice-bucket" }), HttpStatusCode.Conflict, 10004);
        await AreaSandbox.ErrorAsync(await Api.GetAsync(Buckets("/never-made")), HttpStatusCode.NotFound, 10006);
        await AreaSandbox.ErrorAsync(await Api.DeleteAsync(Buckets("/never-made")), HttpStatusCode.NotFound, 10006);
    }

    [Fact]
    public async Task DeleteBucket_NonEmpty_Is409Code10008_EmptiedThenDeletes()
    {
        await fixture.PostOkAsync(Buckets(), new { name = "full-bucket" });
        await AreaSandbox.OkAsync(await Api.PutAsync(Buckets("/full-bucket/objects/feat/a.txt"), new StringContent("a")));

        await AreaSandbox.ErrorAsync(await Api.DeleteAsync(Buckets("/full-bucket")), HttpStatusCode.Conflict, 10008);
        await AreaSandbox.OkAsync(await Api.GetAsync(Buckets("/full-bucket")));

        await AreaSandbox.OkAsync(await Api.DeleteAsync(Buckets("/full-bucket/objects/feat/a.txt")));
        await AreaSandbox.OkAsync(await Api.DeleteAsync(Buckets("/full-bucket")));
        await AreaSandbox.ErrorAsync(await Api.GetAsync(Buckets("/full-bucket")), HttpStatusCode.NotFound, 10006);
    }

    [Fact]
    public async Task Objects_PutGetListDelete_WithPrefixAndCursor()
    {
        await fixture.PostOkAsync(Buckets(), new { name = "objects-bucket" });
        for (var i = 0; i < 5; i++)
        {
            await AreaSandbox.OkAsync(await Api.PutAsync(Buckets($"/objects-bucket/objects/p/{i}"), new ByteArrayContent([(byte)i, 7])));
        }

        await AreaSandbox.OkAsync(await Api.PutAsync(Buckets("/objects-bucket/objects/q/other"), new StringContent("x")));
        Assert.Equal(new byte[] { 3, 7 }, await Api.GetByteArrayAsync(Buckets("/objects-bucket/objects/p/3")));

        var keys = new List<string>();
        var cursor = "";
        do
        {
            var envelope = await AreaSandbox.EnvelopeAsync(await Api.GetAsync(Buckets($"/objects-bucket/objects?prefix=p/&per_page=2&cursor={cursor}")));
            keys.AddRange(envelope.GetProperty("result").EnumerateArray().Select(o => o.GetProperty("key").GetString()!));
            Assert.All(envelope.GetProperty("result").EnumerateArray(), o => Assert.Equal(2, o.GetProperty("size").GetInt64()));
            cursor = envelope.GetProperty("result_info").GetProperty("cursor").GetString()!;
        }
        while (cursor.Length > 0);

        Assert.Equal(["p/0", "p/1", "p/2", "p/3", "p/4"], keys);
        await AreaSandbox.OkAsync(await Api.DeleteAsync(Buckets("/objects-bucket/objects/p/3")));
        await AreaSandbox.ErrorAsync(await Api.GetAsync(Buckets("/objects-bucket/objects/p/3")), HttpStatusCode.NotFound, 10007);
        await AreaSandbox.ErrorAsync(await Api.PutAsync(Buckets("/no-such-bucket/objects/k"), new StringContent("x")), HttpStatusCode.NotFound, 10006);
    }

    [Fact]
    public async Task Objects_SurviveARestart()
    {
        await fixture.PostOkAsync(Buckets(), new { name = "restart-bucket" });
        await AreaSandbox.OkAsync(await Api.PutAsync(Buckets("/restart-bucket/objects/k"), new StringContent("kept")));

        await using var second = await Nno.Testing.Sandbox.TestSandbox.StartAsync(fixture.Time, dataDir: fixture.Sandbox.DataDirectory);
        Assert.Equal("kept", await second.ApiClient().GetStringAsync(Buckets("/restart-bucket/objects/k")));
        var state = await second.AdminClient().GetFromJsonAsync<JsonElement>("state");
        Assert.Contains("restart-bucket", state.ToString());
    }
}

using Microsoft.Extensions.DependencyInjection;
using Nno.Provisioning.Cloudflare;

namespace Nno.Provisioning.Tests.Cloudflare;

public sealed class CloudflareUrlsTests
{
    private readonly CloudflareUrls _urls = new("acc", "zone");

    [Fact]
    public void Paths_FollowTheRestLayout()
    {
        Assert.Equal("accounts/acc/d1/database?name=k3m9p2xw7q-default-db&page=2&per_page=100", _urls.D1Databases("k3m9p2xw7q-default-db", 2, 100));
        Assert.Equal("accounts/acc/workers/scripts/w1?force=true", _urls.WorkerScript("w1", force: true));
        Assert.Equal("accounts/acc/workers/scripts/w1/secrets/API_KEY", _urls.WorkerSecret("w1", "API_KEY"));
        Assert.Equal("zones/zone/workers/routes/r1", _urls.WorkerRoute("r1"));
        Assert.Equal("zones/zone/custom_hostnames?hostname=auth.svc.default.k3m9p2xw7q.nno.run", _urls.CustomHostnames("auth.svc.default.k3m9p2xw7q.nno.run"));
        Assert.Equal("accounts/acc/pages/projects/p1/domains/console.app.default.k3m9p2xw7q.nno.run", _urls.PagesDomain("p1", "console.app.default.k3m9p2xw7q.nno.run"));
        Assert.Equal("accounts/acc/storage/kv/namespaces/ns/keys?prefix=team%3A&cursor=c%2B1&limit=1000", _urls.KvKeys("ns", "team:", "c+1", 1000));
        Assert.Equal("accounts/acc/storage/kv/namespaces/ns/bulk/delete", _urls.KvBulkDelete("ns"));
        Assert.Equal("accounts/acc/queues/q1", _urls.Queue("q1"));
        Assert.Equal("accounts/acc/r2/buckets/b1", _urls.R2Bucket("b1"));
    }

    [Theory]
    [InlineData("a/b", "a%2Fb")]
    [InlineData("a?b#c", "a%3Fb%23c")]
    [InlineData("100%", "100%25")]
    [InlineData("a b", "a%20b")]
    public void Segments_AreEscaped(string name, string escaped) =>
        Assert.Equal($"accounts/acc/workers/scripts/{escaped}/settings", _urls.WorkerSettings(name));

    [Theory]
    [InlineData(".")]
    [InlineData("..")]
    public void DotSegments_AreRefused(string name) =>
        Assert.Throws<ArgumentException>(() => _urls.WorkerSettings(name));

    [Fact]
    public async Task EscapedSegments_ReachTheWireUnchanged()
    {
        var network = new ScriptedCloudflare().ThenOk("""{"bindings":[]}""");
        using var services = CloudflareTestServices.Build(network: network);
        var client = services.GetRequiredService<CloudflareClient>();

        await client.GetWorkerSettingsAsync("../../zones/x");
        await Assert.ThrowsAsync<ArgumentException>(() => client.GetWorkerSettingsAsync(".."));

        var sent = Assert.Single(network.Requests);
        Assert.Equal($"http://127.0.0.1:8799/cloudflare/client/v4/accounts/{CloudflareOptions.SandboxAccountId}/workers/scripts/..%2F..%2Fzones%2Fx/settings", sent.Uri.AbsoluteUri);
    }
}

using System.Net;
using System.Net.Http.Json;
using Nno.Core.Services;
using Nno.StackRegistry.Tests.Support;

namespace Nno.StackRegistry.Tests.Api;

/// <summary>stack-registry.md §3.1 and §7 items 3–4.</summary>
public sealed class AccessTests(AccessTests.Fixture fixture) : IClassFixture<AccessTests.Fixture>
{
    private const string Base = StackHost.Base;

    public sealed class Fixture : IAsyncLifetime
    {
        public StackHost Host { get; private set; } = null!;

        public async Task InitializeAsync() => Host = await StackHost.StartAsync();

        public async Task DisposeAsync() => await Host.DisposeAsync();
    }

    private StackHost Host => fixture.Host;

    public static TheoryData<string> ReadPaths => [Base, $"{Base}/crm", $"{Base}/crm/versions", $"{Base}/crm/versions/1.0.0", $"{Base}/crm/versions/latest"];

    [Theory]
    [MemberData(nameof(ReadPaths))]
    public async Task Reads_AsUserOperatorApiKeyStaticKeyRegistryAndProvisioning_200(string path)
    {
        var clients = new List<HttpClient>
        {
            Host.User(), Host.Operator(), Host.ApiKey("user"), Host.StaticKey(),
            await Host.ServiceAsync(NnoServices.Registry), await Host.ServiceAsync(NnoServices.Provisioning),
        };
        foreach (var client in clients)
        {
            using var response = await client.GetAsync(path);
            await StackHost.ExpectAsync(response, HttpStatusCode.OK);
        }
    }

    [Fact]
    public async Task Reads_WithoutServiceToken_401_AndAnonymousGatewayRequest_401()
    {
        using var none = await Host.NoToken().GetAsync(Base);
        await StackHost.ExpectErrorAsync(none, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        using var anonymous = await Host.Anonymous().GetAsync(Base);
        await StackHost.ExpectErrorAsync(anonymous, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    [Fact]
    public async Task Reads_OtherServiceTokens_403()
    {
        foreach (var service in new[] { NnoServices.Billing, NnoServices.Cli })
        {
            using var response = await (await Host.ServiceAsync(service)).GetAsync(Base);
            await StackHost.ExpectErrorAsync(response, HttpStatusCode.Forbidden, "FORBIDDEN");
        }
    }

    [Fact]
    public async Task Writes_AsUser_ServiceTokens_OrApiKeyWithoutScope_403_AndChangeNothing()
    {
        var name = StackHost.NewName("acc");
        await Host.CreateTemplateAsync(name);
        await Host.PublishOkAsync(name, "1.0.0");
        var forbidden = new List<HttpClient>
        {
            Host.User(),
            Host.ApiKey("platform-admin"),
            Host.ApiKey("user", "stacks:write"),
            await Host.ServiceAsync(NnoServices.Registry),
            await Host.ServiceAsync(NnoServices.Provisioning),
            await Host.ServiceAsync(NnoServices.Billing),
            await Host.ServiceAsync(NnoServices.Cli),
        };
        foreach (var client in forbidden)
        {
            using var create = await client.PostAsJsonAsync(Base, new { name = StackHost.NewName("nope"), displayName = "X", description = "Y" });
            await StackHost.ExpectErrorAsync(create, HttpStatusCode.Forbidden, "FORBIDDEN");
            using var patch = await client.PatchAsync($"{Base}/{name}", StackHost.Json("""{"displayName":"Changed"}"""));
            await StackHost.ExpectErrorAsync(patch, HttpStatusCode.Forbidden, "FORBIDDEN");
            using var publish = await Host.PublishAsync(name, "2.0.0", client: client);
            await StackHost.ExpectErrorAsync(publish, HttpStatusCode.Forbidden, "FORBIDDEN");
            using var deprecate = await client.PostAsJsonAsync($"{Base}/{name}/versions/1.0.0/deprecate", new { reason = "x" });
            await StackHost.ExpectErrorAsync(deprecate, HttpStatusCode.Forbidden, "FORBIDDEN");
        }

        var detail = await Host.GetJsonAsync($"{Base}/{name}");
        Assert.Equal("Test stack", detail.GetProperty("template").GetProperty("displayName").GetString());
        Assert.Equal("1.0.0", detail.GetProperty("template").GetProperty("latestVersion").GetString());
        Assert.Equal("active", detail.GetProperty("latestVersion").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Writes_AsStaticKey_AndOperatorApiKeyWithScope_Allowed()
    {
        foreach (var client in new[] { Host.StaticKey(), Host.ApiKey("platform-admin", "stacks:write") })
        {
            var name = StackHost.NewName("ok");
            using var create = await client.PostAsJsonAsync(Base, new { name, displayName = "X", description = "Y" });
            var created = await StackHost.ExpectAsync(create, HttpStatusCode.Created);
            Assert.Equal($"{Base}/{name}", create.Headers.Location!.OriginalString);
            Assert.Null(created.GetProperty("latestVersion").GetString());
            using var publish = await Host.PublishAsync(name, "1.0.0", client: client);
            await StackHost.ExpectAsync(publish, HttpStatusCode.Created);
            using var patch = await client.PatchAsync($"{Base}/{name}", StackHost.Json("""{"displayName":"Changed"}"""));
            await StackHost.ExpectAsync(patch, HttpStatusCode.OK);
            using var deprecate = await client.PostAsJsonAsync($"{Base}/{name}/versions/1.0.0/deprecate", new { reason = "x" });
            await StackHost.ExpectAsync(deprecate, HttpStatusCode.OK);
        }
    }

    [Fact]
    public async Task StaticKeyWrites_RecordTheStaticKeyAsActor()
    {
        var name = StackHost.NewName("actor");
        using var client = Host.StaticKey();
        using var create = await client.PostAsJsonAsync(Base, new { name, displayName = "X", description = "Y" });
        var created = await StackHost.ExpectAsync(create, HttpStatusCode.Created);
        Assert.Equal("static-key:" + StackHost.StaticKeyFingerprint, created.GetProperty("createdBy").GetString());
    }
}

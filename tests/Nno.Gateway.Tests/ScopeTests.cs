using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Nno.Gateway.Tests.Support;

namespace Nno.Gateway.Tests;

/// <summary>API-key scopes (gateway.md §4.4, §7 test 10).</summary>
[Collection(GatewayCollection.Name)]
public sealed class ScopeTests(GatewayFixture fixture)
{
    private GatewayPlatform Platform => fixture.Platform;

    [Fact]
    public async Task ReadScope_AllowsReadingItsArea_WritingNeedsWrite_OtherAreasForbidden()
    {
        var key = Platform.NewApiKey(out _, ["billing:read"]);

        using (var request = GatewayPlatform.Request(HttpMethod.Get, "/api/v1/billing/subscription", key, out var id))
        using (var response = await Platform.Gateway.SendAsync(request))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Single(Platform.Recorder.For(id));
        }

        await AssertMissingScopeAsync(HttpMethod.Post, "/api/v1/billing/subscription", key, "billing:write");
        await AssertMissingScopeAsync(HttpMethod.Delete, "/api/v1/billing/subscription", key, "billing:write");
        await AssertMissingScopeAsync(HttpMethod.Get, "/api/v1/platforms", key, "platforms:read");
        await AssertMissingScopeAsync(HttpMethod.Get, "/api/v1/onboarding/status", key, "platforms:read");
    }

    [Fact]
    public async Task WriteScope_ImpliesRead_HeadIsARead()
    {
        var key = Platform.NewApiKey(out _, ["stacks:write"]);

        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Head, HttpMethod.Post, HttpMethod.Patch })
        {
            using var request = GatewayPlatform.Request(method, "/api/v1/stacks/abc", key, out var id);
            using var response = await Platform.Gateway.SendAsync(request);
            Assert.True(response.StatusCode != HttpStatusCode.Forbidden, $"{method} was refused");
            Assert.Single(Platform.Recorder.For(id));
        }

        var reader = Platform.NewApiKey(out _, ["stacks:read"]);
        using (var head = GatewayPlatform.Request(HttpMethod.Head, "/api/v1/stacks/abc", reader, out var headId))
        using (var response = await Platform.Gateway.SendAsync(head))
        {
            Assert.NotEqual(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Single(Platform.Recorder.For(headId));
        }
    }

    [Fact]
    public async Task SessionsAndTheStaticKey_AreNotScoped()
    {
        foreach (var credential in new[] { GatewayPlatform.DefaultSessionToken, GatewayPlatform.StaticKey })
        {
            using var request = GatewayPlatform.Request(HttpMethod.Post, "/api/v1/billing/subscription", credential, out var id);
            using var response = await Platform.Gateway.SendAsync(request);
            Assert.NotEqual(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Single(Platform.Recorder.For(id));
        }
    }

    private async Task AssertMissingScopeAsync(HttpMethod method, string path, string key, string requiredScope)
    {
        using var request = GatewayPlatform.Request(method, path, key, out var id);
        if (method != HttpMethod.Get && method != HttpMethod.Delete)
        {
            request.Content = JsonContent.Create(new { });
        }

        using var response = await Platform.Gateway.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("FORBIDDEN", body.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(requiredScope, body.GetProperty("error").GetProperty("details").GetProperty("requiredScope").GetString());
        Assert.Empty(Platform.Recorder.For(id));
    }
}

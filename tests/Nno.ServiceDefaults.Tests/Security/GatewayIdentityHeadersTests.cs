using Nno.Client.Identity;

namespace Nno.ServiceDefaults.Tests.Security;

/// <summary>The header builder writes gateway.md §4.5's table exactly.</summary>
public sealed class GatewayIdentityHeadersTests
{
    [Fact]
    public void Session_WritesEveryMembershipSortedAndTheActivePlatform()
    {
        var headers = GatewayIdentityHeaders.For(GatewayIdentity.Session(
            "usr_a", "ses_a", platforms: new Dictionary<string, string> { ["k3m9p2xw7q"] = "owner", ["a1b2c3d4e5"] = "member" }, activePlatformId: "k3m9p2xw7q", clientIp: "198.51.100.4"));

        Assert.Equal(
            [
                new("X-Nno-Auth", "session"), new("X-Nno-User-Id", "usr_a"), new("X-Nno-Role", "user"),
                new("X-Nno-Platform-Id", "k3m9p2xw7q"), new("X-Nno-Platform-Role", "owner"),
                new("X-Nno-Platforms", "a1b2c3d4e5:member,k3m9p2xw7q:owner"), new("X-Nno-Session-Id", "ses_a"),
                new("X-Nno-Client-Ip", "198.51.100.4"),
            ],
            headers);
    }

    [Fact]
    public void ApiKey_WritesSortedScopesAndOnlyTheKeysPlatform()
    {
        var headers = GatewayIdentityHeaders.For(GatewayIdentity.ApiKey("usr_a", "key_a", ["platforms:write", "billing:read"], platformId: "a1b2c3d4e5", platformRole: "admin"));

        Assert.Contains(new KeyValuePair<string, string>("X-Nno-Auth", "apikey"), headers);
        Assert.Contains(new KeyValuePair<string, string>("X-Nno-Key-Id", "key_a"), headers);
        Assert.Contains(new KeyValuePair<string, string>("X-Nno-Scopes", "billing:read,platforms:write"), headers);
        Assert.Contains(new KeyValuePair<string, string>("X-Nno-Platforms", "a1b2c3d4e5:admin"), headers);
        Assert.DoesNotContain(headers, h => h.Key == "X-Nno-Session-Id");
    }

    [Fact]
    public void StaticKeyAndGatewaySelf_CarryNoUserIdentity()
    {
        var staticKey = GatewayIdentityHeaders.For(GatewayIdentity.StaticKey("0a1b2c3d"));
        Assert.Contains(new KeyValuePair<string, string>("X-Nno-User-Id", "static-key:0a1b2c3d"), staticKey);
        Assert.Contains(new KeyValuePair<string, string>("X-Nno-Role", "service"), staticKey);
        Assert.Contains(new KeyValuePair<string, string>("X-Nno-Platforms", string.Empty), staticKey);

        Assert.Equal(
            [new("X-Nno-Auth", "service"), new("X-Nno-User-Id", "svc:gateway")],
            GatewayIdentityHeaders.For(GatewayIdentity.GatewaySelf()));
        Assert.Equal(
            [new("X-Nno-Auth", "anonymous"), new("X-Nno-Client-Ip", "127.0.0.1")],
            GatewayIdentityHeaders.For(GatewayIdentity.Anonymous()));
    }

    [Fact]
    public void Apply_RemovesEveryClientSuppliedNnoHeaderFirst()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://registry.inproc/");
        request.Headers.Add("X-Nno-Role", "platform-admin");
        request.Headers.Add("x-nno-acting-user-id", "usr_forged");
        request.Headers.Add("X-Other", "kept");

        GatewayIdentityHeaders.Apply(request.Headers, GatewayIdentity.Anonymous());

        Assert.Equal(["X-Nno-Auth", "X-Nno-Client-Ip", "X-Other"], request.Headers.Select(h => h.Key).Order(StringComparer.Ordinal));
    }
}

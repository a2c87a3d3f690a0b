using System.Net;
using Nno.Gateway.Tests.Support;

namespace Nno.Gateway.Tests;

/// <summary>
/// Trusted proxies (gateway.md §2 <c>Gateway:TrustedProxies</c>, §4.1 step 1). The in-memory client's socket address is
/// 127.0.0.1, so this platform trusts 127.0.0.1/32 plus one IPv4 and one IPv6 proxy network and varies <c>X-Forwarded-For</c>.
/// </summary>
public sealed class TrustedProxyTests : IAsyncLifetime
{
    private GatewayPlatform _platform = null!;

    public async Task InitializeAsync() =>
        _platform = await GatewayPlatform.StartAsync(["gateway", "billing"], new Dictionary<string, string?>
        {
            ["Gateway:TrustedProxies:0"] = "127.0.0.1/32",
            ["Gateway:TrustedProxies:1"] = "10.0.0.0/8",
            ["Gateway:TrustedProxies:2"] = "fd00::/8",
        });

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    private async Task<(HttpResponseMessage Response, RecordedRequest Upstream, CapturedLog AccessLog)> SendAsync(string? forwardedFor, Action<HttpRequestMessage>? configure = null)
    {
        using var request = GatewayPlatform.Request(HttpMethod.Get, "/api/v1/billing/subscription", out var id);
        if (forwardedFor is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Forwarded-For", forwardedFor);
        }

        configure?.Invoke(request);
        var response = await _platform.Service.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (response, _platform.Recorder.One(id), await AccessLogs.ForAsync(_platform.Logs, id));
    }

    [Theory]
    [InlineData("203.0.113.7", "203.0.113.7")]
    [InlineData("203.0.113.7:51234", "203.0.113.7")]
    [InlineData("198.51.100.1, 203.0.113.9, 10.1.2.3", "203.0.113.9")]
    [InlineData("198.51.100.1,10.9.9.9,10.1.2.3", "198.51.100.1")]
    [InlineData("2001:db8::5, fd00::1", "2001:db8::5")]
    [InlineData("[2001:db8::5]:443", "2001:db8::5")]
    [InlineData("10.1.2.3", "10.1.2.3")]
    public async Task ForwardedFor_IsWalkedFromTheRightUntilTheFirstUntrustedHop(string forwardedFor, string clientIp)
    {
        var (response, upstream, log) = await SendAsync(forwardedFor);

        using (response)
        {
            Assert.Equal(clientIp, upstream.Header("X-Nno-Client-Ip"));
            Assert.Equal(clientIp, upstream.Header("X-Forwarded-For"));
            Assert.Equal(clientIp, log.Field("clientIp"));
            // The chain the trusted-proxy step replaced does not travel on.
            Assert.Null(upstream.Header("X-Original-For"));
            Assert.Null(upstream.Header("X-Original-Proto"));
        }
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("203.0.113.7, not-an-ip")]
    [InlineData("")]
    public async Task AnUnparsableLastHop_LeavesTheSocketAddress(string forwardedFor)
    {
        var (response, upstream, log) = await SendAsync(forwardedFor);

        using (response)
        {
            Assert.Equal("127.0.0.1", upstream.Header("X-Nno-Client-Ip"));
            Assert.Equal("127.0.0.1", upstream.Header("X-Forwarded-For"));
            Assert.Equal("127.0.0.1", log.Field("clientIp"));
        }
    }

    [Fact]
    public async Task NoForwardedFor_MeansTheSocketAddress()
    {
        var (response, upstream, _) = await SendAsync(null);

        using (response)
        {
            Assert.Equal("127.0.0.1", upstream.Header("X-Nno-Client-Ip"));
        }
    }

    [Fact]
    public async Task ForwardedProto_IsTakenFromATrustedProxy_ForwardedHostNever()
    {
        var (response, upstream, _) = await SendAsync("203.0.113.7", r =>
        {
            r.Headers.TryAddWithoutValidation("X-Forwarded-Proto", "https");
            r.Headers.TryAddWithoutValidation("X-Forwarded-Host", "evil.example");
        });

        using (response)
        {
            Assert.Equal("https", upstream.Header("X-Forwarded-Proto"));
            Assert.Equal("gateway.inproc", upstream.Header("X-Forwarded-Host"));
            Assert.Equal("203.0.113.7", upstream.Header("X-Forwarded-For"));
        }
    }

    [Theory]
    [InlineData("10.0.0.0/33")]
    [InlineData("10.0.0.1/8")]
    [InlineData("not-an-ip")]
    [InlineData("fd00::/129")]
    [InlineData("10.0.0.0/8, 300.1.1.1/32")]
    public async Task AnInvalidCidr_RefusesStart(string value)
    {
        var error = await StandaloneGateway.AssertRefusesToStartAsync(new Dictionary<string, string?> { ["Gateway:TrustedProxies"] = value });

        Assert.Contains("Gateway:TrustedProxies", error.Message, StringComparison.Ordinal);
    }
}

/// <summary>Forwarded headers from a socket that is not a trusted proxy change nothing.</summary>
public sealed class UntrustedProxyTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("10.0.0.0/8,fd00::/8")]
    public async Task ForgedForwardedHeaders_ChangeNothing(string? trustedProxies)
    {
        await using var platform = await GatewayPlatform.StartAsync(["gateway", "billing"], trustedProxies is null
            ? null
            : new Dictionary<string, string?> { ["Gateway:TrustedProxies"] = trustedProxies });
        using var request = GatewayPlatform.Request(HttpMethod.Get, "/api/v1/billing/subscription", out var id);
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", "203.0.113.7");
        request.Headers.TryAddWithoutValidation("X-Forwarded-Proto", "https");
        request.Headers.TryAddWithoutValidation("X-Forwarded-Host", "evil.example");

        using var response = await platform.Service.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var upstream = platform.Recorder.One(id);
        Assert.Equal("127.0.0.1", upstream.Header("X-Nno-Client-Ip"));
        Assert.Equal("127.0.0.1", upstream.Header("X-Forwarded-For"));
        Assert.Equal("http", upstream.Header("X-Forwarded-Proto"));
        Assert.Equal("gateway.inproc", upstream.Header("X-Forwarded-Host"));
        Assert.Equal("127.0.0.1", (await AccessLogs.ForAsync(platform.Logs, id)).Field("clientIp"));
    }
}

/// <summary>A bare address in <c>Gateway:TrustedProxies</c> is trusted as its own /32 or /128.</summary>
public sealed class BareTrustedProxyAddressTests
{
    [Fact]
    public async Task ABareAddress_IsTrustedAsItsOwnNetwork()
    {
        await using var platform = await GatewayPlatform.StartAsync(["gateway", "billing"], new Dictionary<string, string?> { ["Gateway:TrustedProxies"] = "127.0.0.1, ::1" });
        using var request = GatewayPlatform.Request(HttpMethod.Get, "/api/v1/billing/subscription", out var id);
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", "203.0.113.7, 127.0.0.2");

        using var response = await platform.Service.SendAsync(request);

        // 127.0.0.2 is not 127.0.0.1: the walk stops there.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("127.0.0.2", platform.Recorder.One(id).Header("X-Nno-Client-Ip"));
    }
}

using System.Net;
using Nno.Gateway.Tests.Support;

namespace Nno.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class RequestIdTests(GatewayFixture fixture)
{
    private GatewayPlatform Platform => fixture.Platform;

    private async Task<(HttpResponseMessage Response, RecordedRequest Upstream)> SendAsync(Action<HttpRequestMessage> configure)
    {
        var marker = Guid.NewGuid().ToString("N");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/platforms/" + marker);
        configure(request);
        var response = await Platform.User.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var upstream = Assert.Single(Platform.Recorder.All, r => r.RawPath.EndsWith(marker, StringComparison.Ordinal));
        return (response, upstream);
    }

    [Fact]
    public async Task ValidRequestId_IsEchoedAndForwarded()
    {
        var (response, upstream) = await SendAsync(r => r.Headers.Add("X-Request-Id", "abc.DEF-1_2"));

        Assert.Equal("abc.DEF-1_2", Http.Header(response, "X-Request-Id"));
        Assert.Equal("abc.DEF-1_2", upstream.Header("X-Request-Id"));
    }

    [Theory]
    [InlineData("<script>")]
    [InlineData("has space")]
    [InlineData("")]
    [MemberData(nameof(LongIds))]
    public async Task InvalidRequestId_IsReplacedByAUuid(string value)
    {
        var (response, upstream) = await SendAsync(r => r.Headers.TryAddWithoutValidation("X-Request-Id", value));

        var echoed = Http.Header(response, "X-Request-Id");
        Assert.True(Guid.TryParse(echoed, out _), echoed);
        Assert.Equal(echoed, upstream.Header("X-Request-Id"));
    }

    public static TheoryData<string> LongIds() => new() { new string('a', 129), new string('b', 200) };

    [Fact]
    public async Task MissingRequestId_GetsAUuid()
    {
        var (response, upstream) = await SendAsync(_ => { });

        Assert.True(Guid.TryParse(Http.Header(response, "X-Request-Id"), out _));
        Assert.Equal(Http.Header(response, "X-Request-Id"), upstream.Header("X-Request-Id"));
    }

    [Fact]
    public async Task ValidTraceparent_SetsTraceIdAndTheGatewaySpanBecomesTheParent()
    {
        var (response, upstream) = await SendAsync(r => r.Headers.Add("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));

        Assert.Equal("0af7651916cd43dd8448eb211c80319c", Http.Header(response, "X-Trace-Id"));
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", upstream.Header("X-Trace-Id"));
        var forwarded = upstream.Header("traceparent")!.Split('-');
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", forwarded[1]);
        Assert.NotEqual("b7ad6b7169203331", forwarded[2]);
    }

    [Fact]
    public async Task ValidTraceIdHeader_WinsOverTraceparent()
    {
        var (response, upstream) = await SendAsync(r =>
        {
            r.Headers.Add("X-Trace-Id", "client-trace.1");
            r.Headers.Add("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        });

        Assert.Equal("client-trace.1", Http.Header(response, "X-Trace-Id"));
        Assert.Equal("client-trace.1", upstream.Header("X-Trace-Id"));
    }

    [Theory]
    [InlineData("00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01")]
    [InlineData("00-00000000000000000000000000000000-b7ad6b7169203331-01")]
    [InlineData("ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")]
    [InlineData("garbage")]
    public async Task InvalidTraceparent_GetsANewTraceId(string traceparent)
    {
        var (response, upstream) = await SendAsync(r => r.Headers.TryAddWithoutValidation("traceparent", traceparent));

        var traceId = Http.Header(response, "X-Trace-Id");
        Assert.Matches("^[0-9a-f]{32}$", traceId);
        Assert.NotEqual("0af7651916cd43dd8448eb211c80319c", traceId);
        Assert.Equal(traceId, upstream.Header("X-Trace-Id"));
        Assert.Equal(traceId, upstream.Header("traceparent")!.Split('-')[1]);
    }
}

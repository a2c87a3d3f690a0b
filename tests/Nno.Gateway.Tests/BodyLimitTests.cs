using System.Net;
using System.Net.Http.Headers;
using Nno.Gateway.Tests.Support;

namespace Nno.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class BodyLimitTests(GatewayFixture fixture)
{
    private const int MiB = 1024 * 1024;

    private GatewayPlatform Platform => fixture.Platform;

    private static byte[] Body(int length)
    {
        var bytes = new byte[length];
        System.Security.Cryptography.RandomNumberGenerator.Fill(bytes);
        return bytes;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TwoMiBToPlatforms_Returns413WithLimit(bool chunked)
    {
        using var request = GatewayPlatform.Request(HttpMethod.Post, "/api/v1/platforms/k3m9p2xw7q/entities", out var id);
        request.Content = chunked ? new StreamContent(new UnknownLengthStream(Body(2 * MiB))) : new ByteArrayContent(Body(2 * MiB));
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");

        using var response = await Platform.User.SendAsync(request);

        var error = await Http.AssertEnvelopeAsync(response, HttpStatusCode.RequestEntityTooLarge, "PAYLOAD_TOO_LARGE");
        Assert.Equal(MiB, error.GetProperty("details").GetProperty("limitBytes").GetInt64());
        if (!chunked)
        {
            // Declared up front: refused before anything reaches the upstream.
            Assert.Empty(Platform.Recorder.For(id));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task FourMiBToCli_IsForwardedWhole(bool chunked)
    {
        var body = Body(4 * MiB);
        using var request = GatewayPlatform.Request(HttpMethod.Post, "/api/v1/cli/k3m9p2xw7q/bundles", out var id);
        request.Content = chunked ? new StreamContent(new UnknownLengthStream(body)) : new ByteArrayContent(body);

        using var response = await Platform.User.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(body, Platform.Recorder.One(id).Body);
    }

    [Fact]
    public async Task BodyExactlyAtTheLimit_IsForwarded()
    {
        var body = Body(MiB);
        using var request = GatewayPlatform.Request(HttpMethod.Put, "/api/v1/stacks/stk_1", out var id);
        request.Content = new StreamContent(new UnknownLengthStream(body));

        using var response = await Platform.User.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(body, Platform.Recorder.One(id).Body);
    }

    [Fact]
    public async Task ContentLengthWithTransferEncoding_DropsContentLength()
    {
        var body = Body(1000);
        using var request = GatewayPlatform.Request(HttpMethod.Post, "/api/v1/billing/checkout", out var id);
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.ContentLength = 1000;
        request.Headers.TransferEncodingChunked = true;

        using var response = await Platform.User.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var recorded = Platform.Recorder.One(id);
        Assert.Null(recorded.Header("Content-Length"));
        Assert.Equal(body, recorded.Body);
    }
}

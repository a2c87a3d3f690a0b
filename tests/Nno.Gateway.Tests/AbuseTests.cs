using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nno.Gateway.Tests.Support;
using Nno.Testing;

namespace Nno.Gateway.Tests;

/// <summary>
/// The gateway on a real socket (Kestrel), with Billing as a recording upstream over HTTP and every other upstream
/// unreachable (a request forwarded there would answer 503).
/// </summary>
public sealed class ListeningGatewayFixture : IAsyncLifetime
{
    private WebApplication? _billing;
    private StandaloneGateway? _gateway;

    public UpstreamRecorder Recorder { get; } = new();

    public StandaloneGateway Gateway => _gateway ?? throw new InvalidOperationException("Not started.");

    public int Port => Gateway.Port!.Value;

    public async Task InitializeAsync()
    {
        var billingPort = FreePort.Get();
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, billingPort));
        _billing = builder.Build();
        Recorder.Install("billing", _billing);
        await _billing.StartAsync();
        _gateway = await StandaloneGateway.StartAsync(new Dictionary<string, string?> { ["NNO_BILLING_URL"] = $"http://127.0.0.1:{billingPort}" }, listen: true);
    }

    public async Task DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }

        if (_billing is not null)
        {
            await _billing.DisposeAsync();
        }
    }
}

/// <summary>Bad input and abuse at the connection level (gateway.md §3.5, §6; §7 tests 11 and 25 are in AuthenticationTests and BodyLimitTests).</summary>
public sealed class AbuseTests(ListeningGatewayFixture fixture) : IClassFixture<ListeningGatewayFixture>
{
    private const int KiB = 1024;

    /// <summary>Sends <paramref name="request"/> as raw bytes on a new connection and reads the response until the server closes it.</summary>
    private static async Task<RawResponse> SendRawAsync(int port, string request, TimeSpan? timeout = null)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        return await RawResponse.ReadAsync(stream, timeout ?? TimeSpan.FromSeconds(30));
    }

    private static string Request(string method, string target, string id, string extraHeaders = "") =>
        $"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: {id}\r\n{extraHeaders}Content-Length: 0\r\nConnection: close\r\n\r\n";

    private static string NewId() => "abuse-" + Guid.NewGuid().ToString("N");

    [Theory]
    [InlineData("GET", "/api/v1/iam/../platforms", 400)]
    [InlineData("GET", "/api/v1/iam/./auth", 400)]
    [InlineData("GET", "/api/v1/iam/%2e%2e/platforms", 400)]
    [InlineData("GET", "/api/v1/iam/%2E%2E/platforms", 400)]
    [InlineData("GET", "/api/v1/iam/..%2Fplatforms", 400)]
    [InlineData("GET", "/api/v1/billing/webhooks/stripe/../../../platforms", 400)]
    [InlineData("GET", "/api/v1/iam/a%2Fb", 400)]
    [InlineData("GET", "/api/v1/iam/a%2fb", 400)]
    [InlineData("GET", "/api/v1/iam/a%5Cb", 400)]
    [InlineData("GET", "//api/v1/platforms", 400)]
    [InlineData("GET", "/api/v1//platforms", 400)]
    // Kestrel itself refuses a decoded NUL in the path (its own 400, without the envelope).
    [InlineData("GET", "/api/v1/iam/a%00b", 400, false)]
    [InlineData("GET", "http://127.0.0.1/api/v1/iam/../platforms", 400)]
    [InlineData("GET", "/API/V1/platforms", 404)]
    [InlineData("GET", "/api/v1/Platforms", 404)]
    [InlineData("GET", "/api/v1/platformsx", 404)]
    [InlineData("GET", "/api/v1/iam/nno/jwks", 404)]
    [InlineData("POST", "/api/v1/iam/auth/sign-in/email/", 401)]
    [InlineData("POST", "/api/v1/iam/auth/SIGN-IN/email", 401)]
    [InlineData("POST", "/api/v1/billing/webhooks/stripe/", 401)]
    [InlineData("POST", "/api/v1/billing/webhooks/Stripe", 401)]
    public async Task PathTricks_EndAs400Or404OrNeedAuthentication_OverTheSocket(string method, string target, int status, bool envelope = true)
    {
        var id = NewId();

        var response = await SendRawAsync(fixture.Port, Request(method, target, id));

        Assert.Equal(status, response.Status);
        if (envelope)
        {
            Assert.Contains(status switch { 400 => "\"VALIDATION_ERROR\"", 404 => "\"NOT_FOUND\"", _ => "\"UNAUTHORIZED\"" }, response.Body, StringComparison.Ordinal);
        }

        Assert.Empty(fixture.Recorder.For(id));
    }

    [Fact]
    public async Task ContentLengthWithChunked_ChunkedWinsAndTheUpstreamGetsOneFraming()
    {
        var id = NewId();
        // Content-Length says 5 bytes; the chunked body is 11. Whoever honoured the length would forward "hello".
        var request = $"POST /api/v1/billing/webhooks/stripe HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: {id}\r\nContent-Length: 5\r\n"
            + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nb\r\nhello world\r\n0\r\n\r\n";

        var response = await SendRawAsync(fixture.Port, request);

        Assert.Equal(200, response.Status);
        var upstream = fixture.Recorder.One(id);
        Assert.Equal("hello world"u8.ToArray(), upstream.Body);
        Assert.False(upstream.Header("Content-Length") is not null && upstream.Header("Transfer-Encoding") is not null, "The upstream received both Content-Length and Transfer-Encoding.");
    }

    [Fact]
    public async Task RequestLineUpTo16KiB_IsServed_ALongerOneIsRejectedByKestrel()
    {
        static string Target(int lineLength) => "/health?pad=" + new string('a', lineLength - "GET /health?pad= HTTP/1.1".Length);

        var accepted = await SendRawAsync(fixture.Port, Request("GET", Target(16 * KiB - 64), NewId()));
        var rejected = await SendRawAsync(fixture.Port, Request("GET", Target(16 * KiB + 64), NewId()));

        Assert.Equal(200, accepted.Status);
        Assert.Equal(414, rejected.Status);
    }

    [Fact]
    public async Task HeadersUpTo64KiB_AreServed_MoreAreRejectedByKestrel()
    {
        static string Padding(int kib) => string.Concat(Enumerable.Range(0, kib / 4).Select(i => $"X-Pad-{i}: {new string('p', 4 * KiB - 16)}\r\n"));

        var accepted = await SendRawAsync(fixture.Port, Request("GET", "/health", NewId(), Padding(60)));
        var rejected = await SendRawAsync(fixture.Port, Request("GET", "/health", NewId(), Padding(68)));

        Assert.Equal(200, accepted.Status);
        Assert.Equal(431, rejected.Status);
    }

    [Fact]
    public void KestrelLimits_AreTheSpecsSlowClientDefaults()
    {
        var limits = fixture.Gateway.App.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits;
        var kestrelDefaults = new KestrelServerLimits();

        Assert.Equal(TimeSpan.FromSeconds(30), limits.RequestHeadersTimeout);
        Assert.Equal(16 * KiB, limits.MaxRequestLineSize);
        Assert.Equal(64 * KiB, limits.MaxRequestHeadersTotalSize);
        Assert.NotNull(limits.MinRequestBodyDataRate);
        Assert.Equal(kestrelDefaults.MinRequestBodyDataRate!.BytesPerSecond, limits.MinRequestBodyDataRate.BytesPerSecond);
        Assert.Equal(kestrelDefaults.MinRequestBodyDataRate.GracePeriod, limits.MinRequestBodyDataRate.GracePeriod);
    }

    [Fact]
    public async Task AClientThatNeverFinishesItsHeaders_IsCutOffAfterTheHeadersTimeout()
    {
        // The production 30 s shortened to 1 s; Kestrel checks timeouts once a second.
        await using var gateway = await StandaloneGateway.StartAsync(new Dictionary<string, string?> { ["Nno:Limits:RequestHeadersTimeout"] = "00:00:01" }, listen: true);

        var response = await SendRawAsync(gateway.Port!.Value, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1\r\n", TimeSpan.FromSeconds(20));

        Assert.True(response.Status is 408 or 0, $"Expected 408 or a closed connection, got {response.Status}.");
    }
}

/// <summary>A raw HTTP/1.1 response: status (0 when the server closed without answering), header block and body text.</summary>
internal sealed record RawResponse(int Status, string Head, string Body)
{
    public static async Task<RawResponse> ReadAsync(Stream stream, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        using var buffer = new MemoryStream();
        try
        {
            await stream.CopyToAsync(buffer, cancel.Token);
        }
        catch (IOException)
        {
            // A reset after the response: what arrived is the answer.
        }

        var text = Encoding.ASCII.GetString(buffer.ToArray());
        var headEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (text.Length < 12 || headEnd < 0)
        {
            return new RawResponse(0, text, "");
        }

        return new RawResponse(int.Parse(text.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture), text[..headEnd], text[(headEnd + 4)..]);
    }
}

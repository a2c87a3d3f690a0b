using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Nno.ServiceDefaults.Limits;
using Nno.ServiceDefaults.Tests.Support;
using Nno.Testing;

namespace Nno.ServiceDefaults.Tests.BadInput;

/// <summary>The body limit behaves the same over a real socket (Kestrel enforces its own limit underneath).</summary>
public sealed class KestrelBodyLimitTests
{
    private const int DefaultLimit = 1024;
    private const int BulkLimit = 16 * 1024;

    [Fact]
    public async Task OverKestrel_DefaultAndEndpointLimitsGiveEnvelopes()
    {
        var port = FreePort.Get();
        await using var app = await TestServiceApp.StartAsync(
            routes =>
            {
                routes.MapPost("/echo", async (HttpRequest request) => TypedResults.Ok(new { length = (await new StreamReader(request.Body).ReadToEndAsync()).Length }));
                routes.MapPost("/echo/bulk", async (HttpRequest request) => TypedResults.Ok(new { length = (await new StreamReader(request.Body).ReadToEndAsync()).Length }))
                    .WithRequestBodyLimit(BulkLimit);
            },
            new Dictionary<string, string?> { ["Nno:Limits:MaxRequestBodyBytes"] = DefaultLimit.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            listenPort: port);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        var big = new string('x', DefaultLimit * 4);

        using var small = await client.PostAsync("/echo", Json("small"));
        using var declared = await client.PostAsync("/echo", Json(big));
        using var chunked = await client.PostAsync("/echo", Chunked(big));
        using var bulk = await client.PostAsync("/echo/bulk", Chunked(big));
        using var bulkTooBig = await client.PostAsync("/echo/bulk", Chunked(new string('x', BulkLimit + 1)));

        Assert.Equal(HttpStatusCode.OK, small.StatusCode);
        await Envelope.AssertAsync(declared, HttpStatusCode.RequestEntityTooLarge, "PAYLOAD_TOO_LARGE");
        await Envelope.AssertAsync(chunked, HttpStatusCode.RequestEntityTooLarge, "PAYLOAD_TOO_LARGE");
        Assert.Equal(HttpStatusCode.OK, bulk.StatusCode);
        await Envelope.AssertAsync(bulkTooBig, HttpStatusCode.RequestEntityTooLarge, "PAYLOAD_TOO_LARGE");
    }

    private static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");

    private static StreamContent Chunked(string text)
    {
        // A non-seekable stream has no length, so HttpClient sends it with chunked transfer encoding.
        var content = new StreamContent(new NonSeekableStream(Encoding.UTF8.GetBytes(text)));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private sealed class NonSeekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}

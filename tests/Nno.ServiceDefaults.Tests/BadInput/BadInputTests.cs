using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Nno.ServiceDefaults.Limits;
using Nno.ServiceDefaults.Tests.Support;

namespace Nno.ServiceDefaults.Tests.BadInput;

public enum Shade
{
    Light,
    DarkGrey,
}

public sealed record WidgetOwner
{
    public required string Email { get; init; }

    public int? Age { get; init; }
}

public sealed record CreateWidget
{
    public required string Name { get; init; }

    public required int Count { get; init; }

    public required Shade Shade { get; init; }

    public required WidgetOwner Owner { get; init; }

    public string? Note { get; init; }
}

/// <summary>One running test service for every bad-input case (the cases store nothing).</summary>
public sealed class BadInputApp : IAsyncLifetime
{
    public const int DefaultLimit = 2048;
    public const int BulkLimit = 64 * 1024;

    public TestServiceApp App { get; private set; } = null!;

    public async Task InitializeAsync() =>
        App = await TestServiceApp.StartAsync(
            app =>
            {
                app.MapPost("/widgets", (CreateWidget widget) => TypedResults.Created("/widgets/w1", new { id = "w1", widget.Name, widget.Shade, widget.Owner }));
                app.MapPost("/widgets/bulk", (CreateWidget widget) => TypedResults.Ok(new { widget.Name, noteLength = widget.Note?.Length ?? 0 }))
                    .WithRequestBodyLimit(BulkLimit);
                app.MapPost("/widgets/explicit", ([FromBody] CreateWidget widget) => TypedResults.Ok(new { widget.Name }));
                app.MapGet("/widgets", (int limit) => TypedResults.Ok(new { limit }));
            },
            new Dictionary<string, string?> { ["Nno:Limits:MaxRequestBodyBytes"] = DefaultLimit.ToString(System.Globalization.CultureInfo.InvariantCulture) });

    public async Task DisposeAsync() => await App.DisposeAsync();
}

public sealed class BadInputTests(BadInputApp fixture) : IClassFixture<BadInputApp>
{
    private const string Valid = """{"name":"w","count":1,"shade":"dark-grey","owner":{"email":"a@b.c","age":3},"note":null}""";

    private HttpClient Client => fixture.App.Client;

    private Task<HttpResponseMessage> PostJsonAsync(string json, string path = "/widgets") =>
        Client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    [Fact]
    public async Task ValidBody_IsAccepted()
    {
        using var response = await PostJsonAsync(Valid);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("dark-grey", body.RootElement.GetProperty("shade").GetString());
    }

    [Theory]
    [InlineData("{not json", "body")]
    [InlineData("""{"name":"w","count":""", "count")]
    [InlineData("""{"name":"w",}""", "body")]
    [InlineData("""{"name":'w'}""", "name")]
    [InlineData("[]", "body")]
    [InlineData("\"text\"", "body")]
    public async Task MalformedJson_Is400(string json, string field)
    {
        using var response = await PostJsonAsync(json);

        await Envelope.AssertValidationAsync(response, field);
    }

    [Fact]
    public async Task TrailingGarbage_Is400()
    {
        using var response = await PostJsonAsync(Valid + " garbage");

        await Envelope.AssertValidationAsync(response, "body");
    }

    [Theory]
    [InlineData("""{"name":"w","count":"three","shade":"light","owner":{"email":"a@b.c"}}""", "count")]
    [InlineData("""{"name":"w","count":1.5,"shade":"light","owner":{"email":"a@b.c"}}""", "count")]
    [InlineData("""{"name":"w","count":99999999999,"shade":"light","owner":{"email":"a@b.c"}}""", "count")]
    [InlineData("""{"name":7,"count":1,"shade":"light","owner":{"email":"a@b.c"}}""", "name")]
    [InlineData("""{"name":"w","count":1,"shade":"light","owner":"a@b.c"}""", "owner")]
    [InlineData("""{"name":"w","count":1,"shade":"light","owner":{"email":"a@b.c","age":"old"}}""", "owner.age")]
    public async Task WrongType_Is400NamingTheField(string json, string field)
    {
        using var response = await PostJsonAsync(json);

        await Envelope.AssertValidationAsync(response, field);
    }

    [Theory]
    [InlineData("""{"name":"w","count":1,"shade":"light","owner":{"email":"a@b.c"},"colour":"red"}""", "colour")]
    [InlineData("""{"name":"w","count":1,"shade":"light","owner":{"email":"a@b.c","nick":"x"}}""", "owner.nick")]
    [InlineData("""{"Name":"w","count":1,"shade":"light","owner":{"email":"a@b.c"}}""", "Name")]
    public async Task UnknownField_Is400NamingIt(string json, string field)
    {
        using var response = await PostJsonAsync(json);

        var problems = await Envelope.AssertValidationAsync(response, field);
        Assert.Contains("is not a known field", problems);
        var error = await Envelope.AssertAsync(response, HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Equal($"The request body is invalid: {field} is not a known field.", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task MissingRequiredFields_Are400NamingEachOne()
    {
        using var response = await PostJsonAsync("""{"count":1,"owner":{"email":"a@b.c"}}""");

        Assert.Contains("is required", await Envelope.AssertValidationAsync(response, "name"));
        Assert.Contains("is required", await Envelope.AssertValidationAsync(response, "shade"));
    }

    [Fact]
    public async Task MissingRequiredNestedField_Is400NamingItsPath()
    {
        using var response = await PostJsonAsync("""{"name":"w","count":1,"shade":"light","owner":{}}""");

        Assert.Contains("is required", await Envelope.AssertValidationAsync(response, "owner.email"));
    }

    [Theory]
    [InlineData("""{"name":null,"count":1,"shade":"light","owner":{"email":"a@b.c"}}""", "name")]
    [InlineData("""{"name":"w","count":null,"shade":"light","owner":{"email":"a@b.c"}}""", "count")]
    [InlineData("""{"name":"w","count":1,"shade":"light","owner":null}""", "owner")]
    [InlineData("""{"name":"w","count":1,"shade":"light","owner":{"email":null}}""", "owner.email")]
    public async Task NullForNonNullableField_Is400NamingIt(string json, string field)
    {
        using var response = await PostJsonAsync(json);

        await Envelope.AssertValidationAsync(response, field);
    }

    [Fact]
    public async Task NullBody_Is400()
    {
        using var response = await PostJsonAsync("null");

        await Envelope.AssertValidationAsync(response, "body");
    }

    [Theory]
    [InlineData("\"purple\"")]
    [InlineData("\"DarkGrey\"")]
    [InlineData("\"dark_grey\"")]
    [InlineData("1")]
    [InlineData("0")]
    public async Task BadEnumValue_Is400NamingTheField(string shade)
    {
        using var response = await PostJsonAsync($$$"""{"name":"w","count":1,"shade":{{{shade}}},"owner":{"email":"a@b.c"}}""");

        await Envelope.AssertValidationAsync(response, "shade");
    }

    [Theory]
    [InlineData("/widgets")]
    [InlineData("/widgets/explicit")]
    public async Task EmptyBody_Is400(string path)
    {
        using var response = await PostJsonAsync(string.Empty, path);

        Assert.Contains("is required", await Envelope.AssertValidationAsync(response, "body"));
        var error = await Envelope.AssertAsync(response, HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Equal("A JSON request body is required.", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task NoBodyAtAll_Is400()
    {
        using var response = await Client.PostAsync("/widgets", content: null);

        // Without a body there is no content type either; either way the answer is a 4xx envelope, never 5xx.
        Assert.InRange((int)response.StatusCode, 400, 499);
        var error = await Envelope.AssertAsync(response, response.StatusCode, response.StatusCode == HttpStatusCode.BadRequest ? "VALIDATION_ERROR" : "UNSUPPORTED_MEDIA_TYPE");
        if (response.StatusCode == HttpStatusCode.BadRequest)
        {
            Assert.True(error.GetProperty("details").GetProperty("fields").TryGetProperty("body", out _));
        }
    }

    [Fact]
    public async Task BodyOverLimit_WithContentLength_Is413()
    {
        using var response = await PostJsonAsync(WithNote(BadInputApp.DefaultLimit));

        var error = await Envelope.AssertAsync(response, HttpStatusCode.RequestEntityTooLarge, "PAYLOAD_TOO_LARGE");
        Assert.Equal(BadInputApp.DefaultLimit, error.GetProperty("details").GetProperty("limitBytes").GetInt64());
    }

    [Fact]
    public async Task BodyOverLimit_Chunked_Is413()
    {
        using var content = new ChunkedContent(Encoding.UTF8.GetBytes(WithNote(BadInputApp.DefaultLimit)));
        using var response = await Client.PostAsync("/widgets", content);

        var error = await Envelope.AssertAsync(response, HttpStatusCode.RequestEntityTooLarge, "PAYLOAD_TOO_LARGE");
        Assert.Equal(BadInputApp.DefaultLimit, error.GetProperty("details").GetProperty("limitBytes").GetInt64());
    }

    [Fact]
    public async Task BodyUnderLimit_Chunked_IsAccepted()
    {
        using var content = new ChunkedContent(Encoding.UTF8.GetBytes(Valid));
        using var response = await Client.PostAsync("/widgets", content);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task EndpointLimit_OverridesTheDefault()
    {
        var json = WithNote(BadInputApp.DefaultLimit * 4);

        using var bulk = await PostJsonAsync(json, "/widgets/bulk");
        using var bulkChunked = await Client.PostAsync("/widgets/bulk", new ChunkedContent(Encoding.UTF8.GetBytes(json)));
        using var tooBig = await PostJsonAsync(WithNote(BadInputApp.BulkLimit), "/widgets/bulk");

        Assert.Equal(HttpStatusCode.OK, bulk.StatusCode);
        Assert.Equal(HttpStatusCode.OK, bulkChunked.StatusCode);
        var error = await Envelope.AssertAsync(tooBig, HttpStatusCode.RequestEntityTooLarge, "PAYLOAD_TOO_LARGE");
        Assert.Equal(BadInputApp.BulkLimit, error.GetProperty("details").GetProperty("limitBytes").GetInt64());
    }

    [Theory]
    [InlineData("/widgets?limit=abc")]
    [InlineData("/widgets?limit=1.5")]
    [InlineData("/widgets?limit=99999999999")]
    public async Task BadQueryValue_Is400NamingTheParameter(string url)
    {
        using var response = await Client.GetAsync(url);

        await Envelope.AssertValidationAsync(response, "limit");
        var error = await Envelope.AssertAsync(response, HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Equal("The value of 'limit' is invalid.", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task MissingQueryValue_Is400NamingTheParameter()
    {
        using var response = await Client.GetAsync("/widgets");

        Assert.Contains("is required", await Envelope.AssertValidationAsync(response, "limit"));
    }

    [Fact]
    public async Task GoodQueryValue_IsAccepted()
    {
        using var response = await Client.GetAsync("/widgets?limit=5");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static string WithNote(int atLeastBytes) =>
        $$"""{"name":"w","count":1,"shade":"light","owner":{"email":"a@b.c"},"note":"{{new string('n', atLeastBytes)}}"}""";

    /// <summary>A body of unknown length (sent chunked over HTTP/1.1): the limit must be enforced while reading.</summary>
    private sealed class ChunkedContent : HttpContent
    {
        private readonly byte[] _bytes;

        public ChunkedContent(byte[] bytes)
        {
            _bytes = bytes;
            Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            for (var offset = 0; offset < _bytes.Length; offset += 512)
            {
                await stream.WriteAsync(_bytes.AsMemory(offset, Math.Min(512, _bytes.Length - offset)));
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}

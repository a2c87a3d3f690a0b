using System.Net;
using System.Text;
using System.Text.Json;
using Nno.Client.Identity;
using Nno.Core.Services;
using Nno.ServiceDefaults.Tests.Support;
using Nno.Testing;
using Nno.Testing.Security;

namespace Nno.ServiceDefaults.Tests.BadInput;

/// <summary>
/// Requests the router itself rejects (unknown route, wrong method, wrong media type) get the envelope once the caller
/// has a valid service token, and a 401 without one, so a direct caller learns nothing about which routes exist.
/// </summary>
public sealed class RoutingRejectionTests : IAsyncLifetime
{
    private TestPlatform _platform = null!;

    public async Task InitializeAsync() =>
        _platform = await TestPlatform.StartAsync([NnoServices.Iam, NnoServices.Registry]);

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    [Fact]
    public async Task UnknownRoute_WithGatewayToken_Is404EnvelopeNamingTheService()
    {
        using var client = _platform.GatewayClient(NnoServices.Registry, GatewayIdentity.Anonymous());
        using var response = await client.GetAsync(new Uri("/no/such/route", UriKind.Relative));

        var error = await Envelope.AssertAsync(response, HttpStatusCode.NotFound, "NOT_FOUND");
        Assert.Equal(JsonValueKind.Null, error.GetProperty("details").ValueKind);
        Assert.Equal("No route matches GET /no/such/route on the registry service.", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task WrongMethod_WithGatewayToken_Is405Envelope()
    {
        using var client = _platform.GatewayClient(NnoServices.Registry, GatewayIdentity.Anonymous());
        using var response = await client.DeleteAsync(new Uri("/health", UriKind.Relative));

        await Envelope.AssertAsync(response, HttpStatusCode.MethodNotAllowed, "METHOD_NOT_ALLOWED");
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    [InlineData("application/x-www-form-urlencoded")]
    public async Task WrongContentType_WithGatewayToken_Is415Envelope(string mediaType)
    {
        using var client = _platform.GatewayClient(NnoServices.Iam, GatewayIdentity.Anonymous());
        using var content = new StringContent("""{"service":"registry"}""", Encoding.UTF8, mediaType);
        using var response = await client.PostAsync(new Uri("/api/nno/service-token", UriKind.Relative), content);

        await Envelope.AssertAsync(response, HttpStatusCode.UnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE");
    }

    [Theory]
    [InlineData("GET", "/no/such/route")]
    [InlineData("DELETE", "/health")]
    public async Task RouterRejections_WithoutAServiceToken_Are401(string method, string path)
    {
        using var client = _platform.Client(NnoServices.Registry);
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative));
        using var response = await client.SendAsync(request);

        await Envelope.AssertAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }
}

using System.Net;
using System.Text.Json;
using Nno.Testing;

namespace Nno.Iam.Tests.SigningKeys;

public sealed class JwksEndpointTests : IAsyncLifetime
{
    private TestPlatform _platform = null!;

    public async Task InitializeAsync() => _platform = await TestPlatform.StartAsync(["iam"]);

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    [Fact]
    public async Task Jwks_AndItsWellKnownAlias_ServeThePublicKeyWithoutAToken()
    {
        using var iam = _platform.Client("iam");
        using var jwks = await iam.GetAsync("/api/nno/jwks");
        using var alias = await iam.GetAsync("/.well-known/jwks.json");

        Assert.Equal(HttpStatusCode.OK, jwks.StatusCode);
        Assert.Equal(HttpStatusCode.OK, alias.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(300), jwks.Headers.CacheControl?.MaxAge);
        Assert.Equal(TimeSpan.FromSeconds(300), alias.Headers.CacheControl?.MaxAge);
        var body = await jwks.Content.ReadAsStringAsync();
        Assert.Equal(body, await alias.Content.ReadAsStringAsync());

        using var document = JsonDocument.Parse(body);
        var key = Assert.Single(document.RootElement.GetProperty("keys").EnumerateArray());
        Assert.Equal(["kty", "crv", "x", "y", "kid", "alg", "use"], key.EnumerateObject().Select(p => p.Name));
        Assert.Equal("EC", key.GetProperty("kty").GetString());
        Assert.Equal("P-256", key.GetProperty("crv").GetString());
        Assert.Equal("ES256", key.GetProperty("alg").GetString());
        Assert.Equal("sig", key.GetProperty("use").GetString());
        Assert.Equal(43, key.GetProperty("x").GetString()!.Length);
        Assert.Equal(43, key.GetProperty("y").GetString()!.Length);
    }

    [Fact]
    public async Task OpenApi_DescribesTheTokenAndKeyRoutes()
    {
        using var iam = _platform.Client("iam");
        using var response = await iam.GetAsync("/openapi/v1.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var paths = document.RootElement.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/nno/service-token", out var issue));
        Assert.Equal("IssueServiceToken", issue.GetProperty("post").GetProperty("operationId").GetString());
        Assert.True(paths.TryGetProperty("/api/nno/jwks", out _));
        Assert.True(paths.TryGetProperty("/.well-known/jwks.json", out _));
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Nno.Core.Json;
using Nno.Iam.Data;
using Nno.ServiceDefaults.Security;
using Nno.Testing;
using Nno.Testing.Security;

namespace Nno.Iam.Tests.ServiceTokens;

public sealed class ServiceTokenEndpointTests : IAsyncLifetime
{
    private TestPlatform _platform = null!;

    public async Task InitializeAsync() => _platform = await TestPlatform.StartAsync(["iam"]);

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    [Fact]
    public async Task IssueToken_CorrectSecret_ReturnsEs256JwtOfFiveMinutesVerifiableWithJwks()
    {
        using var iam = _platform.Client("iam");
        using var response = await PostTokenRequestAsync(iam, "gateway", _platform.ClientSecret("gateway"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = body.RootElement;
        Assert.Equal("Bearer", root.GetProperty("tokenType").GetString());
        Assert.Equal(300, root.GetProperty("expiresIn").GetInt32());
        var now = _platform.Time.GetUtcNow();
        Assert.Equal(now.AddSeconds(300).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture), root.GetProperty("expiresAt").GetString());

        var token = new JsonWebToken(root.GetProperty("token").GetString());
        Assert.Equal("ES256", token.Alg);
        Assert.Equal("JWT", token.Typ);
        Assert.Equal("svc:gateway", token.Subject);
        Assert.Equal("gateway", token.GetPayloadValue<string>("svc"));
        Assert.Equal("nno-iam", token.Issuer);
        Assert.Equal(["nno-services"], token.Audiences);
        Assert.Equal(now.ToUnixTimeSeconds(), token.GetPayloadValue<long>("iat"));
        Assert.Equal(now.ToUnixTimeSeconds(), token.GetPayloadValue<long>("nbf"));
        Assert.Equal(now.ToUnixTimeSeconds() + 300, token.GetPayloadValue<long>("exp"));
        Assert.False(string.IsNullOrEmpty(token.Id));

        // Verifiable with nothing but the published JWKS.
        using var jwksResponse = await iam.GetAsync("/api/nno/jwks");
        var jwks = JsonWebKeySetDocument.Parse(await jwksResponse.Content.ReadAsByteArrayAsync());
        var jwk = Assert.Single(jwks.Keys, k => k.Kid == token.Kid);
        Assert.True(jwk.TryCreateSecurityKey(out var key));
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token.EncodedToken, new TokenValidationParameters
        {
            ValidIssuer = "nno-iam",
            ValidAudience = "nno-services",
            IssuerSigningKey = key,
            ValidAlgorithms = ["ES256"],
            LifetimeValidator = (_, exp, _, _) => exp > now.UtcDateTime,
        });
        Assert.True(result.IsValid, result.Exception?.Message);
    }

    [Fact]
    public async Task IssueToken_WrongSecret_Returns401AndWritesDeniedAuditEvent()
    {
        using var iam = _platform.Client("iam");
        using var response = await PostTokenRequestAsync(iam, "registry", _platform.ClientSecret("gateway"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("UNAUTHORIZED", await ErrorCodeAsync(response));
        Assert.DoesNotContain("\"token\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        await using var scope = _platform.Host.Apps["iam"].Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IamDbContext>();
        var denied = await db.AuditEvents.Where(e => e.Type == "service_token.denied").ToListAsync();
        var row = Assert.Single(denied);
        Assert.Equal("failure", row.Outcome);
        Assert.Equal("anonymous", row.ActorKind);
        Assert.Equal("127.0.0.1", row.Ip);
        Assert.Equal(_platform.Time.GetUtcNow().ToUnixTimeMilliseconds(), row.OccurredAt);
        Assert.Matches("^evt_[a-z0-9]{20}$", row.Id);
        Assert.Equal("{\"service\":\"registry\"}", row.Metadata);
    }

    [Fact]
    public async Task IssueToken_MissingAuthorization_Returns401()
    {
        using var iam = _platform.Client("iam");
        using var response = await iam.PostAsJsonAsync("/api/nno/service-token", new { service = "billing" });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Theory]
    [InlineData("{\"service\":\"iam\"}", "service")]
    [InlineData("{\"service\":\"nope\"}", "service")]
    [InlineData("{\"service\":\"gateway\",\"extra\":1}", "extra")]
    [InlineData("{}", "service")]
    [InlineData("{\"service\":", "service")]
    public async Task IssueToken_BadBody_Returns400NamingTheField(string json, string field)
    {
        using var iam = _platform.Client("iam");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/nno/service-token")
        {
            Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _platform.ClientSecret("gateway"));
        using var response = await iam.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("VALIDATION_ERROR", body.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.True(body.RootElement.GetProperty("error").GetProperty("details").GetProperty("fields").TryGetProperty(field, out _), body.RootElement.ToString());
    }

    internal static async Task<HttpResponseMessage> PostTokenRequestAsync(HttpClient iam, string service, string? secret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/nno/service-token") { Content = JsonContent.Create(new { service }) };
        if (secret is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        }

        return await iam.SendAsync(request);
    }

    internal static async Task<string?> ErrorCodeAsync(HttpResponseMessage response)
    {
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("error").GetProperty("code").GetString();
    }
}

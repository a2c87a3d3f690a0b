using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Nno.Core.Errors;
using Nno.ServiceDefaults.Security;
using Nno.Testing;
using Nno.Testing.Security;

namespace Nno.ServiceDefaults.Tests.Security;

/// <summary>gateway.md §4.9: a service's own token is cached, refreshed in the background in its last minute, and outlives a short IAM outage.</summary>
public sealed class ServiceTokenProviderTests : IAsyncLifetime
{
    private readonly IamFaults _iam = new();
    private TestPlatform _platform = null!;

    public async Task InitializeAsync() =>
        _platform = await TestPlatform.StartAsync(["iam", "registry"], configurePipeline: (name, app) =>
        {
            _iam.Attach(name, app);
            PrincipalProbe.Map(app);
        });

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    private IServiceProvider Registry => _platform.Host.Apps["registry"].Services;

    [Fact]
    public async Task Provider_RefreshesOnlyInTheLastMinute_AndServesTheCachedTokenWhileIamIsDown()
    {
        var provider = (CachingServiceTokenProvider)Registry.GetRequiredService<IServiceTokenProvider>();
        var first = await provider.GetTokenAsync(CancellationToken.None);
        Assert.Equal("svc:registry", new JsonWebToken(first).Subject);
        Assert.Equal(1, _iam.TokenRequests);

        // 61 s of life left: cached, no request.
        _platform.Time.Advance(TimeSpan.FromSeconds(239));
        Assert.Equal(first, await provider.GetTokenAsync(CancellationToken.None));
        Assert.Equal(1, provider.RequestCount);

        // 59 s left: the caller still gets the cached token at once, and a refresh starts behind it.
        _platform.Time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(first, await provider.GetTokenAsync(CancellationToken.None));
        Assert.Equal(2, provider.RequestCount);
        var second = await EventuallyAsync(async () => await provider.GetTokenAsync(CancellationToken.None) is var t && t != first ? t : null);
        Assert.Equal(2, _iam.TokenRequests);

        // IAM's token endpoint goes down in the second token's last minute: refreshes fail, the token is still served.
        _iam.FailTokens = true;
        _platform.Time.Advance(TimeSpan.FromSeconds(241));
        Assert.Equal(second, await provider.GetTokenAsync(CancellationToken.None));
        await EventuallyAsync(() => Task.FromResult(provider.ConsecutiveFailures == 1 ? "failed" : null));
        Assert.Equal(3, _iam.TokenRequests);

        // Backoff: no new attempt within 1 s of the failure, one after it; then 2 s.
        Assert.Equal(second, await provider.GetTokenAsync(CancellationToken.None));
        Assert.Equal(3, provider.RequestCount);
        _platform.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(second, await provider.GetTokenAsync(CancellationToken.None));
        Assert.Equal(4, provider.RequestCount);
        await EventuallyAsync(() => Task.FromResult(provider.ConsecutiveFailures == 2 ? "failed" : null));
        _platform.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(second, await provider.GetTokenAsync(CancellationToken.None));
        Assert.Equal(4, provider.RequestCount);
        _platform.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(second, await provider.GetTokenAsync(CancellationToken.None));
        Assert.Equal(5, provider.RequestCount);
        await EventuallyAsync(() => Task.FromResult(provider.ConsecutiveFailures == 3 ? "failed" : null));

        // Within 10 s of its expiry the old token is no longer used: with IAM still down the call fails with 503.
        _platform.Time.Advance(TimeSpan.FromSeconds(52));
        var unavailable = await Assert.ThrowsAsync<ApiException>(async () => await provider.GetTokenAsync(CancellationToken.None));
        Assert.Equal(503, unavailable.Status);
        Assert.Equal(ErrorCodes.ServiceUnavailable, unavailable.Code);
        Assert.Equal("5", unavailable.Headers["Retry-After"]);

        // IAM recovers: the next call past the backoff gets a fresh token and waits for it.
        _iam.FailTokens = false;
        _platform.Time.Advance(TimeSpan.FromSeconds(30));
        var third = await provider.GetTokenAsync(CancellationToken.None);
        Assert.NotEqual(second, third);
        Assert.Equal(0, provider.ConsecutiveFailures);
    }

    [Fact]
    public async Task Provider_ConcurrentCallersWithoutAToken_ShareOneRequest()
    {
        var provider = (CachingServiceTokenProvider)Registry.GetRequiredService<IServiceTokenProvider>();
        var tokens = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => provider.GetTokenAsync(CancellationToken.None).AsTask()));

        Assert.Single(tokens.Distinct());
        Assert.Equal(1, _iam.TokenRequests);
    }

    [Fact]
    public async Task BindingCalls_CarryTheServicesOwnToken()
    {
        using var registryToItself = Registry.GetRequiredService<IHttpClientFactory>().CreateClient("NNO_REGISTRY");
        using var response = await registryToItself.GetAsync(PrincipalProbe.Shared.TrimStart('/'));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var principal = (await PrincipalProbe.ReadPrincipalAsync(response))!.Value;
        Assert.Equal("service", principal.GetProperty("kind").GetString());
        Assert.Equal("registry", principal.GetProperty("callerService").GetString());

        using var registryToIam = Registry.GetRequiredService<IHttpClientFactory>().CreateClient("NNO_IAM");
        using var iamResponse = await registryToIam.GetAsync(PrincipalProbe.Internal.TrimStart('/'));
        Assert.Equal(HttpStatusCode.OK, iamResponse.StatusCode);

        // A call that brings its own credential keeps it.
        using var request = new HttpRequestMessage(HttpMethod.Get, PrincipalProbe.Shared.TrimStart('/'));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "not-a-token");
        using var own = await registryToItself.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, own.StatusCode);
    }

    [Fact]
    public async Task IamsOwnProvider_MintsSvcIamLocally()
    {
        var provider = _platform.Host.Apps["iam"].Services.GetRequiredService<IServiceTokenProvider>();
        var token = await provider.GetTokenAsync(CancellationToken.None);

        Assert.Equal("svc:iam", new JsonWebToken(token).Subject);
        Assert.Equal(0, _iam.TokenRequests);
        Assert.Equal(token, await provider.GetTokenAsync(CancellationToken.None));
    }

    private static async Task<T> EventuallyAsync<T>(Func<Task<T?>> probe)
        where T : class
    {
        // Waits for background work that the fake clock already released; bounded, never a production delay.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }

            Assert.True(DateTime.UtcNow < deadline, "the background refresh did not finish");
            await Task.Delay(10);
        }
    }
}

public sealed class ServiceTokenProviderWithoutSecretTests
{
    [Fact]
    public async Task Provider_WithoutAClientSecret_FailsWith503()
    {
        await using var platform = await TestPlatform.StartAsync(["iam", "registry"], configureBuilder: (name, builder) =>
        {
            if (name == "registry")
            {
                builder.Configuration["Nno:ServiceClientSecret"] = string.Empty;
            }
        });
        var provider = platform.Host.Apps["registry"].Services.GetRequiredService<IServiceTokenProvider>();

        var error = await Assert.ThrowsAsync<ApiException>(async () => await provider.GetTokenAsync(CancellationToken.None));
        Assert.Equal(503, error.Status);
    }
}

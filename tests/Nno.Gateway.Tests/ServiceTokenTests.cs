using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Nno.Core.Services;
using Nno.Gateway.Tests.Support;
using Nno.ServiceDefaults.Security;

namespace Nno.Gateway.Tests;

/// <summary>The gateway's own service token from IAM's real endpoint (gateway.md §4.9; §7 tests 32 and 35).</summary>
public sealed class ServiceTokenTests : IAsyncLifetime
{
    private GatewayPlatform _platform = null!;

    public async Task InitializeAsync() =>
        _platform = await GatewayPlatform.StartAsync([NnoServices.Iam, NnoServices.Registry, NnoServices.Gateway], realServiceToken: true);

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    private async Task<RecordedRequest> ForwardAsync(string credential = GatewayPlatform.DefaultSessionToken)
    {
        using var request = GatewayPlatform.Request(HttpMethod.Get, "/api/v1/platforms", credential, out var id);
        using var response = await _platform.Gateway.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return _platform.Recorder.One(id);
    }

    private async Task<ServiceTokenValidationResult> VerifyAsRegistryAsync(string authorization)
    {
        var validator = _platform.Platform.Host.Apps[NnoServices.Registry].Services.GetRequiredService<ServiceTokenValidator>();
        return await validator.ValidateAsync(authorization["Bearer ".Length..], CancellationToken.None);
    }

    private async Task WaitForTokenCallsAsync(int expected)
    {
        for (var i = 0; i < 400 && _platform.Iam.TokenCalls < expected; i++)
        {
            await Task.Delay(25);
        }

        Assert.Equal(expected, _platform.Iam.TokenCalls);
    }

    [Fact]
    public async Task Upstream_ReceivesAJwtThatVerifiesAgainstIamsKeys_AndIamSeesOnlyTheGatewaysIdentity()
    {
        var upstream = await ForwardAsync();

        var result = await VerifyAsRegistryAsync(upstream.Header("Authorization")!);
        Assert.Equal(ServiceTokenValidationStatus.Valid, result.Status);
        Assert.Equal(NnoServices.Gateway, result.Service);

        var call = Assert.Single(_platform.Iam.ValidationCalls);
        Assert.Equal(upstream.Header("Authorization"), call["Authorization"]);
        Assert.Equal("svc:gateway", call["X-Nno-User-Id"]);
        Assert.Equal("service", call["X-Nno-Auth"]);
        Assert.Equal(["X-Nno-Auth", "X-Nno-Session-Token", "X-Nno-User-Id"], call.Keys.Where(k => k.StartsWith("X-Nno-", StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task NewTokenIsRequestedOnlyInTheLastMinute_AndAnIamOutageThenLeavesTrafficFlowing()
    {
        var first = (await ForwardAsync()).Header("Authorization");
        await WaitForTokenCallsAsync(1);

        // 4 min into the 5-minute life: more than 60 s left, no request.
        _platform.Platform.Time.Advance(TimeSpan.FromMinutes(3.9));
        Assert.Equal(first, (await ForwardAsync(GatewayPlatform.StaticKey)).Header("Authorization"));
        Assert.Equal(1, _platform.Iam.TokenCalls);

        // Under 60 s left with IAM's token endpoint down: a refresh is tried, the old token keeps traffic flowing.
        _platform.Iam.TokenEndpointDown = true;
        _platform.Platform.Time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(first, (await ForwardAsync(GatewayPlatform.StaticKey)).Header("Authorization"));
        await WaitForTokenCallsAsync(2);
        Assert.Equal(first, (await ForwardAsync(GatewayPlatform.StaticKey)).Header("Authorization"));

        // IAM back: the next refresh (after the 1 s backoff) brings a new, valid token.
        _platform.Iam.TokenEndpointDown = false;
        _platform.Platform.Time.Advance(TimeSpan.FromSeconds(2));
        string? renewed = null;
        for (var i = 0; i < 200 && (renewed is null || renewed == first); i++)
        {
            // Each request may start the refresh; the failed one may still be finishing when the first arrives.
            renewed = (await ForwardAsync(GatewayPlatform.StaticKey)).Header("Authorization");
            await Task.Delay(20);
        }

        Assert.NotEqual(first, renewed);
        Assert.Equal(3, _platform.Iam.TokenCalls);
        Assert.Equal(ServiceTokenValidationStatus.Valid, (await VerifyAsRegistryAsync(renewed!)).Status);
    }
}

using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Nno.Core.Services;
using Nno.Gateway.Tests.Support;
using Nno.ServiceDefaults;
using Nno.ServiceDefaults.Evictions;

namespace Nno.Gateway.Tests;

/// <summary>Credential caching, single flight, eviction and IAM outages (gateway.md §2, §4.3; §7 tests 12–15), each on its own platform and clock.</summary>
public sealed class CredentialCacheTests : IAsyncLifetime
{
    private const string Path = "/api/v1/stacks";
    private GatewayPlatform _platform = null!;

    private TestIam Iam => _platform.Iam;

    public async Task InitializeAsync() =>
        _platform = await GatewayPlatform.StartAsync([NnoServices.Iam, NnoServices.StackRegistry, NnoServices.Billing, NnoServices.Gateway]);

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    private async Task<HttpResponseMessage> SendAsync(string credential, string path = Path, HttpMethod? method = null)
    {
        using var request = GatewayPlatform.Request(method ?? HttpMethod.Get, path, credential, out _);
        return await _platform.Gateway.SendAsync(request);
    }

    private async Task<RecordedRequest> ForwardedAsync(string credential)
    {
        using var request = GatewayPlatform.Request(HttpMethod.Get, Path, credential, out var id);
        using var response = await _platform.Gateway.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return _platform.Recorder.One(id);
    }

    private async Task AssertStatusAsync(HttpStatusCode status, string credential)
    {
        using var response = await SendAsync(credential);
        Assert.Equal(status, response.StatusCode);
    }

    [Fact]
    public async Task RepeatedRequests_WithinTheTtl_AskIamOnce_AndAnOutOfBandRevocationBitesAfter30Seconds()
    {
        var token = _platform.NewSession(out _);
        await AssertStatusAsync(HttpStatusCode.OK, token);
        await AssertStatusAsync(HttpStatusCode.OK, token);
        Assert.Equal(1, Iam.SessionCalls);

        Iam.Revoke(token);
        _platform.Platform.Time.Advance(TimeSpan.FromSeconds(29));
        await AssertStatusAsync(HttpStatusCode.OK, token);
        Assert.Equal(1, Iam.SessionCalls);

        _platform.Platform.Time.Advance(TimeSpan.FromSeconds(1.5));
        using var response = await SendAsync(token);
        await Http.AssertEnvelopeAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.Equal(2, Iam.SessionCalls);
    }

    [Fact]
    public async Task CacheEntry_LivesNoLongerThanItsCredential()
    {
        var token = _platform.NewSession(out _, expiresAt: _platform.Platform.Time.GetUtcNow().AddSeconds(10));
        var key = _platform.NewApiKey(out _, ["stacks:read"], expiresAt: _platform.Platform.Time.GetUtcNow().AddSeconds(12));
        await AssertStatusAsync(HttpStatusCode.OK, token);
        await AssertStatusAsync(HttpStatusCode.OK, key);

        _platform.Platform.Time.Advance(TimeSpan.FromSeconds(9));
        await AssertStatusAsync(HttpStatusCode.OK, token);
        await AssertStatusAsync(HttpStatusCode.OK, key);
        Assert.Equal((1, 1), (Iam.SessionCalls, Iam.VerifyCalls));

        Iam.Revoke(token);
        Iam.Revoke(key);
        _platform.Platform.Time.Advance(TimeSpan.FromSeconds(3.5));
        await AssertStatusAsync(HttpStatusCode.Unauthorized, token);
        await AssertStatusAsync(HttpStatusCode.Unauthorized, key);
        Assert.Equal((2, 2), (Iam.SessionCalls, Iam.VerifyCalls));
    }

    [Fact]
    public async Task SignOutThroughTheGateway_EvictsTheSessionAtOnce_AndTheHeaderIsStripped()
    {
        var token = _platform.NewSession(out _);
        var other = _platform.NewSession(out _);
        await AssertStatusAsync(HttpStatusCode.OK, token);
        await AssertStatusAsync(HttpStatusCode.OK, other);

        using var signOut = await SendAsync(token, "/api/v1/iam/auth/sign-out", HttpMethod.Post);

        Assert.Equal(HttpStatusCode.OK, signOut.StatusCode);
        Assert.Null(Http.Header(signOut, CredentialEviction.HeaderName));
        using var after = await SendAsync(token);
        await Http.AssertEnvelopeAsync(after, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.Equal("Bearer", Http.Header(after, "WWW-Authenticate"));
        // Another user's cached session is untouched.
        var calls = Iam.SessionCalls;
        await AssertStatusAsync(HttpStatusCode.OK, other);
        Assert.Equal(calls, Iam.SessionCalls);
    }

    [Fact]
    public async Task EvictionHeader_FromAnUpstreamOtherThanIam_IsIgnored()
    {
        // The recorder's "hop-by-hop" answer carries x-nno-cache-evict: session=abc from Billing.
        var token = "evict-probe-" + Guid.NewGuid().ToString("N");
        Iam.AddSession(token, new TestSession("usr_evictprobe", "abc", _platform.Platform.Time.GetUtcNow().AddDays(1)));
        await AssertStatusAsync(HttpStatusCode.OK, token);
        Iam.Revoke(token);

        using var request = GatewayPlatform.Request(HttpMethod.Get, "/api/v1/billing/x", token, out _);
        request.Headers.Add(UpstreamRecorder.ScenarioHeader, "hop-by-hop");
        using var billing = await _platform.Gateway.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, billing.StatusCode);
        Assert.Null(Http.Header(billing, CredentialEviction.HeaderName));
        await AssertStatusAsync(HttpStatusCode.OK, token);
        Assert.Equal(1, Iam.SessionCalls);
    }

    [Fact]
    public async Task MembershipChange_PublishedOnTheEvictionChannel_ReachesTheNextRequest()
    {
        var token = _platform.NewSession(out var session, platforms: new Dictionary<string, string> { ["kkkkkkkkk1"] = "owner" });
        Assert.Equal("kkkkkkkkk1:owner", (await ForwardedAsync(token)).Header("X-Nno-Platforms"));

        // An internal call (the Registry writing a membership) changes IAM's answer; without an eviction the cache still serves the old one.
        Iam.UpdateUserSessions(session.UserId, s => s with { Platforms = new Dictionary<string, string> { ["kkkkkkkkk1"] = "owner", ["bbbbbbbbb1"] = "member" } });
        Assert.Equal("kkkkkkkkk1:owner", (await ForwardedAsync(token)).Header("X-Nno-Platforms"));

        _platform.Platform.Host.Directory.Evictions.Publish([CredentialEviction.User(session.UserId)]);

        Assert.Equal("bbbbbbbbb1:member,kkkkkkkkk1:owner", (await ForwardedAsync(token)).Header("X-Nno-Platforms"));
        Assert.Equal(2, Iam.SessionCalls);
    }

    [Fact]
    public async Task ApiKeyRevocation_PublishedOnTheChannel_Answers401AtOnce()
    {
        var key = _platform.NewApiKey(out var apiKey, ["stacks:read"]);
        await AssertStatusAsync(HttpStatusCode.OK, key);

        Iam.Revoke(key);
        _platform.Platform.Host.Directory.Evictions.Publish([CredentialEviction.ApiKey(apiKey.KeyId)]);

        await AssertStatusAsync(HttpStatusCode.Unauthorized, key);
        Assert.Equal(2, Iam.VerifyCalls);
    }

    [Fact]
    public async Task EvictionWhileAValidationIsInFlight_LeavesNothingStaleInTheCache()
    {
        var token = _platform.NewSession(out var session);
        Iam.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pending = SendAsync(token);
        await Iam.HangArrived.Task.WaitAsync(TimeSpan.FromSeconds(10));

        _platform.Platform.Host.Directory.Evictions.Publish([CredentialEviction.User(session.UserId)]);
        var gate = Iam.Gate;
        Iam.Gate = null;
        gate.SetResult();
        using (var first = await pending)
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        await AssertStatusAsync(HttpStatusCode.OK, token);
        Assert.Equal(2, Iam.SessionCalls);
    }

    [Fact]
    public async Task HundredConcurrentFirstRequests_MakeExactlyOneIamCall()
    {
        var token = _platform.NewSession(out _);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Iam.Gate = gate;
        var requests = Enumerable.Range(0, 100).Select(_ => Task.Run(() => SendAsync(token))).ToArray();
        await Iam.HangArrived.Task.WaitAsync(TimeSpan.FromSeconds(10));
        // Let the other requests reach the gateway while the one call is held; late ones find the cache filled.
        await Task.Delay(300);
        Iam.Gate = null;
        gate.SetResult();

        var responses = await Task.WhenAll(requests);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(1, Iam.SessionCalls);
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task NegativeCache_ShieldsIamForFiveSeconds()
    {
        var unknownKey = Nno.Core.Credentials.ApiKeyFormat.Generate(Nno.Core.Environments.NnoEnvironment.Local);
        for (var i = 0; i < 5; i++)
        {
            await AssertStatusAsync(HttpStatusCode.Unauthorized, "unknown-session-token");
            await AssertStatusAsync(HttpStatusCode.Unauthorized, unknownKey);
        }

        Assert.Equal((1, 1), (Iam.SessionCalls, Iam.VerifyCalls));

        _platform.Platform.Time.Advance(TimeSpan.FromSeconds(5));
        await AssertStatusAsync(HttpStatusCode.Unauthorized, "unknown-session-token");
        await AssertStatusAsync(HttpStatusCode.Unauthorized, unknownKey);
        Assert.Equal((2, 2), (Iam.SessionCalls, Iam.VerifyCalls));
    }

    [Theory]
    [InlineData(TestIamMode.ServerError)]
    [InlineData(TestIamMode.Unreachable)]
    [InlineData(TestIamMode.Hang)]
    public async Task IamUnavailable_CachedCredentialsWorkUntilTheTtl_UncachedOnesGet503(TestIamMode mode)
    {
        var cached = _platform.NewSession(out _);
        var cachedKey = _platform.NewApiKey(out _, ["stacks:read"]);
        var uncached = _platform.NewSession(out _);
        var uncachedKey = _platform.NewApiKey(out _, ["stacks:read"]);
        await AssertStatusAsync(HttpStatusCode.OK, cached);
        await AssertStatusAsync(HttpStatusCode.OK, cachedKey);

        Iam.Mode = mode;
        await AssertStatusAsync(HttpStatusCode.OK, cached);
        await AssertStatusAsync(HttpStatusCode.OK, cachedKey);
        foreach (var credential in new[] { uncached, uncachedKey })
        {
            await AssertUnavailableAsync(credential, mode);
        }

        // Past the TTL the cached ones need IAM too: 503, never 200.
        _platform.Platform.Time.Advance(TimeSpan.FromSeconds(31));
        await AssertUnavailableAsync(cached, mode);
        await AssertUnavailableAsync(cachedKey, mode);

        // Nothing was cached negative: IAM back, the credentials work.
        Iam.Mode = TestIamMode.Normal;
        await AssertStatusAsync(HttpStatusCode.OK, uncached);
        await AssertStatusAsync(HttpStatusCode.OK, uncachedKey);
    }

    private async Task AssertUnavailableAsync(string credential, TestIamMode mode)
    {
        var pending = SendAsync(credential);
        if (mode == TestIamMode.Hang)
        {
            await Iam.HangArrived.Task.WaitAsync(TimeSpan.FromSeconds(10));
            // The gateway gives up after 5 s on the platform clock.
            while (!pending.IsCompleted)
            {
                _platform.Platform.Time.Advance(TimeSpan.FromSeconds(5));
                await Task.WhenAny(pending, Task.Delay(50));
            }

            Iam.ResetHang();
        }

        using var response = await pending;
        await Http.AssertEnvelopeAsync(response, HttpStatusCode.ServiceUnavailable, "SERVICE_UNAVAILABLE");
        Assert.Equal("5", Http.Header(response, "Retry-After"));
    }

    [Fact]
    public async Task CacheMetric_CountsMissesHitsAndNegativeHits()
    {
        var meter = _platform.Platform.Host.Apps[NnoServices.Gateway].Services.GetRequiredService<IMeterFactory>().Create(NnoServiceDefaults.TelemetryName);
        var counts = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, meter) && instrument.Name == "nno_gateway_credential_cache_total")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var labels = tags.ToArray().ToDictionary(t => t.Key, t => t.Value as string);
            counts.AddOrUpdate(labels["kind"] + "/" + labels["result"], value, (_, v) => v + value);
        });
        listener.Start();

        var token = _platform.NewSession(out _);
        var key = _platform.NewApiKey(out _, ["stacks:read"]);
        await AssertStatusAsync(HttpStatusCode.OK, token);
        await AssertStatusAsync(HttpStatusCode.OK, token);
        await AssertStatusAsync(HttpStatusCode.OK, key);
        await AssertStatusAsync(HttpStatusCode.Unauthorized, "nobody-knows-this-token");
        await AssertStatusAsync(HttpStatusCode.Unauthorized, "nobody-knows-this-token");

        Assert.Equal(2, counts.GetValueOrDefault("session/miss"));
        Assert.Equal(1, counts.GetValueOrDefault("session/hit"));
        Assert.Equal(1, counts.GetValueOrDefault("session/negative_hit"));
        Assert.Equal(1, counts.GetValueOrDefault("apikey/miss"));
    }
}

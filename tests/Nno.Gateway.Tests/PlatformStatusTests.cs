using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Nno.Core.Platforms;
using Nno.Core.Services;
using Nno.Gateway.Tests.Support;
using Nno.ServiceDefaults;

namespace Nno.Gateway.Tests;

/// <summary>The platform status check (gateway.md §4.6, §7 tests 16, 17, 33) on the shared platform, with the real KV.</summary>
[Collection(GatewayCollection.Name)]
public sealed class PlatformStatusTests(GatewayFixture fixture)
{
    private GatewayPlatform Platform => fixture.Platform;

    [Fact]
    public async Task Suspended_BlocksWritesOnItsRoutes_ReadsCancelAndOtherPlatformsPass()
    {
        var (a, b) = (GatewayPlatform.NewPlatformId(), GatewayPlatform.NewPlatformId());
        await Platform.SetPlatformStatusAsync(a, PlatformStatuses.Suspended);
        await Platform.SetPlatformStatusAsync(b, PlatformStatuses.Active);
        var user = Platform.NewSession(out _, platforms: Owner(a, b), activePlatformId: a);

        await StatusCalls.AssertBlockedAsync(Platform, HttpMethod.Post, $"/api/v1/platforms/{a}/entities", user, "PLATFORM_SUSPENDED", a, "suspended");
        await StatusCalls.AssertBlockedAsync(Platform, HttpMethod.Delete, $"/api/v1/platforms/{a}", user, "PLATFORM_SUSPENDED", a, "suspended");
        await StatusCalls.AssertBlockedAsync(Platform, HttpMethod.Patch, $"/api/v1/cli/{a}/features/activate", user, "PLATFORM_SUSPENDED", a, "suspended");
        await StatusCalls.AssertBlockedAsync(Platform, HttpMethod.Post, $"/api/v1/cli/{a}", user, "PLATFORM_SUSPENDED", a, "suspended");

        await StatusCalls.AssertForwardedAsync(Platform, HttpMethod.Get, $"/api/v1/platforms/{a}", user);
        await StatusCalls.AssertForwardedAsync(Platform, HttpMethod.Get, $"/api/v1/platforms/{a}/entities", user);
        await StatusCalls.AssertForwardedAsync(Platform, HttpMethod.Head, $"/api/v1/platforms/{a}/entities", user);
        await StatusCalls.AssertForwardedAsync(Platform, HttpMethod.Get, $"/api/v1/cli/{a}/features", user);
        await StatusCalls.AssertForwardedAsync(Platform, HttpMethod.Post, $"/api/v1/platforms/{a}/cancel", user);
        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Post, HttpMethod.Put, HttpMethod.Delete })
        {
            await StatusCalls.AssertForwardedAsync(Platform, method, $"/api/v1/billing/subscription?platformId={a}", user);
            await StatusCalls.AssertForwardedAsync(Platform, method, "/api/v1/iam/auth/session", user);
        }

        await StatusCalls.AssertForwardedAsync(Platform, HttpMethod.Post, $"/api/v1/platforms/{b}/entities", user);
        await StatusCalls.AssertForwardedAsync(Platform, HttpMethod.Post, $"/api/v1/cli/{b}/features/activate", user);
    }

    [Fact]
    public async Task RoutesNamingNoPlatform_AreNotChecked_AndTheQueryNeverChangesTheTarget()
    {
        // Decision 0301: the normative target rule of §4.6 (no platform in the path → no check) wins over the
        // sentence of §7 test 16 that has onboarding and provisioning checked against the active platform.
        var (a, b) = (GatewayPlatform.NewPlatformId(), GatewayPlatform.NewPlatformId());
        await Platform.SetPlatformStatusAsync(a, PlatformStatuses.Suspended);
        await Platform.SetPlatformStatusAsync(b, PlatformStatuses.Active);
        var user = Platform.NewSession(out _, platforms: Owner(a, b), activePlatformId: a);

        await StatusCalls.AssertForwardedAsync(Platform, HttpMethod.Post, "/api/v1/onboarding", user);
        await StatusCalls.AssertForwardedAsync(Platform, HttpMethod.Get, $"/api/v1/provisioning/jobs?platformId={b}", user);
        await StatusCalls.AssertForwardedAsync(Platform, HttpMethod.Post, $"/api/v1/provisioning/jobs?platformId={a}", user);
        await StatusCalls.AssertForwardedAsync(Platform, HttpMethod.Post, "/api/v1/stacks", user);
        await StatusCalls.AssertForwardedAsync(Platform, HttpMethod.Post, "/api/v1/platforms", user);

        // The path names the target; a platformId in the query never replaces it.
        await StatusCalls.AssertForwardedAsync(Platform, HttpMethod.Post, $"/api/v1/platforms/{b}/entities?platformId={a}", user);
        await StatusCalls.AssertBlockedAsync(Platform, HttpMethod.Post, $"/api/v1/platforms/{a}/entities?platformId={b}", user, "PLATFORM_SUSPENDED", a, "suspended");

        // A JSON body naming the suspended platform does not make a target either.
        using var request = GatewayPlatform.Request(HttpMethod.Post, "/api/v1/onboarding", user, out var id);
        request.Content = JsonContent.Create(new { platformId = a });
        using var response = await Platform.Gateway.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(Platform.Recorder.For(id));
    }

    [Fact]
    public async Task TheTargetIsOnlyATenCharacterLowercaseAlphanumericSegment()
    {
        var pid = GatewayPlatform.NewPlatformId();
        var upper = pid.ToUpperInvariant();
        var longer = pid + "x";
        foreach (var id in new[] { pid, upper, longer, pid[..9] })
        {
            await Platform.SetPlatformStatusAsync(id, PlatformStatuses.Suspended);
        }

        var user = Platform.NewSession(out _);

        await StatusCalls.AssertForwardedAsync(Platform, HttpMethod.Post, $"/api/v1/platforms/{upper}/entities", user);
        await StatusCalls.AssertForwardedAsync(Platform, HttpMethod.Post, $"/api/v1/platforms/{longer}/entities", user);
        await StatusCalls.AssertForwardedAsync(Platform, HttpMethod.Post, $"/api/v1/platforms/{pid[..9]}", user);
        await StatusCalls.AssertForwardedAsync(Platform, HttpMethod.Post, $"/api/v1/stacks/{pid}", user);
        await StatusCalls.AssertBlockedAsync(Platform, HttpMethod.Post, $"/api/v1/platforms/{pid}", user, "PLATFORM_SUSPENDED", pid, "suspended");
        await StatusCalls.AssertBlockedAsync(Platform, HttpMethod.Post, $"/api/v1/platforms/{pid}/", user, "PLATFORM_SUSPENDED", pid, "suspended");
        await StatusCalls.AssertBlockedAsync(Platform, HttpMethod.Put, $"/api/v1/cli/{pid}/a/b/c", user, "PLATFORM_SUSPENDED", pid, "suspended");
    }

    [Theory]
    [InlineData(PlatformStatuses.Cancelled)]
    [InlineData(PlatformStatuses.Deleted)]
    public async Task CancelledOrDeleted_OnlyReadingTheRecordAndCancelPass(string status)
    {
        var a = GatewayPlatform.NewPlatformId();
        await Platform.SetPlatformStatusAsync(a, status);
        var user = Platform.NewSession(out _, platforms: Owner(a), activePlatformId: a);

        await StatusCalls.AssertForwardedAsync(Platform, HttpMethod.Get, $"/api/v1/platforms/{a}", user);
        await StatusCalls.AssertForwardedAsync(Platform, HttpMethod.Head, $"/api/v1/platforms/{a}", user);
        await StatusCalls.AssertForwardedAsync(Platform, HttpMethod.Post, $"/api/v1/platforms/{a}/cancel", user);

        await StatusCalls.AssertBlockedAsync(Platform, HttpMethod.Get, $"/api/v1/platforms/{a}/entities", user, "PLATFORM_INACTIVE", a, status);
        await StatusCalls.AssertBlockedAsync(Platform, HttpMethod.Get, $"/api/v1/platforms/{a}/", user, "PLATFORM_INACTIVE", a, status);
        await StatusCalls.AssertBlockedAsync(Platform, HttpMethod.Post, $"/api/v1/platforms/{a}/entities", user, "PLATFORM_INACTIVE", a, status);
        await StatusCalls.AssertBlockedAsync(Platform, HttpMethod.Patch, $"/api/v1/platforms/{a}", user, "PLATFORM_INACTIVE", a, status);
        await StatusCalls.AssertBlockedAsync(Platform, HttpMethod.Get, $"/api/v1/cli/{a}", user, "PLATFORM_INACTIVE", a, status);
        await StatusCalls.AssertBlockedAsync(Platform, HttpMethod.Post, $"/api/v1/platforms/{a}/cancel/x", user, "PLATFORM_INACTIVE", a, status);
        await StatusCalls.AssertBlockedAsync(Platform, HttpMethod.Put, $"/api/v1/platforms/{a}/cancel", user, "PLATFORM_INACTIVE", a, status);

        // Decision 0300: an owner may always delete a cancelled platform (§4.6, 00-system §11); once deleted, the
        // delete route answers PLATFORM_INACTIVE like everything else (§7 test 17).
        if (status == PlatformStatuses.Cancelled)
        {
            await StatusCalls.AssertForwardedAsync(Platform, HttpMethod.Post, $"/api/v1/platforms/{a}/delete", user);
        }
        else
        {
            await StatusCalls.AssertBlockedAsync(Platform, HttpMethod.Post, $"/api/v1/platforms/{a}/delete", user, "PLATFORM_INACTIVE", a, status);
        }
    }

    [Theory]
    [InlineData(PlatformStatuses.Pending)]
    [InlineData(PlatformStatuses.Provisioning)]
    [InlineData(PlatformStatuses.Active)]
    [InlineData(PlatformStatuses.PendingCancellation)]
    public async Task UsableStatuses_PassEveryMethod(string status)
    {
        var a = GatewayPlatform.NewPlatformId();
        await Platform.SetPlatformStatusAsync(a, status, PlatformTiers.Growth);
        var user = Platform.NewSession(out _, platforms: Owner(a), activePlatformId: a);

        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Post, HttpMethod.Put, HttpMethod.Patch, HttpMethod.Delete })
        {
            await StatusCalls.AssertForwardedAsync(Platform, method, $"/api/v1/platforms/{a}/entities", user);
            await StatusCalls.AssertForwardedAsync(Platform, method, $"/api/v1/cli/{a}/deploy", user);
        }

        await StatusCalls.AssertForwardedAsync(Platform, HttpMethod.Post, $"/api/v1/platforms/{a}/delete", user);
    }

    [Fact]
    public async Task Suspended_SuspensionAndRestore_AreHonouredOnceTheFreshnessWindowPassed()
    {
        var a = GatewayPlatform.NewPlatformId();
        await Platform.SetPlatformStatusAsync(a, PlatformStatuses.Suspended);
        var user = Platform.NewSession(out _, platforms: Owner(a), activePlatformId: a);
        var path = $"/api/v1/platforms/{a}/entities";
        await StatusCalls.AssertBlockedAsync(Platform, HttpMethod.Post, path, user, "PLATFORM_SUSPENDED", a, "suspended");

        await Platform.SetPlatformStatusAsync(a, PlatformStatuses.Active, version: 2);
        await StatusCalls.AssertBlockedAsync(Platform, HttpMethod.Post, path, user, "PLATFORM_SUSPENDED", a, "suspended");
        Platform.Platform.Time.Advance(TimeSpan.FromSeconds(9.9));
        await StatusCalls.AssertBlockedAsync(Platform, HttpMethod.Post, path, user, "PLATFORM_SUSPENDED", a, "suspended");

        Platform.Platform.Time.Advance(TimeSpan.FromSeconds(0.1));
        await StatusCalls.AssertForwardedAsync(Platform, HttpMethod.Post, path, user);
    }

    [Fact]
    public async Task Acceptance_SuspendedUserBlockedOnWritesWithinTheCacheWindow_CanReadWhy_OperatorNot_OtherPlatformsUnaffected()
    {
        var (a, c) = (GatewayPlatform.NewPlatformId(), GatewayPlatform.NewPlatformId());
        await Platform.SetPlatformStatusAsync(a, PlatformStatuses.Active);
        await Platform.SetPlatformStatusAsync(c, PlatformStatuses.Active);
        var user = Platform.NewSession(out _, platforms: Owner(a), activePlatformId: a);
        var otherUser = Platform.NewSession(out _, platforms: Owner(c), activePlatformId: c);
        var operatorSession = Platform.NewSession(out _, role: "platform-admin");
        await StatusCalls.AssertForwardedAsync(Platform, HttpMethod.Post, $"/api/v1/platforms/{a}/entities", user);

        // The Registry suspends A: within the 10 s window every gateway replica enforces it.
        await Platform.SetPlatformStatusAsync(a, PlatformStatuses.Suspended, version: 2);
        Platform.Platform.Time.Advance(TimeSpan.FromSeconds(10));

        var error = await StatusCalls.AssertBlockedAsync(Platform, HttpMethod.Post, $"/api/v1/platforms/{a}/entities", user, "PLATFORM_SUSPENDED", a, "suspended");
        Assert.Contains("suspended", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        await StatusCalls.AssertForwardedAsync(Platform, HttpMethod.Get, $"/api/v1/platforms/{a}", user);
        await StatusCalls.AssertForwardedAsync(Platform, HttpMethod.Post, $"/api/v1/platforms/{a}/entities", operatorSession);
        await StatusCalls.AssertForwardedAsync(Platform, HttpMethod.Post, $"/api/v1/platforms/{c}/entities", otherUser);
    }

    [Fact]
    public async Task Operators_TheStaticKey_AndApiKeysOwnedByOperators_AreNeverBlocked()
    {
        var a = GatewayPlatform.NewPlatformId();
        await Platform.SetPlatformStatusAsync(a, PlatformStatuses.Deleted);
        var operatorSession = Platform.NewSession(out _, role: "platform-admin");
        var operatorKey = Nno.Core.Credentials.ApiKeyFormat.Generate(Nno.Core.Environments.NnoEnvironment.Local);
        Platform.Iam.AddApiKey(operatorKey, new TestApiKey("key_op" + a, "usr_op" + a, ["platforms:write", "cli:write"], "platform-admin"));
        var userKey = Platform.NewApiKey(out _, ["platforms:write"], a, "owner");

        foreach (var credential in new[] { operatorSession, operatorKey, GatewayPlatform.StaticKey })
        {
            await StatusCalls.AssertForwardedAsync(Platform, HttpMethod.Post, $"/api/v1/platforms/{a}/entities", credential);
            await StatusCalls.AssertForwardedAsync(Platform, HttpMethod.Delete, $"/api/v1/platforms/{a}", credential);
            await StatusCalls.AssertForwardedAsync(Platform, HttpMethod.Post, $"/api/v1/cli/{a}/deploy", credential);
        }

        await StatusCalls.AssertBlockedAsync(Platform, HttpMethod.Post, $"/api/v1/platforms/{a}/entities", userKey, "PLATFORM_INACTIVE", a, "deleted");
    }

    [Fact]
    public async Task ApiKeyBoundToA_IsCheckedAgainstThePlatformItsPathNames()
    {
        // §7 test 33: the key's own platform is irrelevant to the check; the path's platform is checked, and the
        // Registry still receives only the key's platform list (it then answers 404 for B).
        var (a, b) = (GatewayPlatform.NewPlatformId(), GatewayPlatform.NewPlatformId());
        await Platform.SetPlatformStatusAsync(a, PlatformStatuses.Active);
        await Platform.SetPlatformStatusAsync(b, PlatformStatuses.Suspended);
        var key = Platform.NewApiKey(out _, ["platforms:write"], a, "owner");

        await StatusCalls.AssertBlockedAsync(Platform, HttpMethod.Post, $"/api/v1/platforms/{b}/entities", key, "PLATFORM_SUSPENDED", b, "suspended");
        var forwarded = await StatusCalls.AssertForwardedAsync(Platform, HttpMethod.Get, $"/api/v1/platforms/{b}/entities", key);
        Assert.Equal($"{a}:owner", forwarded.Header("X-Nno-Platforms"));
        await StatusCalls.AssertForwardedAsync(Platform, HttpMethod.Post, $"/api/v1/platforms/{a}/entities", key);

        await Platform.SetPlatformStatusAsync(b, PlatformStatuses.Active, version: 2);
        Platform.Platform.Time.Advance(TimeSpan.FromSeconds(10));
        forwarded = await StatusCalls.AssertForwardedAsync(Platform, HttpMethod.Post, $"/api/v1/platforms/{b}/entities", key);
        Assert.Equal($"{a}:owner", forwarded.Header("X-Nno-Platforms"));
    }

    [Fact]
    public async Task ForgedPlatformHeaders_DoNotMakeASessionSubjectToAnotherPlatformsSuspension()
    {
        var (a, b) = (GatewayPlatform.NewPlatformId(), GatewayPlatform.NewPlatformId());
        await Platform.SetPlatformStatusAsync(a, PlatformStatuses.Active);
        await Platform.SetPlatformStatusAsync(b, PlatformStatuses.Suspended);
        var user = Platform.NewSession(out _, platforms: Owner(a), activePlatformId: a);

        foreach (var path in new[] { $"/api/v1/platforms/{a}/entities", "/api/v1/stacks", "/api/v1/onboarding" })
        {
            using var request = GatewayPlatform.Request(HttpMethod.Post, path, user, out var id);
            request.Headers.TryAddWithoutValidation("X-Nno-Platform-Id", b);
            request.Headers.TryAddWithoutValidation("X-Nno-Platforms", $"{b}:owner");
            using var response = await Platform.Gateway.SendAsync(request);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var upstream = Platform.Recorder.One(id);
            Assert.Equal($"{a}:owner", upstream.Header("X-Nno-Platforms"));
            Assert.Equal(a, upstream.Header("X-Nno-Platform-Id"));
        }
    }

    [Fact]
    public async Task BareStatusValue_IsHonoured_UnknownValuesFailOpenWithOneWarningAMinute_AndAreCounted()
    {
        var (bare, missing, garbage, odd) = (GatewayPlatform.NewPlatformId(), GatewayPlatform.NewPlatformId(), GatewayPlatform.NewPlatformId(), GatewayPlatform.NewPlatformId());
        await Platform.SetPlatformStatusValueAsync(bare, "suspended");
        await Platform.SetPlatformStatusValueAsync(garbage, "{\"status\":");
        await Platform.SetPlatformStatusValueAsync(odd, "{\"status\":\"frozen\",\"tier\":\"scale\"}");
        var user = Platform.NewSession(out _);
        using var metrics = new GatewayCounters(Platform);

        await StatusCalls.AssertBlockedAsync(Platform, HttpMethod.Post, $"/api/v1/platforms/{bare}/entities", user, "PLATFORM_SUSPENDED", bare, "suspended");
        foreach (var pid in new[] { missing, garbage, odd })
        {
            for (var i = 0; i < 3; i++)
            {
                await StatusCalls.AssertForwardedAsync(Platform, HttpMethod.Post, $"/api/v1/platforms/{pid}/entities", user);
            }

            Assert.Single(StatusCalls.Warnings(Platform, pid));
        }

        Assert.Equal(9, metrics.Total("nno_gateway_platform_status_unknown_total"));
        Assert.Equal(1, metrics.Total("nno_gateway_platform_blocked_total", "PLATFORM_SUSPENDED"));

        // The throttle lets one more warning through per platform once the interval passed.
        Platform.Platform.Time.Advance(TimeSpan.FromMinutes(1));
        await StatusCalls.AssertForwardedAsync(Platform, HttpMethod.Post, $"/api/v1/platforms/{missing}/entities", user);
        await StatusCalls.AssertForwardedAsync(Platform, HttpMethod.Post, $"/api/v1/platforms/{missing}/entities", user);
        Assert.Equal(2, StatusCalls.Warnings(Platform, missing).Count);
    }

    [Fact]
    public async Task BlockedCounter_CountsEachRefusalByCode()
    {
        var (s, d) = (GatewayPlatform.NewPlatformId(), GatewayPlatform.NewPlatformId());
        await Platform.SetPlatformStatusAsync(s, PlatformStatuses.Suspended);
        await Platform.SetPlatformStatusAsync(d, PlatformStatuses.Deleted);
        var user = Platform.NewSession(out _);
        using var metrics = new GatewayCounters(Platform);

        await StatusCalls.AssertBlockedAsync(Platform, HttpMethod.Post, $"/api/v1/platforms/{s}/x", user, "PLATFORM_SUSPENDED", s, "suspended");
        await StatusCalls.AssertBlockedAsync(Platform, HttpMethod.Post, $"/api/v1/platforms/{s}/y", user, "PLATFORM_SUSPENDED", s, "suspended");
        await StatusCalls.AssertBlockedAsync(Platform, HttpMethod.Get, $"/api/v1/platforms/{d}/x", user, "PLATFORM_INACTIVE", d, "deleted");
        await StatusCalls.AssertForwardedAsync(Platform, HttpMethod.Get, $"/api/v1/platforms/{s}/x", user);

        Assert.Equal(2, metrics.Total("nno_gateway_platform_blocked_total", "PLATFORM_SUSPENDED"));
        Assert.Equal(1, metrics.Total("nno_gateway_platform_blocked_total", "PLATFORM_INACTIVE"));
    }

    [Fact]
    public async Task AccessLog_CarriesTheTargetPlatformId_NeverOneFromTheQuery()
    {
        var a = GatewayPlatform.NewPlatformId();
        await Platform.SetPlatformStatusAsync(a, PlatformStatuses.Suspended);
        var user = Platform.NewSession(out _);

        var (forwarded, _) = await StatusCalls.SendAsync(Platform, HttpMethod.Get, $"/api/v1/cli/{a}/features", user);
        var (blocked, _) = await StatusCalls.SendAsync(Platform, HttpMethod.Post, $"/api/v1/platforms/{a}/entities", user);
        var (untargeted, _) = await StatusCalls.SendAsync(Platform, HttpMethod.Get, $"/api/v1/billing/subscription?platformId={a}", user);
        var (operatorCall, _) = await StatusCalls.SendAsync(Platform, HttpMethod.Post, $"/api/v1/platforms/{a}/entities", GatewayPlatform.StaticKey);

        Assert.Equal(a, (await StatusCalls.AccessLogAsync(Platform, forwarded)).Field("platformId"));
        var blockedLine = await StatusCalls.AccessLogAsync(Platform, blocked);
        Assert.Equal(a, blockedLine.Field("platformId"));
        Assert.Equal("PLATFORM_SUSPENDED", blockedLine.Field("errorCode"));
        Assert.Null((await StatusCalls.AccessLogAsync(Platform, untargeted)).Field("platformId"));
        Assert.Equal(a, (await StatusCalls.AccessLogAsync(Platform, operatorCall)).Field("platformId"));
    }

    [Fact]
    public async Task Ready_ReportsTheThreeChecksOfTheSpec()
    {
        using var response = await Platform.Gateway.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var checks = (await Http.JsonAsync(response)).GetProperty("checks");
        Assert.Equal("ok", checks.GetProperty("platformStatusKv").GetString());
        Assert.Equal("ok", checks.GetProperty("serviceToken").GetString());
        Assert.Equal("ok", checks.GetProperty("rateLimitStore").GetString());
    }

    private static Dictionary<string, string> Owner(params string[] platforms) =>
        platforms.ToDictionary(p => p, _ => "owner", StringComparer.Ordinal);
}

/// <summary>The status check when the KV fails or is slow (gateway.md §4.6, §7 test 18), on a platform of its own.</summary>
public sealed class PlatformStatusKvFailureTests : IAsyncLifetime
{
    private readonly SwitchableKeyValueStore _kv = new();
    private GatewayPlatform? _platform;

    private GatewayPlatform Platform => _platform!;

    public async Task InitializeAsync() =>
        _platform = await GatewayPlatform.StartAsync([NnoServices.Iam, NnoServices.Registry, NnoServices.Cli, NnoServices.Gateway], configureGateway: _kv.Register);

    public async Task DisposeAsync()
    {
        _kv.Gate?.TrySetResult();
        if (_platform is not null)
        {
            await _platform.DisposeAsync();
        }
    }

    [Fact]
    public async Task KvUnreachable_WithNoCachedValue_RequestsPass_AndOneWarningIsLoggedFor101Requests()
    {
        var a = GatewayPlatform.NewPlatformId();
        await Platform.SetPlatformStatusAsync(a, PlatformStatuses.Suspended);
        var user = Platform.NewSession(out _);
        _kv.Failing = true;

        for (var i = 0; i < 101; i++)
        {
            await StatusCalls.AssertForwardedAsync(Platform, HttpMethod.Post, $"/api/v1/platforms/{a}/entities", user);
            // Spread over (almost) a minute, so the failure backoff expires and the KV is retried in between.
            Platform.Platform.Time.Advance(TimeSpan.FromMilliseconds(500));
        }

        var warning = Assert.Single(StatusCalls.Warnings(Platform, a));
        Assert.Equal(LogLevel.Warning, warning.Level);
    }

    [Fact]
    public async Task KvFailing_AfterACachedSuspension_KeepsBlockingForFiveMinutes_ThenFailsOpen()
    {
        var a = GatewayPlatform.NewPlatformId();
        await Platform.SetPlatformStatusAsync(a, PlatformStatuses.Suspended);
        var user = Platform.NewSession(out _);
        var path = $"/api/v1/platforms/{a}/entities";
        await StatusCalls.AssertBlockedAsync(Platform, HttpMethod.Post, path, user, "PLATFORM_SUSPENDED", a, "suspended");

        _kv.Failing = true;
        Platform.Platform.Time.Advance(TimeSpan.FromSeconds(11));
        await StatusCalls.AssertBlockedAsync(Platform, HttpMethod.Post, path, user, "PLATFORM_SUSPENDED", a, "suspended");
        Assert.Single(StatusCalls.Warnings(Platform, a));
        Platform.Platform.Time.Advance(TimeSpan.FromMinutes(4.5));
        await StatusCalls.AssertBlockedAsync(Platform, HttpMethod.Post, path, user, "PLATFORM_SUSPENDED", a, "suspended");
        await StatusCalls.AssertForwardedAsync(Platform, HttpMethod.Get, path, user);

        Platform.Platform.Time.Advance(TimeSpan.FromSeconds(20));
        await StatusCalls.AssertForwardedAsync(Platform, HttpMethod.Post, path, user);

        // The KV answers again: its value counts at once (the failed read is not cached for longer than the backoff).
        _kv.Failing = false;
        Platform.Platform.Time.Advance(TimeSpan.FromSeconds(1));
        await StatusCalls.AssertBlockedAsync(Platform, HttpMethod.Post, path, user, "PLATFORM_SUSPENDED", a, "suspended");
    }

    [Fact]
    public async Task HundredConcurrentRequestsForAColdPlatform_ShareOneKvRead_AndHitsReadNothing()
    {
        var a = GatewayPlatform.NewPlatformId();
        await Platform.SetPlatformStatusAsync(a, PlatformStatuses.Suspended);
        var user = Platform.NewSession(out _);
        // Warm the session, so every request below reaches the status check at once.
        await StatusCalls.AssertForwardedAsync(Platform, HttpMethod.Get, "/api/v1/platforms", user);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _kv.Gate = gate;

        var requests = Enumerable.Range(0, 100)
            .Select(_ => Task.Run(() => StatusCalls.SendAsync(Platform, HttpMethod.Post, $"/api/v1/platforms/{a}/entities", user)))
            .ToArray();
        await _kv.ReadArrived.Task.WaitAsync(TimeSpan.FromSeconds(10));
        // Let the other requests reach the gateway while the one read is held; late ones find the cache filled.
        await Task.Delay(300);
        _kv.Gate = null;
        gate.SetResult();
        var results = await Task.WhenAll(requests);

        Assert.Equal(1, _kv.Reads(PlatformStatusKv.KeyFor(a)));
        foreach (var (response, id) in results)
        {
            await Http.AssertEnvelopeAsync(response, HttpStatusCode.Forbidden, "PLATFORM_SUSPENDED");
            Assert.Empty(Platform.Recorder.For(id));
            response.Dispose();
        }

        await StatusCalls.AssertBlockedAsync(Platform, HttpMethod.Post, $"/api/v1/platforms/{a}/entities", user, "PLATFORM_SUSPENDED", a, "suspended");
        Assert.Equal(1, _kv.Reads(PlatformStatusKv.KeyFor(a)));
    }

    [Fact]
    public async Task KvRead_TimesOutAfter200Milliseconds_OnTheGatewayClock_AndTheRequestFailsOpen()
    {
        var a = GatewayPlatform.NewPlatformId();
        await Platform.SetPlatformStatusAsync(a, PlatformStatuses.Suspended);
        var user = Platform.NewSession(out _);
        await StatusCalls.AssertForwardedAsync(Platform, HttpMethod.Get, "/api/v1/platforms", user);
        var hang = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _kv.Gate = hang;

        var pending = Task.Run(() => StatusCalls.SendAsync(Platform, HttpMethod.Post, $"/api/v1/platforms/{a}/entities", user));
        await _kv.ReadArrived.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(pending.IsCompleted);
        // The timeout runs on the fake clock: nothing happens until it moves past 200 ms (the timer may be armed a
        // moment after the read arrived, hence the steps).
        for (var i = 0; i < 100 && !pending.IsCompleted; i++)
        {
            Platform.Platform.Time.Advance(TimeSpan.FromMilliseconds(200));
            await Task.WhenAny(pending, Task.Delay(50));
        }

        var (response, id) = await pending.WaitAsync(TimeSpan.FromSeconds(10));
        using (response)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Single(Platform.Recorder.For(id));
        }

        Assert.Single(StatusCalls.Warnings(Platform, a));
        _kv.Gate = null;
        hang.SetResult();
    }

    [Fact]
    public async Task Ready_Is503WithTheChecksObject_WhenTheKvFails()
    {
        _kv.Failing = true;

        using var response = await Platform.Gateway.GetAsync("/health/ready");

        var error = await Http.AssertEnvelopeAsync(response, HttpStatusCode.ServiceUnavailable, "SERVICE_UNAVAILABLE");
        var checks = error.GetProperty("details").GetProperty("checks");
        Assert.Equal("failing", checks.GetProperty("platformStatusKv").GetString());
        Assert.Equal("ok", checks.GetProperty("serviceToken").GetString());

        _kv.Failing = false;
        using var recovered = await Platform.Gateway.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, recovered.StatusCode);
    }
}

/// <summary>Calls through the gateway and the assertions the status tests share.</summary>
internal static class StatusCalls
{
    private const string AccessLogCategory = "Nno.Gateway.AccessLog";

    public static async Task<(HttpResponseMessage Response, string RequestId)> SendAsync(GatewayPlatform platform, HttpMethod method, string path, string credential)
    {
        using var request = GatewayPlatform.Request(method, path, credential, out var id);
        if (method != HttpMethod.Get && method != HttpMethod.Head && method != HttpMethod.Delete)
        {
            request.Content = JsonContent.Create(new { name = "x" });
        }

        return (await platform.Gateway.SendAsync(request), id);
    }

    /// <summary>Asserts the request reached its upstream; returns what the upstream received.</summary>
    public static async Task<RecordedRequest> AssertForwardedAsync(GatewayPlatform platform, HttpMethod method, string path, string credential)
    {
        var (response, id) = await SendAsync(platform, method, path, credential);
        using (response)
        {
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{method} {path}: expected it forwarded, got {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            return Assert.Single(platform.Recorder.For(id));
        }
    }

    /// <summary>Asserts a 403 with <paramref name="code"/> and <c>details {platformId, status}</c>, not forwarded; returns <c>error</c>.</summary>
    public static async Task<System.Text.Json.JsonElement> AssertBlockedAsync(GatewayPlatform platform, HttpMethod method, string path, string credential, string code, string platformId, string status)
    {
        var (response, id) = await SendAsync(platform, method, path, credential);
        using (response)
        {
            var error = await Http.AssertEnvelopeAsync(response, HttpStatusCode.Forbidden, code);
            var details = error.GetProperty("details");
            Assert.Equal(platformId, details.GetProperty("platformId").GetString());
            Assert.Equal(status, details.GetProperty("status").GetString());
            Assert.Empty(platform.Recorder.For(id));
            return error.Clone();
        }
    }

    /// <summary>The gateway's platform-status warnings about <paramref name="platformId"/>.</summary>
    public static IReadOnlyList<CapturedLog> Warnings(GatewayPlatform platform, string platformId) =>
        platform.Logs.Entries.Where(e => e.Service == NnoServices.Gateway && e.Level == LogLevel.Warning
            && e.Category.StartsWith("Nno.Gateway.PlatformStatus", StringComparison.Ordinal)
            && Equals(e.Field("PlatformId"), platformId)).ToList();

    /// <summary>The access-log line of <paramref name="requestId"/>; written when the response completes, so it may trail the response.</summary>
    public static async Task<CapturedLog> AccessLogAsync(GatewayPlatform platform, HttpResponseMessage response)
    {
        var requestId = response.Headers.GetValues("X-Request-Id").Single();
        response.Dispose();
        for (var i = 0; i < 200; i++)
        {
            var entry = platform.Logs.Entries.SingleOrDefault(e => e.Category == AccessLogCategory && Equals(e.Field("scope:requestId"), requestId));
            if (entry is not null)
            {
                return entry;
            }

            await Task.Delay(25);
        }

        throw new Xunit.Sdk.XunitException($"No access-log line for {requestId}.");
    }
}

/// <summary>Sums the gateway's status and rate-limit counters on the <c>Nno</c> meter while alive, by instrument and <c>code</c> or <c>bucket</c> label.</summary>
internal sealed class GatewayCounters : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _totals = new(StringComparer.Ordinal);

    public GatewayCounters(GatewayPlatform platform)
    {
        var meter = platform.Platform.Host.Apps[NnoServices.Gateway].Services.GetRequiredService<IMeterFactory>().Create(NnoServiceDefaults.TelemetryName);
        _listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, meter) && (instrument.Name.StartsWith("nno_gateway_platform_", StringComparison.Ordinal) || instrument.Name == "nno_gateway_rate_limited_total"))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? code = null;
            foreach (var tag in tags)
            {
                if (tag.Key is "code" or "bucket")
                {
                    code = tag.Value as string;
                }
            }

            _totals.AddOrUpdate(instrument.Name, value, (_, v) => v + value);
            if (code is not null)
            {
                _totals.AddOrUpdate(instrument.Name + "/" + code, value, (_, v) => v + value);
            }
        });
        _listener.Start();
    }

    public long Total(string instrument, string? code = null) => _totals.GetValueOrDefault(code is null ? instrument : instrument + "/" + code);

    public void Dispose() => _listener.Dispose();
}

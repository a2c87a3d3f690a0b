using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Nno.Core.Services;
using Nno.Gateway.Tests.Support;

namespace Nno.Gateway.Tests;

/// <summary>
/// Rate limiting through the gateway (gateway.md §4.7; §7 tests 7, 19–21, 23): each test runs its own platform with the
/// limits it exercises (every other limit stays high) and a fake clock for refill. The test client is a trusted proxy,
/// so <c>X-Forwarded-For</c> chooses the client address.
/// </summary>
public sealed class RateLimitTests
{
    private static readonly string[] Services = [NnoServices.Iam, NnoServices.StackRegistry, NnoServices.Billing, NnoServices.Registry, NnoServices.Gateway];

    private static Dictionary<string, string?> Limits(params (string Bucket, double Capacity, double RefillPerMinute)[] limits)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Gateway:TrustedProxies:0"] = "127.0.0.1/32",
            ["Iam:Passwords:Iterations"] = "1000",
        };
        foreach (var (bucket, capacity, refill) in limits)
        {
            settings[$"Gateway:RateLimits:{bucket}:Capacity"] = capacity.ToString(CultureInfo.InvariantCulture);
            settings[$"Gateway:RateLimits:{bucket}:RefillPerMinute"] = refill.ToString(CultureInfo.InvariantCulture);
        }

        return settings;
    }

    private static Task<GatewayPlatform> StartAsync(params (string Bucket, double Capacity, double RefillPerMinute)[] limits) =>
        GatewayPlatform.StartAsync(Services, Limits(limits));

    private static async Task<HttpResponseMessage> SendAsync(GatewayPlatform platform, HttpMethod method, string path, string? credential = null, string ip = "203.0.113.5", object? body = null)
    {
        using var request = GatewayPlatform.Request(method, path, credential, out _);
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", ip);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        return await platform.Gateway.SendAsync(request);
    }

    private static Task<HttpResponseMessage> SignInAsync(GatewayPlatform platform, string ip = "203.0.113.5") =>
        SendAsync(platform, HttpMethod.Post, "/api/v1/iam/auth/sign-in/email", ip: ip, body: new { email = "someone@example.com", password = "not-the-password-1" });

    private static async Task<(string Bucket, int Limit, int RetryAfter)> AssertRateLimitedAsync(HttpResponseMessage response)
    {
        var error = await Http.AssertEnvelopeAsync(response, HttpStatusCode.TooManyRequests, "RATE_LIMITED");
        var details = error.GetProperty("details");
        var retryAfter = int.Parse(Http.Header(response, "Retry-After")!, CultureInfo.InvariantCulture);
        Assert.True(retryAfter >= 1);
        Assert.Equal(retryAfter, details.GetProperty("retryAfterSeconds").GetInt32());
        Assert.Equal("0", Http.Header(response, "RateLimit-Remaining"));
        Assert.Equal(details.GetProperty("limit").GetInt32().ToString(CultureInfo.InvariantCulture), Http.Header(response, "RateLimit-Limit"));
        Assert.Contains($"retry in {retryAfter} s", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        return (details.GetProperty("bucket").GetString()!, details.GetProperty("limit").GetInt32(), retryAfter);
    }

    [Fact]
    public async Task SignIn_ElevenInABurstFromOneIp_TheEleventhIs429_AnotherIpIsUnaffected()
    {
        await using var platform = await StartAsync(("signin", 10, 2), ("anon", 60, 60));
        using var counters = new GatewayCounters(platform);
        for (var i = 0; i < 10; i++)
        {
            using var passed = await SignInAsync(platform);
            Assert.NotEqual(HttpStatusCode.TooManyRequests, passed.StatusCode);
        }

        using (var limited = await SignInAsync(platform))
        {
            var (bucket, limit, retryAfter) = await AssertRateLimitedAsync(limited);
            Assert.Equal(("signin", 10, 30), (bucket, limit, retryAfter));
            Assert.Equal(1, counters.Total("nno_gateway_rate_limited_total", "signin"));
        }

        using (var other = await SignInAsync(platform, ip: "203.0.113.6"))
        {
            Assert.NotEqual(HttpStatusCode.TooManyRequests, other.StatusCode);
            Assert.Equal("9", Http.Header(other, "RateLimit-Remaining"));
        }

        platform.Platform.Time.Advance(TimeSpan.FromSeconds(30));
        using var afterWait = await SignInAsync(platform);
        Assert.NotEqual(HttpStatusCode.TooManyRequests, afterWait.StatusCode);
        Assert.Contains(platform.Logs.Entries, e => e.Message.Contains("POST /api/v1/iam/auth/sign-in/email 429", StringComparison.Ordinal)
            && Equals(e.Field("rateLimitBucket"), "signin"));
    }

    [Fact]
    public async Task SignUp_TheSixthInABurstIs429_AndFiveMoreOnlyAfterAnHour()
    {
        await using var platform = await StartAsync(("signup", 5, 5.0 / 60), ("anon", 60, 60));
        Task<HttpResponseMessage> SignUpAsync(int i) => SendAsync(platform, HttpMethod.Post, "/api/v1/iam/auth/sign-up/email",
            body: new { email = $"new{i}@example.com", password = "correct horse battery staple 9", name = "New" });

        for (var i = 0; i < 5; i++)
        {
            using var passed = await SignUpAsync(i);
            Assert.NotEqual(HttpStatusCode.TooManyRequests, passed.StatusCode);
        }

        using (var limited = await SignUpAsync(5))
        {
            Assert.Equal(("signup", 5, 720), await AssertRateLimitedAsync(limited));
        }

        // Continuous refill, one token every 12 minutes: after 59 minutes only four more fit, the fifth needs the hour.
        platform.Platform.Time.Advance(TimeSpan.FromMinutes(59));
        for (var i = 0; i < 4; i++)
        {
            using var passed = await SignUpAsync(10 + i);
            Assert.NotEqual(HttpStatusCode.TooManyRequests, passed.StatusCode);
        }

        using (var early = await SignUpAsync(14))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, early.StatusCode);
        }

        platform.Platform.Time.Advance(TimeSpan.FromMinutes(1));
        using (var fifth = await SignUpAsync(15))
        {
            Assert.NotEqual(HttpStatusCode.TooManyRequests, fifth.StatusCode);
        }

        using var again = await SignUpAsync(20);
        Assert.Equal(HttpStatusCode.TooManyRequests, again.StatusCode);
    }

    [Fact]
    public async Task StarterUser_The301stRequestInABurstIs429_AndPassesAfterRetryAfter()
    {
        await using var platform = await StartAsync(("user:none", 300, 300), ("user:starter", 300, 300), ("ip", 1_200, 1_200));
        var token = platform.NewSession(out _);
        for (var i = 0; i < 300; i++)
        {
            using var passed = await SendAsync(platform, HttpMethod.Get, "/api/v1/stacks", token);
            Assert.Equal(HttpStatusCode.OK, passed.StatusCode);
            Assert.Equal((299 - i).ToString(CultureInfo.InvariantCulture), Http.Header(passed, "RateLimit-Remaining"));
            Assert.Equal("300", Http.Header(passed, "RateLimit-Limit"));
        }

        int retryAfter;
        using (var limited = await SendAsync(platform, HttpMethod.Get, "/api/v1/stacks", token))
        {
            (var bucket, var limit, retryAfter) = await AssertRateLimitedAsync(limited);
            Assert.Equal(("user", 300), (bucket, limit));
            Assert.Equal("60", Http.Header(limited, "RateLimit-Reset"));
        }

        platform.Platform.Time.Advance(TimeSpan.FromSeconds(retryAfter));
        using var after = await SendAsync(platform, HttpMethod.Get, "/api/v1/stacks", token);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);

        // Another user from the same address has a bucket of their own.
        using var other = await SendAsync(platform, HttpMethod.Get, "/api/v1/stacks", platform.NewSession(out _));
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task A429ConsumesNoTokensFromTheOtherBuckets()
    {
        await using var platform = await StartAsync(("signin", 2, 1), ("anon", 4, 1), ("magiclink", 100, 100));
        for (var i = 0; i < 2; i++)
        {
            using var passed = await SignInAsync(platform);
            Assert.NotEqual(HttpStatusCode.TooManyRequests, passed.StatusCode);
        }

        for (var i = 0; i < 3; i++)
        {
            using var limited = await SignInAsync(platform);
            Assert.Equal("signin", (await AssertRateLimitedAsync(limited)).Bucket);
        }

        // "anon" still holds the 2 tokens the two admitted sign-ins left: two more public requests pass, the third is 429.
        Task<HttpResponseMessage> MagicLinkAsync() => SendAsync(platform, HttpMethod.Post, "/api/v1/iam/auth/sign-in/magic-link", body: new { email = "someone@example.com" });
        using (var first = await MagicLinkAsync())
        {
            Assert.NotEqual(HttpStatusCode.TooManyRequests, first.StatusCode);
            Assert.Equal("1", Http.Header(first, "RateLimit-Remaining"));
            Assert.Equal("4", Http.Header(first, "RateLimit-Limit"));
        }

        using (var second = await MagicLinkAsync())
        {
            Assert.Equal("0", Http.Header(second, "RateLimit-Remaining"));
        }

        using var third = await MagicLinkAsync();
        Assert.Equal("anon", (await AssertRateLimitedAsync(third)).Bucket);
    }

    [Fact]
    public async Task RejectedCredentialsSpendTheIpsAuthfailTokens_ThenEvenAValidOneIs429WithoutAskingIam()
    {
        await using var platform = await StartAsync(("authfail", 3, 30));
        var valid = platform.NewSession(out _);
        var bogus = new[] { "unknown-token-" + Guid.NewGuid().ToString("N"), "nno_local_bad", "Bearer-less" };
        foreach (var credential in bogus)
        {
            using var rejected = await SendAsync(platform, HttpMethod.Get, "/api/v1/stacks", credential);
            Assert.Equal(HttpStatusCode.Unauthorized, rejected.StatusCode);
        }

        // No credential at all is a plain 401 that neither spends nor is refused.
        using (var anonymous = await SendAsync(platform, HttpMethod.Get, "/api/v1/stacks"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        var iamCalls = platform.Iam.SessionCalls;
        using (var limited = await SendAsync(platform, HttpMethod.Get, "/api/v1/stacks", valid))
        {
            var (bucket, limit, retryAfter) = await AssertRateLimitedAsync(limited);
            Assert.Equal(("authfail", 3, 2), (bucket, limit, retryAfter));
        }

        using (var staticKey = await SendAsync(platform, HttpMethod.Get, "/api/v1/stacks", GatewayPlatform.StaticKey))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, staticKey.StatusCode);
        }

        Assert.Equal(iamCalls, platform.Iam.SessionCalls);
        using (var otherIp = await SendAsync(platform, HttpMethod.Get, "/api/v1/stacks", valid, ip: "198.51.100.7"))
        {
            Assert.Equal(HttpStatusCode.OK, otherIp.StatusCode);
        }

        platform.Platform.Time.Advance(TimeSpan.FromSeconds(2));
        using var recovered = await SendAsync(platform, HttpMethod.Get, "/api/v1/stacks", valid);
        Assert.Equal(HttpStatusCode.OK, recovered.StatusCode);
    }

    [Fact]
    public async Task TheStaticKey_IsNeverLimited_AndGetsNoRateLimitHeaders()
    {
        await using var platform = await StartAsync(("ip", 2, 1));
        for (var i = 0; i < 5; i++)
        {
            using var response = await SendAsync(platform, HttpMethod.Get, "/api/v1/stacks", GatewayPlatform.StaticKey);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Null(Http.Header(response, "RateLimit-Limit"));
            Assert.Null(Http.Header(response, "RateLimit-Remaining"));
        }

        // The same address is limited for everyone else.
        var token = platform.NewSession(out _);
        for (var i = 0; i < 2; i++)
        {
            using var passed = await SendAsync(platform, HttpMethod.Get, "/api/v1/stacks", token);
            Assert.Equal(HttpStatusCode.OK, passed.StatusCode);
        }

        using var limited = await SendAsync(platform, HttpMethod.Get, "/api/v1/stacks", token);
        Assert.Equal("ip", (await AssertRateLimitedAsync(limited)).Bucket);
    }

    [Fact]
    public async Task HealthIsFree_TheOpenApiDocumentAndWebhooksCountAgainstTheirOwnBuckets()
    {
        await using var platform = await StartAsync(("ip", 1, 0.001), ("wh-stripe", 2, 2));
        for (var i = 0; i < 5; i++)
        {
            using var health = await SendAsync(platform, HttpMethod.Get, "/health");
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            Assert.Null(Http.Header(health, "RateLimit-Limit"));
        }

        using (var openApi = await SendAsync(platform, HttpMethod.Get, "/openapi/v1.json"))
        {
            Assert.Equal(HttpStatusCode.OK, openApi.StatusCode);
            Assert.Equal("1", Http.Header(openApi, "RateLimit-Limit"));
        }

        using (var second = await SendAsync(platform, HttpMethod.Get, "/openapi/v1.json"))
        {
            Assert.Equal("ip", (await AssertRateLimitedAsync(second)).Bucket);
        }

        // Webhooks skip the (now empty) ip bucket and share one bucket per route, whatever the sender.
        for (var i = 0; i < 2; i++)
        {
            using var webhook = await SendAsync(platform, HttpMethod.Post, "/api/v1/billing/webhooks/stripe", ip: "192.0.2." + (10 + i), body: new { id = "evt_" + i });
            Assert.NotEqual(HttpStatusCode.TooManyRequests, webhook.StatusCode);
        }

        using var third = await SendAsync(platform, HttpMethod.Post, "/api/v1/billing/webhooks/stripe", ip: "192.0.2.99", body: new { id = "evt_3" });
        Assert.Equal(("wh-stripe", 2, 30), await AssertRateLimitedAsync(third));
    }

    [Fact]
    public async Task OperatorsHaveTheirOwnLimit_DeviceApprovalHasAPerUserBucket()
    {
        await using var platform = await StartAsync(("user:none", 1, 1), ("user:operator", 5, 5), ("devverify", 2, 1));
        var operatorToken = platform.NewSession(out _, role: "platform-admin");
        for (var i = 0; i < 5; i++)
        {
            using var passed = await SendAsync(platform, HttpMethod.Get, "/api/v1/stacks", operatorToken);
            Assert.Equal(HttpStatusCode.OK, passed.StatusCode);
            Assert.Equal("5", Http.Header(passed, "RateLimit-Limit"));
        }

        using (var limited = await SendAsync(platform, HttpMethod.Get, "/api/v1/stacks", operatorToken))
        {
            var (bucket, limit, _) = await AssertRateLimitedAsync(limited);
            Assert.Equal(("user", 5), (bucket, limit));
        }

        var approver = platform.NewSession(out _, role: "platform-admin");
        for (var i = 0; i < 2; i++)
        {
            using var passed = await SendAsync(platform, HttpMethod.Get, "/api/v1/iam/oauth/device?user_code=ABCD-EFGH", approver);
            Assert.NotEqual(HttpStatusCode.TooManyRequests, passed.StatusCode);
        }

        using var devverify = await SendAsync(platform, HttpMethod.Post, "/api/v1/iam/oauth/device/approve", approver, body: new { userCode = "ABCD-EFGH" });
        Assert.Equal("devverify", (await AssertRateLimitedAsync(devverify)).Bucket);
    }

    [Fact]
    public async Task ApiKeys_AreLimitedPerKey()
    {
        await using var platform = await StartAsync(("key:starter", 3, 3));
        var key = platform.NewApiKey(out _, ["stacks:read"]);
        for (var i = 0; i < 3; i++)
        {
            using var passed = await SendAsync(platform, HttpMethod.Get, "/api/v1/stacks", key);
            Assert.Equal(HttpStatusCode.OK, passed.StatusCode);
        }

        using (var limited = await SendAsync(platform, HttpMethod.Get, "/api/v1/stacks", key))
        {
            Assert.Equal(("key", 3, 20), await AssertRateLimitedAsync(limited));
        }

        using var otherKey = await SendAsync(platform, HttpMethod.Get, "/api/v1/stacks", platform.NewApiKey(out _, ["stacks:read"]));
        Assert.Equal(HttpStatusCode.OK, otherKey.StatusCode);
    }

    [Fact]
    public async Task SwitchedOff_NoBucketApplies_NotEvenAuthfail()
    {
        var settings = Limits(("ip", 1, 1), ("authfail", 1, 1), ("user:none", 1, 1));
        settings["Gateway:RateLimits:Enabled"] = "false";
        await using var platform = await GatewayPlatform.StartAsync(Services, settings);
        var token = platform.NewSession(out _);
        for (var i = 0; i < 3; i++)
        {
            using var rejected = await SendAsync(platform, HttpMethod.Get, "/api/v1/stacks", "unknown-" + i);
            Assert.Equal(HttpStatusCode.Unauthorized, rejected.StatusCode);
            using var passed = await SendAsync(platform, HttpMethod.Get, "/api/v1/stacks", token);
            Assert.Equal(HttpStatusCode.OK, passed.StatusCode);
            Assert.Null(Http.Header(passed, "RateLimit-Limit"));
        }
    }

    [Fact]
    public async Task TheTierOfThePlatformInThePath_SetsTheUserLimit_GrowthGets600_StarterAndNoPlatform300()
    {
        await using var platform = await StartAsync(("user:starter", 300, 300), ("user:growth", 600, 600), ("user:none", 300, 300), ("platform:growth", 3_000, 3_000), ("platform:starter", 1_200, 1_200));
        var growth = GatewayPlatform.NewPlatformId();
        var starter = GatewayPlatform.NewPlatformId();
        await platform.SetPlatformStatusAsync(growth, "active", "growth");
        await platform.SetPlatformStatusAsync(starter, "active", "starter");
        var platforms = new Dictionary<string, string> { [growth] = "owner", [starter] = "owner" };

        var growthUser = platform.NewSession(out _, platforms: platforms, activePlatformId: growth);
        for (var i = 0; i < 600; i++)
        {
            using var passed = await SendAsync(platform, HttpMethod.Get, $"/api/v1/platforms/{growth}", growthUser);
            Assert.Equal(HttpStatusCode.OK, passed.StatusCode);
            Assert.Equal("600", Http.Header(passed, "RateLimit-Limit"));
        }

        using (var limited = await SendAsync(platform, HttpMethod.Get, $"/api/v1/platforms/{growth}", growthUser))
        {
            var (bucket, limit, _) = await AssertRateLimitedAsync(limited);
            Assert.Equal(("user", 600), (bucket, limit));
        }

        var other = platform.NewSession(out _, platforms: platforms, activePlatformId: growth);
        using (var onStarter = await SendAsync(platform, HttpMethod.Get, $"/api/v1/platforms/{starter}", other))
        {
            Assert.Equal("300", Http.Header(onStarter, "RateLimit-Limit"));
        }

        // Aimed at no platform (the active one does not count): the "no platform" limit.
        using var noTarget = await SendAsync(platform, HttpMethod.Get, "/api/v1/stacks", platform.NewSession(out _, platforms: platforms, activePlatformId: growth));
        Assert.Equal("300", Http.Header(noTarget, "RateLimit-Limit"));
    }

    [Fact]
    public async Task ThePlatformBucket_IsSharedByEveryUserAimedAtThePlatform_OperatorsDoNotSpendIt()
    {
        await using var platform = await StartAsync(("platform:starter", 3, 3));
        var target = GatewayPlatform.NewPlatformId();
        await platform.SetPlatformStatusAsync(target, "active", "starter");
        var members = new Dictionary<string, string> { [target] = "member" };
        var first = platform.NewSession(out _, platforms: members);
        var second = platform.NewSession(out _, platforms: members);
        var operatorToken = platform.NewSession(out _, role: "platform-admin");
        var path = $"/api/v1/platforms/{target}/entities";

        foreach (var token in new[] { first, first, operatorToken, operatorToken, second })
        {
            using var passed = await SendAsync(platform, HttpMethod.Get, path, token);
            Assert.Equal(HttpStatusCode.OK, passed.StatusCode);
        }

        using (var limited = await SendAsync(platform, HttpMethod.Get, path, second))
        {
            Assert.Equal(("platform", 3, 20), await AssertRateLimitedAsync(limited));
        }

        // Another platform, and the operator, are unaffected.
        using (var elsewhere = await SendAsync(platform, HttpMethod.Get, $"/api/v1/platforms/{GatewayPlatform.NewPlatformId()}/entities", second))
        {
            Assert.Equal(HttpStatusCode.OK, elsewhere.StatusCode);
        }

        using var asOperator = await SendAsync(platform, HttpMethod.Get, path, operatorToken);
        Assert.Equal(HttpStatusCode.OK, asOperator.StatusCode);
    }

    [Fact]
    public async Task PlatformStatusSwitchedOff_ASuspendedPlatformIsNotChecked()
    {
        var settings = Limits();
        settings["Gateway:PlatformStatus:Enabled"] = "false";
        await using var platform = await GatewayPlatform.StartAsync(Services, settings);
        var target = GatewayPlatform.NewPlatformId();
        await platform.SetPlatformStatusAsync(target, "suspended", "starter");
        var owner = platform.NewSession(out _, platforms: new Dictionary<string, string> { [target] = "owner" });
        using var response = await SendAsync(platform, HttpMethod.Post, $"/api/v1/platforms/{target}/entities", owner, body: new { name = "x" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task TheIpBucketOfAnIpv6Client_CoversItsWhole64()
    {
        await using var platform = await StartAsync(("ip", 2, 1));
        var token = platform.NewSession(out _);
        using (var first = await SendAsync(platform, HttpMethod.Get, "/api/v1/stacks", token, ip: "2001:db8:1:2::10"))
        using (var second = await SendAsync(platform, HttpMethod.Get, "/api/v1/stacks", token, ip: "2001:db8:1:2:ffff::99"))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        }

        using (var sameSubnet = await SendAsync(platform, HttpMethod.Get, "/api/v1/stacks", token, ip: "2001:db8:1:2:abcd::1"))
        {
            Assert.Equal("ip", (await AssertRateLimitedAsync(sameSubnet)).Bucket);
        }

        using var otherSubnet = await SendAsync(platform, HttpMethod.Get, "/api/v1/stacks", token, ip: "2001:db8:1:3::10");
        Assert.Equal(HttpStatusCode.OK, otherSubnet.StatusCode);
    }
}

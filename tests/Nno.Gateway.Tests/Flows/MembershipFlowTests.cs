using System.Net;
using System.Net.Http.Json;
using Nno.Core.Services;

namespace Nno.Gateway.Tests.Flows;

/// <summary>
/// iam.md §7 test 10 and gateway.md §7 test 13 (second half): a platform membership the Registry writes straight to IAM
/// reaches the gateway's cached session through the eviction channel, so the next request already carries it.
/// </summary>
[Collection(FlowCollection.Name)]
public sealed class MembershipFlowTests(FlowFixture fixture)
{
    private readonly FlowPlatform _p = fixture.Platform;

    [Fact]
    public async Task RegistryWritesOwner_NextRequestOfTheCachedSessionCarriesIt_WithoutWaitingForTheTtl()
    {
        var user = await _p.SignUpAsync();
        var platformA = FlowPlatform.NewPlatformId();

        // Cached by the gateway from here on (30 s TTL; the fake clock does not move in this test).
        var before = await _p.ObserveAsync(user.Token);
        Assert.Equal(string.Empty, before.Header("X-Nno-Platforms"));

        using (var registry = await _p.ServiceClientAsync(NnoServices.Registry))
        using (var put = await registry.PutAsJsonAsync($"/api/nno/platforms/{platformA}/members/{user.Id}", new { role = "owner" }))
        {
            var membership = await put.AssertStatusAsync(HttpStatusCode.Created);
            Assert.Equal("owner", membership.GetProperty("role").GetString());
        }

        var after = await _p.ObserveAsync(user.Token);
        Assert.Equal(platformA + ":owner", after.Header("X-Nno-Platforms"));
        Assert.Equal(platformA, after.Header("X-Nno-Platform-Id"));
        Assert.Equal("owner", after.Header("X-Nno-Platform-Role"));

        var session = await _p.SessionAsync(user.Token);
        var platform = Assert.Single(session.GetProperty("platforms").EnumerateArray());
        Assert.Equal(platformA, platform.GetProperty("platformId").GetString());
        Assert.Equal("owner", platform.GetProperty("role").GetString());

        // A second platform joins the list, sorted by id, while the active one stays.
        var platformB = "zzzz" + platformA[4..];
        await _p.PutMemberAsync(platformB, user.Id, "member");
        var both = await _p.ObserveAsync(user.Token);
        Assert.Equal(string.Join(',', new[] { platformA + ":owner", platformB + ":member" }.Order(StringComparer.Ordinal)), both.Header("X-Nno-Platforms"));
        Assert.Equal(platformA, both.Header("X-Nno-Platform-Id"));

        // The same PUT is the Registry's: a user session (even the platform's owner) does not find it through the gateway.
        using (var asUser = await _p.SendAsync(HttpMethod.Put, $"/api/v1/iam/nno/platforms/{platformA}/members/{user.Id}", user.Token, new { role = "owner" }))
        {
            await asUser.AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
        }
    }
}

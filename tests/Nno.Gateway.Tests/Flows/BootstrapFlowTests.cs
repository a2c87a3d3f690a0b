using System.Net;

namespace Nno.Gateway.Tests.Flows;

/// <summary>iam.md §7 test 9 and issue 3 item 8 through the gateway: a new installation gets its first operator with the static key.</summary>
public sealed class BootstrapFlowTests
{
    [Fact]
    public async Task StaticKeyBootstrapsOnce_TheOperatorSignsIn_AsPlatformAdminWithEveryPermission()
    {
        await using var p = await FlowPlatform.StartAsync();
        var email = FlowPlatform.NewEmail("first-operator");

        using (var anonymous = await p.GetAsync("/api/v1/iam/nno/bootstrap"))
        {
            await anonymous.AssertUnauthorizedAsync();
        }

        using (var status = await p.GetAsync("/api/v1/iam/nno/bootstrap", FlowPlatform.StaticKey))
        {
            Assert.False((await status.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("bootstrapped").GetBoolean());
        }

        using (var created = await p.PostAsync("/api/v1/iam/nno/bootstrap", FlowPlatform.StaticKey, new { email, password = FlowPlatform.Password, name = "First Operator" }))
        {
            var body = await created.AssertStatusAsync(HttpStatusCode.Created);
            Assert.Equal("platform-admin", body.GetProperty("user").GetProperty("role").GetString());
            Assert.True(body.GetProperty("user").GetProperty("emailVerified").GetBoolean());
            Assert.Equal("nno-operator", body.GetProperty("organization").GetProperty("orgType").GetString());
        }

        using (var again = await p.PostAsync("/api/v1/iam/nno/bootstrap", FlowPlatform.StaticKey, new { email = FlowPlatform.NewEmail(), password = FlowPlatform.Password, name = "Second" }))
        {
            await again.AssertErrorAsync(HttpStatusCode.Conflict, "CONFLICT");
        }

        using (var status = await p.GetAsync("/api/v1/iam/nno/bootstrap", FlowPlatform.StaticKey))
        {
            Assert.True((await status.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("bootstrapped").GetBoolean());
        }

        var token = await p.SignInAsync(email);
        var session = await p.SessionAsync(token);
        Assert.Equal("platform-admin", session.GetProperty("role").GetString());
        Assert.Equal(["*"], session.GetProperty("permissions").Strings());
        Assert.Equal(string.Empty, session.GetProperty("platformId").GetString());
        Assert.False(session.GetProperty("mfaRequired").GetBoolean());

        // Services see an operator with no platform: the operator platform is never listed.
        var seen = await p.ObserveAsync(token);
        Assert.Equal("platform-admin", seen.Header("X-Nno-Role"));
        Assert.Equal(string.Empty, seen.Header("X-Nno-Platforms"));
        Assert.Equal(string.Empty, seen.Header("X-Nno-Platform-Id"));

        // The static key reaches services as the static-key principal, never as a user.
        var asKey = await p.ObserveAsync(FlowPlatform.StaticKey);
        Assert.Equal("service", asKey.Header("X-Nno-Auth"));
        Assert.StartsWith("static-key:", asKey.Header("X-Nno-User-Id"), StringComparison.Ordinal);
    }
}

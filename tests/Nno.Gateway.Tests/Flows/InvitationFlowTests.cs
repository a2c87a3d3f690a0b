using System.Net;

namespace Nno.Gateway.Tests.Flows;

/// <summary>
/// iam.md §7 test 16 (second half) through the gateway: a person without an account is invited to a tenant, follows the
/// emailed link, lands signed in and verified, accepts, and sets a password afterwards.
/// </summary>
[Collection(FlowCollection.Name)]
public sealed class InvitationFlowTests(FlowFixture fixture)
{
    private readonly FlowPlatform _p = fixture.Platform;

    [Fact]
    public async Task TenantInvitationForNewPerson_LinkCreatesVerifiedAccount_AcceptMakesTenantAndPlatformMember_ThenPasswordIsSet()
    {
        var platformA = FlowPlatform.NewPlatformId();
        var owner = await _p.PlatformUserAsync(platformA, "owner");
        var organizationId = await _p.CreateOrganizationAsync(platformA, owner.Id, "Acme Tenant");
        var email = FlowPlatform.NewEmail("invitee");

        string invitationId;
        using (var invite = await _p.PostAsync($"/api/v1/iam/nno/platforms/{platformA}/invitations", owner.Token, new { email, role = "member", organizationId }))
        {
            var body = await invite.AssertStatusAsync(HttpStatusCode.Created);
            invitationId = body.GetProperty("id").GetString()!;
            Assert.Equal("pending", body.GetProperty("status").GetString());
        }

        var link = await _p.NextMailLinkAsync(email, "You are invited to");
        Assert.Contains("Acme Tenant", link.Subject, StringComparison.Ordinal);
        Assert.StartsWith("http://localhost:5174/auth/magic-link?token=", link.Url, StringComparison.Ordinal);

        string token;
        string inviteeId;
        using (var verify = await _p.VerifyLinkAsync(link.Token))
        {
            var body = await verify.AssertStatusAsync(HttpStatusCode.OK);
            token = body.GetProperty("token").GetString()!;
            inviteeId = body.GetProperty("user").GetProperty("id").GetString()!;
            Assert.Equal("/invitations", body.GetProperty("callbackURL").GetString());
            Assert.Equal(email, body.GetProperty("user").GetProperty("email").GetString());
            Assert.True(body.GetProperty("user").GetProperty("emailVerified").GetBoolean());
            Assert.Equal("magic-link", body.GetProperty("session").GetProperty("authMethod").GetString());
        }

        using (var mine = await _p.GetAsync("/api/v1/iam/nno/invitations/mine", token))
        {
            var item = Assert.Single((await mine.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("data").EnumerateArray());
            Assert.Equal(invitationId, item.GetProperty("id").GetString());
            Assert.Equal(platformA, item.GetProperty("platformId").GetString());
            Assert.Equal("Acme Tenant", item.GetProperty("organizationName").GetString());
            Assert.Equal(owner.Email, item.GetProperty("inviterEmail").GetString());
            Assert.Equal("member", item.GetProperty("role").GetString());
        }

        // Not a member yet, and the gateway has this session cached.
        Assert.Equal(string.Empty, (await _p.ObserveAsync(token)).Header("X-Nno-Platforms"));

        using (var accept = await _p.PostAsync($"/api/v1/iam/nno/invitations/{invitationId}/accept", token))
        {
            var body = await accept.AssertStatusAsync(HttpStatusCode.OK);
            Assert.Equal("accepted", body.GetProperty("invitation").GetProperty("status").GetString());
            accept.AssertNoInternalHeaders();
        }

        var seen = await _p.ObserveAsync(token);
        Assert.Equal(platformA + ":member", seen.Header("X-Nno-Platforms"));

        using (var orgs = await _p.GetAsync("/api/v1/iam/nno/organizations", token))
        {
            var org = Assert.Single((await orgs.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("data").EnumerateArray());
            Assert.Equal(organizationId, org.GetProperty("id").GetString());
            Assert.Equal("member", org.GetProperty("role").GetString());
        }

        using (var twice = await _p.PostAsync($"/api/v1/iam/nno/invitations/{invitationId}/accept", token))
        {
            await twice.AssertErrorAsync(HttpStatusCode.Conflict, "CONFLICT");
        }

        // A fresh magic-link session sets the first password without a current one; the password then signs in.
        const string NewPassword = "Zt5!wq9#Rk2@Lp7$Hs4m";
        using (var change = await _p.PostAsync("/api/v1/iam/auth/change-password", token, new { newPassword = NewPassword }))
        {
            Assert.True((await change.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("success").GetBoolean());
        }

        var signedIn = await _p.SignInAsync(email, NewPassword);
        var session = await _p.SessionAsync(signedIn);
        Assert.Equal(inviteeId, session.GetProperty("user").GetProperty("id").GetString());
        Assert.Equal(platformA, session.GetProperty("platformId").GetString());
        Assert.Equal("member", session.GetProperty("platformRole").GetString());
    }
}

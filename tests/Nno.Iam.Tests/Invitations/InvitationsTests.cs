using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Credentials;
using Nno.Iam.Sessions;
using Nno.Iam.Tests.Platforms;
using Nno.Iam.Tests.Support;
using Nno.ServiceDefaults.Evictions;

namespace Nno.Iam.Tests.Invitations;

public sealed class InvitationsTests(IamFixture fixture) : IClassFixture<IamFixture>
{
    private readonly IamHost _iam = fixture.Iam;

    private static string NewEmail() => "invitee-" + Guid.NewGuid().ToString("N")[..10] + "@example.com";

    [Fact]
    public async Task TenantInvitation_EmailLink_UnverifiedForbidden_AcceptAddsTenantAndPlatformMember_TwiceConflict_OtherUserNotFound()
    {
        var platformId = Tenancy.NewPlatformId();
        var tenantAdmin = await _iam.PlatformUserAsync(platformId, "member");
        var tenantOwner = await _iam.PlatformUserAsync(platformId, "member");
        var org = await _iam.CreateOrganizationAsync(platformId, tenantOwner.Id);
        await _iam.AddTenantMemberAsync(org, tenantAdmin.Id, "admin");
        var email = NewEmail();
        var invitee = await _iam.CreateUserAsync(email, emailVerified: false);
        var other = await _iam.CreateUserAsync();

        using var asAdmin = _iam.Session(tenantAdmin.Token);
        using var created = await asAdmin.PostAsJsonAsync($"/api/nno/platforms/{platformId}/invitations", new { email, role = "member", organizationId = org });
        var invitation = await created.AssertStatusAsync(HttpStatusCode.Created);
        var id = invitation.GetProperty("id").GetString()!;
        Assert.Equal("pending", invitation.GetProperty("status").GetString());
        Assert.Equal(org, invitation.GetProperty("organizationId").GetString());

        var (link, token) = await _iam.InvitationLinkAsync(email);
        Assert.StartsWith("http://localhost:5174/auth/magic-link?token=", link, StringComparison.Ordinal);
        await _iam.DbAsync(async db =>
        {
            var verification = await db.Verifications.FirstAsync(v => v.TokenHash == OpaqueTokens.Hash(token));
            Assert.Equal("invitation", verification.Purpose);
            Assert.Equal(id, verification.InvitationId);
            Assert.Equal(EmailAddress.Normalize(email), verification.Identifier);
            Assert.Equal((await db.Invitations.FirstAsync(i => i.Id == id)).ExpiresAt, verification.ExpiresAt);
        });
        Assert.DoesNotContain(token, await created.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        _iam.AssertLogsDoNotContain(token);

        using (var mine = await _iam.Session(invitee.Token).GetAsync("/api/nno/invitations/mine"))
        {
            var item = Assert.Single((await mine.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("data").EnumerateArray());
            Assert.Equal(id, item.GetProperty("id").GetString());
            Assert.Equal(tenantAdmin.Email, item.GetProperty("inviterEmail").GetString());
            Assert.Equal("Org x", item.GetProperty("organizationName").GetString()![..5]);
        }

        using (var unverified = await _iam.Session(invitee.Token).PostAsync($"/api/nno/invitations/{id}/accept", null))
        {
            await unverified.AssertErrorAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
        }

        using (var wrongUser = await _iam.Session(other.Token).PostAsync($"/api/nno/invitations/{id}/accept", null))
        {
            await wrongUser.AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND", "invitation");
        }

        // The invitation link's verify marks the address verified (GET /api/auth/magic-link/verify, another part); done directly here.
        await _iam.DbAsync(db => db.Users.Where(u => u.Id == invitee.Id).ExecuteUpdateAsync(u => u.SetProperty(x => x.EmailVerified, true)));
        using var recorder = _iam.RecordEvictions();
        using (var accepted = await _iam.Session(invitee.Token).PostAsync($"/api/nno/invitations/{id}/accept", null))
        {
            var body = await accepted.AssertStatusAsync(HttpStatusCode.OK);
            Assert.Equal("accepted", body.GetProperty("invitation").GetProperty("status").GetString());
            Assert.Equal("member", body.GetProperty("membership").GetProperty("role").GetString());
            Assert.Equal(org, body.GetProperty("membership").GetProperty("organizationId").GetString());
        }

        Assert.Contains(CredentialEviction.User(invitee.Id), recorder.Seen);
        var session = Assert.NotNull(await _iam.ValidateAsync(invitee.Token));
        Assert.Contains(session.GetProperty("platforms").EnumerateArray(), p => p.GetProperty("platformId").GetString() == platformId && p.GetProperty("role").GetString() == "member");
        await _iam.DbAsync(async db =>
        {
            Assert.Equal("member", await db.Members.Where(m => m.OrganizationId == org && m.UserId == invitee.Id).Select(m => m.Role).FirstAsync());
            Assert.NotNull((await db.Verifications.FirstAsync(v => v.TokenHash == OpaqueTokens.Hash(token))).ConsumedAt);
            Assert.True(await db.AuditEvents.AnyAsync(e => e.Type == "invitation.accepted" && e.SubjectUserId == invitee.Id));
        });

        using (var twice = await _iam.Session(invitee.Token).PostAsync($"/api/nno/invitations/{id}/accept", null))
        {
            await twice.AssertErrorAsync(HttpStatusCode.Conflict, "CONFLICT");
        }
    }

    [Fact]
    public async Task Accept_TwoConcurrentCalls_ExactlyOneWins()
    {
        var platformId = Tenancy.NewPlatformId();
        var owner = await _iam.PlatformUserAsync(platformId, "owner");
        var email = NewEmail();
        var invitee = await _iam.CreateUserAsync(email);
        string id;
        using (var created = await _iam.Session(owner.Token).PostAsJsonAsync($"/api/nno/platforms/{platformId}/invitations", new { email, role = "member" }))
        {
            id = (await created.AssertStatusAsync(HttpStatusCode.Created)).GetProperty("id").GetString()!;
        }

        using var a = _iam.Session(invitee.Token);
        using var b = _iam.Session(invitee.Token);
        var responses = await Task.WhenAll(a.PostAsync($"/api/nno/invitations/{id}/accept", null), b.PostAsync($"/api/nno/invitations/{id}/accept", null));

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Conflict], responses.Select(r => r.StatusCode).OrderBy(s => (int)s).ToList());
        foreach (var response in responses)
        {
            response.Dispose();
        }

        Assert.Equal(1, await _iam.DbAsync(db => db.PlatformMembers.CountAsync(m => m.PlatformId == platformId && m.UserId == invitee.Id)));
    }

    [Fact]
    public async Task Accept_WhenAtMembershipLimit_Is409MembershipLimit_AndInvitationStaysPending()
    {
        await using var iam = await IamHost.StartAsync(new Dictionary<string, string?> { ["Iam:MaxPlatformsPerUser"] = "1" });
        var platformId = Tenancy.NewPlatformId();
        var owner = await iam.PlatformUserAsync(platformId, "owner");
        var email = NewEmail();
        var invitee = await iam.PlatformUserAsync(Tenancy.NewPlatformId(), "member", email);
        string id;
        using (var created = await iam.Session(owner.Token).PostAsJsonAsync($"/api/nno/platforms/{platformId}/invitations", new { email, role = "member" }))
        {
            id = (await created.AssertStatusAsync(HttpStatusCode.Created)).GetProperty("id").GetString()!;
        }

        using var accept = await iam.Session(invitee.Token).PostAsync($"/api/nno/invitations/{id}/accept", null);

        Assert.Equal("membership_limit", (await accept.AssertErrorAsync(HttpStatusCode.Conflict, "CONFLICT")).GetProperty("details").GetProperty("reason").GetString());
        Assert.Equal("pending", await iam.DbAsync(db => db.Invitations.Where(i => i.Id == id).Select(i => i.Status).FirstAsync()));
    }

    [Fact]
    public async Task InviteeWithoutAccount_LinkVerificationCreatesAccount_ThenAcceptWorks()
    {
        // The account creation itself is GET /api/auth/magic-link/verify (the auth part); this test plays its effect on the
        // database from the invitation's link row: a verified user with the invited address and a magic-link session.
        var platformId = Tenancy.NewPlatformId();
        var owner = await _iam.PlatformUserAsync(platformId, "owner");
        var email = NewEmail();
        using (var created = await _iam.Session(owner.Token).PostAsJsonAsync($"/api/nno/platforms/{platformId}/invitations", new { email, role = "admin" }))
        {
            await created.AssertStatusAsync(HttpStatusCode.Created);
        }

        var (_, token) = await _iam.InvitationLinkAsync(email);
        var identifier = await _iam.DbAsync(db => db.Verifications.Where(v => v.TokenHash == OpaqueTokens.Hash(token)).Select(v => new { v.Identifier, v.CallbackUrl }).FirstAsync());
        Assert.Equal("/invitations", identifier.CallbackUrl);
        var invitee = await _iam.CreateUserAsync(identifier.Identifier, emailVerified: true);

        using var mine = await _iam.Session(invitee.Token).GetAsync("/api/nno/invitations/mine");
        var id = Assert.Single((await mine.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("data").EnumerateArray()).GetProperty("id").GetString();
        using var accepted = await _iam.Session(invitee.Token).PostAsync($"/api/nno/invitations/{id}/accept", null);

        Assert.Equal("admin", (await accepted.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("membership").GetProperty("role").GetString());
        Assert.Equal("admin", await _iam.DbAsync(db => db.PlatformMembers.Where(m => m.PlatformId == platformId && m.UserId == invitee.Id).Select(m => m.Role).FirstAsync()));
    }

    [Fact]
    public async Task Create_AlreadyMemberOrPending409_ResendReplacesLink_AdminCannotInviteOwner_MemberForbidden()
    {
        var platformId = Tenancy.NewPlatformId();
        var owner = await _iam.PlatformUserAsync(platformId, "owner");
        var admin = await _iam.PlatformUserAsync(platformId, "admin");
        var member = await _iam.PlatformUserAsync(platformId, "member");
        var path = $"/api/nno/platforms/{platformId}/invitations";
        var email = NewEmail();
        using var asOwner = _iam.Session(owner.Token);

        using (var response = await asOwner.PostAsJsonAsync(path, new { email = member.Email, role = "admin" }))
        {
            Assert.Equal("already_member", (await response.AssertErrorAsync(HttpStatusCode.Conflict, "CONFLICT")).GetProperty("details").GetProperty("reason").GetString());
        }

        string id;
        using (var response = await asOwner.PostAsJsonAsync(path, new { email, role = "member" }))
        {
            id = (await response.AssertStatusAsync(HttpStatusCode.Created)).GetProperty("id").GetString()!;
        }

        var (_, firstToken) = await _iam.InvitationLinkAsync(email);
        using (var response = await asOwner.PostAsJsonAsync(path, new { email = email.ToUpperInvariant(), role = "member" }))
        {
            Assert.Equal("already_pending", (await response.AssertErrorAsync(HttpStatusCode.Conflict, "CONFLICT")).GetProperty("details").GetProperty("reason").GetString());
        }

        _iam.Time.Advance(TimeSpan.FromSeconds(1));
        using (var response = await asOwner.PostAsJsonAsync(path, new { email, role = "member", resend = true }))
        {
            Assert.Equal(id, (await response.AssertStatusAsync(HttpStatusCode.Created)).GetProperty("id").GetString());
        }

        var (_, secondToken) = await _iam.InvitationLinkAsync(email);
        Assert.NotEqual(firstToken, secondToken);
        Assert.NotNull(await _iam.DbAsync(db => db.Verifications.Where(v => v.TokenHash == OpaqueTokens.Hash(firstToken)).Select(v => v.ConsumedAt).FirstAsync()));

        using (var response = await _iam.Session(admin.Token).PostAsJsonAsync(path, new { email = NewEmail(), role = "owner" }))
        {
            await response.AssertErrorAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
        }

        using (var response = await _iam.Session(member.Token).PostAsJsonAsync(path, new { email = NewEmail(), role = "member" }))
        {
            await response.AssertErrorAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
        }

        using (var response = await asOwner.PostAsJsonAsync(path, new { email = "not an email", role = "member", extra = 1 }))
        {
            var fields = (await response.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR")).Fields();
            Assert.Contains("extra", fields);
        }

        using (var response = await asOwner.PostAsJsonAsync(path, new { email = "not an email", role = "member" }))
        {
            Assert.Equal(["email"], (await response.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR")).Fields());
        }

        using (var response = await asOwner.PostAsJsonAsync(path, new { email = NewEmail(), role = "member", organizationId = "zzzzzzzzzz" }))
        {
            await response.AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND", "organization");
        }
    }

    [Fact]
    public async Task Create_Over50PerPlatformPerDay_Is429WithRetryAfter_NextDayAllowed()
    {
        await using var iam = await IamHost.StartAsync(new Dictionary<string, string?> { ["Iam:Invitations:MaxPerPlatformPerDay"] = "3" });
        var platformId = Tenancy.NewPlatformId();
        var owner = await iam.PlatformUserAsync(platformId, "owner");
        using var client = iam.Session(owner.Token);
        var path = $"/api/nno/platforms/{platformId}/invitations";
        for (var i = 0; i < 3; i++)
        {
            using var ok = await client.PostAsJsonAsync(path, new { email = NewEmail(), role = "member" });
            await ok.AssertStatusAsync(HttpStatusCode.Created);
        }

        using (var limited = await client.PostAsJsonAsync(path, new { email = NewEmail(), role = "member" }))
        {
            await limited.AssertErrorAsync(HttpStatusCode.TooManyRequests, "RATE_LIMITED");
            Assert.True(int.Parse(limited.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) > 0);
        }

        iam.Time.Advance(TimeSpan.FromDays(1));
        using var tomorrow = await client.PostAsJsonAsync(path, new { email = NewEmail(), role = "member" });
        await tomorrow.AssertStatusAsync(HttpStatusCode.Created);
    }

    [Fact]
    public async Task Expiry_AfterSevenDays_ReadAsExpired_AcceptConflict_NotInMine_CanBeReissued()
    {
        var platformId = Tenancy.NewPlatformId();
        var owner = await _iam.PlatformUserAsync(platformId, "owner");
        var email = NewEmail();
        var invitee = await _iam.CreateUserAsync(email);
        using var asOwner = _iam.Session(owner.Token);
        var path = $"/api/nno/platforms/{platformId}/invitations";
        string id;
        using (var created = await asOwner.PostAsJsonAsync(path, new { email, role = "member" }))
        {
            id = (await created.AssertStatusAsync(HttpStatusCode.Created)).GetProperty("id").GetString()!;
        }

        // Seven days pass; the sessions stay alive by being used (sliding renewal), the invitation does not.
        _iam.Time.Advance(TimeSpan.FromDays(4));
        Assert.NotNull(await _iam.ValidateAsync(owner.Token));
        Assert.NotNull(await _iam.ValidateAsync(invitee.Token));
        _iam.Time.Advance(TimeSpan.FromDays(3));

        using (var list = await asOwner.GetAsync($"{path}?status=expired"))
        {
            Assert.Equal(id, Assert.Single((await list.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("data").EnumerateArray()).GetProperty("id").GetString());
        }

        using (var pending = await asOwner.GetAsync($"{path}?status=pending"))
        {
            Assert.Empty((await pending.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("data").EnumerateArray());
        }

        using (var mine = await _iam.Session(invitee.Token).GetAsync("/api/nno/invitations/mine"))
        {
            Assert.Empty((await mine.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("data").EnumerateArray());
        }

        using (var accept = await _iam.Session(invitee.Token).PostAsync($"/api/nno/invitations/{id}/accept", null))
        {
            Assert.Equal("expired", (await accept.AssertErrorAsync(HttpStatusCode.Conflict, "CONFLICT")).GetProperty("details").GetProperty("status").GetString());
        }

        using (var cancel = await asOwner.DeleteAsync($"{path}/{id}"))
        {
            await cancel.AssertErrorAsync(HttpStatusCode.Conflict, "CONFLICT");
        }

        using (var again = await asOwner.PostAsJsonAsync(path, new { email, role = "member" }))
        {
            Assert.NotEqual(id, (await again.AssertStatusAsync(HttpStatusCode.Created)).GetProperty("id").GetString());
        }

        using (var status = await asOwner.GetAsync($"{path}?status=bogus"))
        {
            await status.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        }
    }

    [Fact]
    public async Task RejectAndCancel_ChangeStatusOnce_KeysAndServicesCannotAccept()
    {
        var platformId = Tenancy.NewPlatformId();
        var owner = await _iam.PlatformUserAsync(platformId, "owner");
        var email = NewEmail();
        var invitee = await _iam.CreateUserAsync(email);
        using var asOwner = _iam.Session(owner.Token);
        var path = $"/api/nno/platforms/{platformId}/invitations";
        string first, second;
        using (var created = await asOwner.PostAsJsonAsync(path, new { email, role = "member" }))
        {
            first = (await created.AssertStatusAsync(HttpStatusCode.Created)).GetProperty("id").GetString()!;
        }

        using (var reject = await _iam.Session(invitee.Token).PostAsync($"/api/nno/invitations/{first}/reject", null))
        {
            Assert.Equal("rejected", (await reject.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("invitation").GetProperty("status").GetString());
        }

        using (var again = await _iam.Session(invitee.Token).PostAsync($"/api/nno/invitations/{first}/reject", null))
        {
            await again.AssertErrorAsync(HttpStatusCode.Conflict, "CONFLICT");
        }

        using (var created = await asOwner.PostAsJsonAsync(path, new { email, role = "member" }))
        {
            second = (await created.AssertStatusAsync(HttpStatusCode.Created)).GetProperty("id").GetString()!;
        }

        using (var key = await _iam.ApiKeyClientAsync(invitee.Id))
        using (var response = await key.PostAsync($"/api/nno/invitations/{second}/accept", null))
        {
            await response.AssertErrorAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
        }

        using (var registry = _iam.Service("registry"))
        using (var response = await registry.PostAsync($"/api/nno/invitations/{second}/accept", null))
        {
            await response.AssertErrorAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
        }

        using (var cancel = await asOwner.DeleteAsync($"{path}/{second}"))
        {
            await cancel.AssertStatusAsync(HttpStatusCode.NoContent);
        }

        using (var list = await asOwner.GetAsync($"{path}?status=canceled"))
        {
            Assert.Equal(second, Assert.Single((await list.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("data").EnumerateArray()).GetProperty("id").GetString());
        }

        using (var accept = await _iam.Session(invitee.Token).PostAsync($"/api/nno/invitations/{second}/accept", null))
        {
            await accept.AssertErrorAsync(HttpStatusCode.Conflict, "CONFLICT");
        }

        Assert.Equal(["invitation.canceled", "invitation.created", "invitation.rejected"],
            await _iam.DbAsync(db => db.AuditEvents.Where(e => e.PlatformId == platformId && e.Type.StartsWith("invitation.")).Select(e => e.Type).Distinct().OrderBy(t => t).ToListAsync()));
    }
}

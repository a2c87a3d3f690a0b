using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Services;
using Nno.Iam.ApiKeys;
using Nno.Iam.Tests.Support;
using Nno.ServiceDefaults.Evictions;

namespace Nno.Iam.Tests.Platforms;

public sealed class PlatformMembersTests(IamFixture fixture) : IClassFixture<IamFixture>
{
    private readonly IamHost _iam = fixture.Iam;

    private static string Member(string platformId, string userId) => $"/api/nno/platforms/{platformId}/members/{userId}";

    [Fact]
    public async Task RegistryPut_CreatesOwnerMembership_ListedInEnrichedSessionAndEvictionPublished()
    {
        var user = await _iam.CreateUserAsync();
        var platformId = Tenancy.NewPlatformId();
        using var recorder = _iam.RecordEvictions();
        using var registry = _iam.Service(NnoServices.Registry);

        using var created = await registry.PutAsJsonAsync(Member(platformId, user.Id), new { role = "owner" });

        var body = await created.AssertStatusAsync(HttpStatusCode.Created);
        Assert.Equal(platformId, body.GetProperty("platformId").GetString());
        Assert.Equal(user.Id, body.GetProperty("userId").GetString());
        Assert.Equal("owner", body.GetProperty("role").GetString());
        Assert.Contains(CredentialEviction.User(user.Id), recorder.Seen);
        var session = Assert.NotNull(await _iam.ValidateAsync(user.Token));
        Assert.Contains(session.GetProperty("platforms").EnumerateArray(),
            p => p.GetProperty("platformId").GetString() == platformId && p.GetProperty("role").GetString() == "owner");

        // Idempotent: the same PUT again is 200 and changes nothing.
        using var again = await registry.PutAsJsonAsync(Member(platformId, user.Id), new { role = "owner" });
        await again.AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal(1, await _iam.DbAsync(db => db.AuditEvents.CountAsync(e => e.Type == "platform_member.added" && e.SubjectUserId == user.Id && e.PlatformId == platformId)));
    }

    [Fact]
    public async Task Put_FromOwnerSession_IsNotFound_FromCliService_IsForbidden()
    {
        var platformId = Tenancy.NewPlatformId();
        var owner = await _iam.PlatformUserAsync(platformId, "owner");
        var other = await _iam.CreateUserAsync();

        using (var session = _iam.Session(owner.Token))
        using (var response = await session.PutAsJsonAsync(Member(platformId, other.Id), new { role = "member" }))
        {
            var error = await response.AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
            Assert.Equal(JsonValueKind.Null, error.GetProperty("details").ValueKind);
        }

        using (var cli = _iam.Service(NnoServices.Cli))
        using (var response = await cli.PutAsJsonAsync(Member(platformId, other.Id), new { role = "member" }))
        {
            await response.AssertErrorAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
        }

        Assert.False(await _iam.DbAsync(db => db.PlatformMembers.AnyAsync(m => m.PlatformId == platformId && m.UserId == other.Id)));
    }

    [Fact]
    public async Task Put_ByOperator_Works_UnknownUser404_BadRole400()
    {
        var op = await _iam.CreateOperatorAsync();
        var user = await _iam.CreateUserAsync();
        var platformId = Tenancy.NewPlatformId();
        using var client = _iam.Session(op.Token);

        using (var response = await client.PutAsJsonAsync(Member(platformId, user.Id), new { role = "admin" }))
        {
            await response.AssertStatusAsync(HttpStatusCode.Created);
        }

        using (var response = await client.PutAsJsonAsync(Member(platformId, "usr_doesnotexist0000000"), new { role = "admin" }))
        {
            await response.AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND", "user");
        }

        using (var response = await client.PutAsJsonAsync(Member(platformId, user.Id), new { role = "superuser" }))
        {
            Assert.Equal(["role"], (await response.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR")).Fields());
        }

        using (var response = await client.PutAsJsonAsync(Member(platformId, user.Id), new { role = "member", extra = 1 }))
        {
            Assert.Contains("extra", (await response.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR")).Fields());
        }
    }

    [Fact]
    public async Task Put_BeyondMembershipLimit_Is409MembershipLimit()
    {
        await using var iam = await IamHost.StartAsync(new Dictionary<string, string?> { ["Iam:MaxPlatformsPerUser"] = "2" });
        var user = await iam.CreateUserAsync();
        using var registry = iam.Service(NnoServices.Registry);
        for (var i = 0; i < 2; i++)
        {
            using var ok = await registry.PutAsJsonAsync(Member(Tenancy.NewPlatformId(), user.Id), new { role = "member" });
            await ok.AssertStatusAsync(HttpStatusCode.Created);
        }

        using var third = await registry.PutAsJsonAsync(Member(Tenancy.NewPlatformId(), user.Id), new { role = "member" });

        var error = await third.AssertErrorAsync(HttpStatusCode.Conflict, "CONFLICT");
        Assert.Equal("membership_limit", error.GetProperty("details").GetProperty("reason").GetString());
    }

    [Fact]
    public async Task LastOwner_CannotBeDemotedOrRemoved_UntilAnotherOwnerExists()
    {
        var platformId = Tenancy.NewPlatformId();
        var owner = await _iam.PlatformUserAsync(platformId, "owner");
        using var registry = _iam.Service(NnoServices.Registry);
        using var self = _iam.Session(owner.Token);

        using (var response = await registry.PutAsJsonAsync(Member(platformId, owner.Id), new { role = "admin" }))
        {
            await response.AssertErrorAsync(HttpStatusCode.Conflict, "CONFLICT");
        }

        using (var response = await self.PatchAsJsonAsync(Member(platformId, owner.Id), new { role = "member" }))
        {
            var error = await response.AssertErrorAsync(HttpStatusCode.Conflict, "CONFLICT");
            Assert.Equal("last_owner", error.GetProperty("details").GetProperty("reason").GetString());
        }

        using (var response = await self.DeleteAsync(Member(platformId, owner.Id)))
        {
            await response.AssertErrorAsync(HttpStatusCode.Conflict, "CONFLICT");
        }

        // An ownership transfer writes the new owner first; then the old one may step down.
        var successor = await _iam.CreateUserAsync();
        using (var response = await registry.PutAsJsonAsync(Member(platformId, successor.Id), new { role = "owner" }))
        {
            await response.AssertStatusAsync(HttpStatusCode.Created);
        }

        using (var response = await self.PatchAsJsonAsync(Member(platformId, owner.Id), new { role = "member" }))
        {
            Assert.Equal("member", (await response.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("role").GetString());
        }

        Assert.Equal("member", await _iam.DbAsync(db => db.PlatformMembers.Where(m => m.PlatformId == platformId && m.UserId == owner.Id).Select(m => m.Role).FirstAsync()));
    }

    [Fact]
    public async Task TwoOwnersDemotingThemselvesAtOnce_ExactlyOneSucceeds_PlatformKeepsAnOwner()
    {
        var platformId = Tenancy.NewPlatformId();
        var first = await _iam.PlatformUserAsync(platformId, "owner");
        var second = await _iam.PlatformUserAsync(platformId, "owner");
        using var a = _iam.Session(first.Token);
        using var b = _iam.Session(second.Token);

        var responses = await Task.WhenAll(
            a.PatchAsJsonAsync(Member(platformId, first.Id), new { role = "member" }),
            b.DeleteAsync(Member(platformId, second.Id)));

        // Whichever commits first wins (PATCH 200 or DELETE 204); the other sees no other owner left.
        Assert.Single(responses, r => r.StatusCode is HttpStatusCode.OK or HttpStatusCode.NoContent);
        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Conflict);
        foreach (var response in responses)
        {
            response.Dispose();
        }

        Assert.Equal(1, await _iam.DbAsync(db => db.PlatformMembers.CountAsync(m => m.PlatformId == platformId && m.Role == "owner")));
    }

    [Fact]
    public async Task Patch_AdminMayMoveOnlyBetweenAdminAndMember_MemberMayNot()
    {
        var platformId = Tenancy.NewPlatformId();
        var owner = await _iam.PlatformUserAsync(platformId, "owner");
        var admin = await _iam.PlatformUserAsync(platformId, "admin");
        var member = await _iam.PlatformUserAsync(platformId, "member");
        using var asAdmin = _iam.Session(admin.Token);
        using var asMember = _iam.Session(member.Token);

        using (var response = await asAdmin.PatchAsJsonAsync(Member(platformId, member.Id), new { role = "admin" }))
        {
            await response.AssertStatusAsync(HttpStatusCode.OK);
        }

        using (var response = await asAdmin.PatchAsJsonAsync(Member(platformId, member.Id), new { role = "owner" }))
        {
            await response.AssertErrorAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
        }

        using (var response = await asAdmin.PatchAsJsonAsync(Member(platformId, owner.Id), new { role = "admin" }))
        {
            await response.AssertErrorAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
        }

        using (var response = await asAdmin.DeleteAsync(Member(platformId, owner.Id)))
        {
            await response.AssertErrorAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
        }

        var plain = await _iam.PlatformUserAsync(platformId, "member");
        using (var response = await _iam.Session(plain.Token).PatchAsJsonAsync(Member(platformId, admin.Id), new { role = "member" }))
        {
            await response.AssertErrorAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
        }

        using (var response = await asMember.PatchAsJsonAsync(Member(platformId, "usr_doesnotexist0000000"), new { role = "member" }))
        {
            await response.AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND", "membership");
        }
    }

    [Fact]
    public async Task Delete_RemovesTenantMembershipsGrantsKeysAndActivePlatform_AndEvicts()
    {
        var platformId = Tenancy.NewPlatformId();
        var owner = await _iam.PlatformUserAsync(platformId, "owner");
        var user = await _iam.PlatformUserAsync(platformId, "admin");
        var organizationId = await _iam.CreateOrganizationAsync(platformId, owner.Id);
        await _iam.AddTenantMemberAsync(organizationId, user.Id, "member");
        var now = _iam.Time.GetUtcNow().ToUnixTimeMilliseconds();
        await _iam.DbAsync(async db =>
        {
            db.PermissionGrants.Add(new Nno.Iam.Permissions.PermissionGrantRecord { Id = IamIds.New("grt"), OrganizationId = organizationId, UserId = user.Id, Permission = "crm:read", Granted = true, GrantedBy = owner.Id, CreatedAt = now });
            db.ApiKeys.Add(new ApiKeyRecord { Id = "key_cascadetest000000001", UserId = user.Id, PlatformId = platformId, Name = "k", DisplayPrefix = "nno_local_abcd", KeyHash = new byte[32], Scopes = "[\"iam:read\"]", ExpiresAt = now + 1_000_000, CreatedAt = now });
            await db.SaveChangesAsync();
            await db.Sessions.Where(s => s.Id == user.SessionId).ExecuteUpdateAsync(u => u.SetProperty(s => s.ActivePlatformId, platformId).SetProperty(s => s.ActiveOrganizationId, organizationId));
        });
        using var recorder = _iam.RecordEvictions();

        using var response = await _iam.Session(owner.Token).DeleteAsync(Member(platformId, user.Id));

        await response.AssertStatusAsync(HttpStatusCode.NoContent);
        Assert.Contains(CredentialEviction.User(user.Id), recorder.Seen);
        Assert.Contains(CredentialEviction.ApiKey("key_cascadetest000000001"), recorder.Seen);
        Assert.Contains("user=" + user.Id, response.Headers.GetValues(CredentialEviction.HeaderName).Single(), StringComparison.Ordinal);
        await _iam.DbAsync(async db =>
        {
            Assert.False(await db.PlatformMembers.AnyAsync(m => m.PlatformId == platformId && m.UserId == user.Id));
            Assert.False(await db.Members.AnyAsync(m => m.OrganizationId == organizationId && m.UserId == user.Id));
            Assert.False(await db.PermissionGrants.AnyAsync(g => g.UserId == user.Id));
            Assert.NotNull((await db.ApiKeys.FirstAsync(k => k.Id == "key_cascadetest000000001")).RevokedAt);
            var session = await db.Sessions.FirstAsync(s => s.Id == user.SessionId);
            Assert.Null(session.ActivePlatformId);
            Assert.Null(session.ActiveOrganizationId);
            Assert.True(await db.AuditEvents.AnyAsync(e => e.Type == "platform_member.removed" && e.SubjectUserId == user.Id));
        });
        var enriched = Assert.NotNull(await _iam.ValidateAsync(user.Token));
        Assert.Equal(string.Empty, enriched.GetProperty("platformId").GetString());
    }

    [Fact]
    public async Task Delete_Self_Leaves_ButNotAsLastTenantOwner()
    {
        var platformId = Tenancy.NewPlatformId();
        await _iam.PlatformUserAsync(platformId, "owner");
        var leaver = await _iam.PlatformUserAsync(platformId, "member");
        var tenantOwner = await _iam.PlatformUserAsync(platformId, "member");
        await _iam.CreateOrganizationAsync(platformId, tenantOwner.Id);

        using (var response = await _iam.Session(leaver.Token).DeleteAsync(Member(platformId, leaver.Id)))
        {
            await response.AssertStatusAsync(HttpStatusCode.NoContent);
        }

        using (var response = await _iam.Session(tenantOwner.Token).DeleteAsync(Member(platformId, tenantOwner.Id)))
        {
            var error = await response.AssertErrorAsync(HttpStatusCode.Conflict, "CONFLICT");
            Assert.Equal("last_tenant_owner", error.GetProperty("details").GetProperty("reason").GetString());
        }
    }

    [Fact]
    public async Task List_ShowsEmailsToOwnersAndServicesOnly()
    {
        var platformId = Tenancy.NewPlatformId();
        var owner = await _iam.PlatformUserAsync(platformId, "owner");
        var member = await _iam.PlatformUserAsync(platformId, "member");

        async Task<List<JsonElement>> ListAs(HttpClient client)
        {
            using (client)
            using (var response = await client.GetAsync($"/api/nno/platforms/{platformId}/members"))
            {
                return [.. (await response.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("data").EnumerateArray()];
            }
        }

        var byOwner = await ListAs(_iam.Session(owner.Token));
        var byMember = await ListAs(_iam.Session(member.Token));
        var byRegistry = await ListAs(_iam.Service(NnoServices.Registry));

        Assert.Equal(2, byOwner.Count);
        Assert.All(byOwner, m => Assert.NotNull(m.GetProperty("email").GetString()));
        Assert.All(byRegistry, m => Assert.NotNull(m.GetProperty("email").GetString()));
        Assert.All(byMember, m => Assert.Equal(JsonValueKind.Null, m.GetProperty("email").ValueKind));
        Assert.Contains(byMember, m => m.GetProperty("userId").GetString() == owner.Id && m.GetProperty("role").GetString() == "owner" && m.GetProperty("name").GetString()!.Length > 0);
    }

    [Fact]
    public async Task UserPlatforms_SelfOperatorAndRegistry_OthersNotFound()
    {
        var platformId = Tenancy.NewPlatformId();
        var user = await _iam.PlatformUserAsync(platformId, "admin");
        var stranger = await _iam.CreateUserAsync();
        var path = $"/api/nno/users/{user.Id}/platforms";

        using (var response = await _iam.Session(user.Token).GetAsync(path))
        {
            var item = Assert.Single((await response.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("data").EnumerateArray());
            Assert.Equal(platformId, item.GetProperty("platformId").GetString());
            Assert.Equal("admin", item.GetProperty("role").GetString());
        }

        using (var response = await _iam.Service(NnoServices.Registry).GetAsync(path))
        {
            await response.AssertStatusAsync(HttpStatusCode.OK);
        }

        using (var response = await _iam.Session(stranger.Token).GetAsync(path))
        {
            await response.AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND", "user");
        }

        using (var response = await _iam.Service(NnoServices.Billing).GetAsync(path))
        {
            await response.AssertErrorAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
        }
    }

    [Fact]
    public async Task Purge_ByRegistryRemovesEverythingOfThePlatform_UsersGet404_Idempotent()
    {
        var platformId = Tenancy.NewPlatformId();
        var keep = Tenancy.NewPlatformId();
        var owner = await _iam.PlatformUserAsync(platformId, "owner");
        await _iam.AddPlatformMemberAsync(keep, owner.Id, "owner");
        var organizationId = await _iam.CreateOrganizationAsync(platformId, owner.Id);
        using (var invite = await _iam.Session(owner.Token).PostAsJsonAsync($"/api/nno/platforms/{platformId}/invitations", new { email = "purge-" + Guid.NewGuid().ToString("N")[..8] + "@example.com", role = "member" }))
        {
            await invite.AssertStatusAsync(HttpStatusCode.Created);
        }

        using (var asUser = await _iam.Session(owner.Token).DeleteAsync($"/api/nno/platforms/{platformId}"))
        {
            var error = await asUser.AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
            Assert.Equal(JsonValueKind.Null, error.GetProperty("details").ValueKind);
        }

        using var recorder = _iam.RecordEvictions();
        using var registry = _iam.Service(NnoServices.Registry);
        using (var response = await registry.DeleteAsync($"/api/nno/platforms/{platformId}"))
        {
            await response.AssertStatusAsync(HttpStatusCode.NoContent);
        }

        using (var again = await registry.DeleteAsync($"/api/nno/platforms/{platformId}"))
        {
            await again.AssertStatusAsync(HttpStatusCode.NoContent);
        }

        Assert.Contains(CredentialEviction.User(owner.Id), recorder.Seen);
        await _iam.DbAsync(async db =>
        {
            Assert.False(await db.PlatformMembers.AnyAsync(m => m.PlatformId == platformId));
            Assert.True(await db.PlatformMembers.AnyAsync(m => m.PlatformId == keep && m.UserId == owner.Id));
            Assert.False(await db.Members.AnyAsync(m => m.OrganizationId == organizationId));
            Assert.False(await db.Invitations.AnyAsync(i => i.PlatformId == platformId));
            Assert.NotNull((await db.Organizations.FirstAsync(o => o.Id == organizationId)).DeletedAt);
        });
    }
}

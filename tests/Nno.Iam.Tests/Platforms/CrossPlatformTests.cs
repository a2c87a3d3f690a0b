using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Nno.Iam.Tests.Support;

namespace Nno.Iam.Tests.Platforms;

/// <summary>iam.md §7 tests 11 and 12 (the routes of this part): another platform's objects are 404, operators reach them all.</summary>
public sealed class CrossPlatformTests(IamFixture fixture) : IClassFixture<IamFixture>
{
    private readonly IamHost _iam = fixture.Iam;

    /// <summary>Platform B with an owner, an organization with a member, a grant and a pending invitation.</summary>
    private async Task<(string PlatformB, string OrgOfB, string MemberOfB, string GrantOfB, string InvitationOfB)> PlatformBAsync()
    {
        var platformB = Tenancy.NewPlatformId();
        var ownerB = await _iam.PlatformUserAsync(platformB, "owner");
        var memberB = await _iam.PlatformUserAsync(platformB, "member");
        var orgOfB = await _iam.CreateOrganizationAsync(platformB, ownerB.Id);
        await _iam.AddTenantMemberAsync(orgOfB, memberB.Id, "member");
        using var asOwner = _iam.Session(ownerB.Token);
        using var grant = await asOwner.PostAsJsonAsync("/api/nno/grants", new { userId = memberB.Id, orgId = orgOfB, permission = "crm:read", granted = true });
        var grantId = (await grant.AssertStatusAsync(HttpStatusCode.Created)).GetProperty("id").GetString()!;
        using var invitation = await asOwner.PostAsJsonAsync($"/api/nno/platforms/{platformB}/invitations", new { email = "b-" + Guid.NewGuid().ToString("N")[..8] + "@example.com", role = "member", organizationId = orgOfB });
        var invitationId = (await invitation.AssertStatusAsync(HttpStatusCode.Created)).GetProperty("id").GetString()!;
        return (platformB, orgOfB, memberB.Id, grantId, invitationId);
    }

    /// <summary>Every organization, member, invitation, grant and permission route of this part, aimed at platform B's objects.</summary>
    private static IEnumerable<(string Name, Func<HttpClient, Task<HttpResponseMessage>> Call)> RoutesOfB(string b, string org, string member, string grant, string invitation) =>
    [
        ("active-platform", c => c.PostAsJsonAsync("/api/nno/session/active-platform", new { platformId = b })),
        ("active-organization", c => c.PostAsJsonAsync("/api/nno/session/active-organization", new { organizationId = org })),
        ("platform members", c => c.GetAsync($"/api/nno/platforms/{b}/members")),
        ("patch platform member", c => c.PatchAsJsonAsync($"/api/nno/platforms/{b}/members/{member}", new { role = "admin" })),
        ("delete platform member", c => c.DeleteAsync($"/api/nno/platforms/{b}/members/{member}")),
        ("organizations of B", c => c.GetAsync($"/api/nno/organizations?platformId={b}")),
        ("create organization on B", c => c.PostAsJsonAsync("/api/nno/organizations", new { platformId = b, name = "X", slug = Tenancy.NewSlug(), ownerId = member })),
        ("organization", c => c.GetAsync($"/api/nno/organizations/{org}")),
        ("patch organization", c => c.PatchAsJsonAsync($"/api/nno/organizations/{org}", new { name = "Renamed" })),
        ("delete organization", c => c.DeleteAsync($"/api/nno/organizations/{org}")),
        ("organization members", c => c.GetAsync($"/api/nno/organizations/{org}/members")),
        ("add organization member", c => c.PostAsJsonAsync($"/api/nno/organizations/{org}/members", new { userId = member, role = "member" })),
        ("patch organization member", c => c.PatchAsJsonAsync($"/api/nno/organizations/{org}/members/{member}", new { role = "admin" })),
        ("delete organization member", c => c.DeleteAsync($"/api/nno/organizations/{org}/members/{member}")),
        ("roles", c => c.GetAsync($"/api/nno/roles?orgId={org}")),
        ("upsert role", c => c.PostAsJsonAsync("/api/nno/roles", new { orgId = org, role = "member", permissions = new[] { "crm:read" } })),
        ("delete role", c => c.DeleteAsync($"/api/nno/roles/{org}/member")),
        ("grants", c => c.GetAsync($"/api/nno/grants?orgId={org}")),
        ("create grant", c => c.PostAsJsonAsync("/api/nno/grants", new { userId = member, orgId = org, permission = "crm:write", granted = true })),
        ("delete grant", c => c.DeleteAsync($"/api/nno/grants/{grant}")),
        ("effective permissions", c => c.GetAsync($"/api/nno/permissions/effective?orgId={org}&userId={member}")),
        ("invite to B", c => c.PostAsJsonAsync($"/api/nno/platforms/{b}/invitations", new { email = "x-" + Guid.NewGuid().ToString("N")[..8] + "@example.com", role = "member" })),
        ("invitations of B", c => c.GetAsync($"/api/nno/platforms/{b}/invitations")),
        ("cancel invitation of B", c => c.DeleteAsync($"/api/nno/platforms/{b}/invitations/{invitation}")),
    ];

    [Fact]
    public async Task UserOfPlatformA_GetsNotFoundWithResourceOnEveryRouteOfPlatformB()
    {
        var (b, org, member, grant, invitation) = await PlatformBAsync();
        var platformA = Tenancy.NewPlatformId();
        var ownerA = await _iam.PlatformUserAsync(platformA, "owner");
        using var client = _iam.Session(ownerA.Token);

        foreach (var (name, call) in RoutesOfB(b, org, member, grant, invitation))
        {
            using var response = await call(client);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{name}: {(int)response.StatusCode} {text}");
            var details = JsonDocument.Parse(text).RootElement.GetProperty("error").GetProperty("details");
            Assert.True(details.TryGetProperty("resource", out var resource) && resource.GetString()!.Length > 0, $"{name}: {text}");
        }

        // Nothing of B changed.
        await _iam.DbAsync(async db =>
        {
            Assert.True(await db.PermissionGrants.AnyAsync(g => g.Id == grant));
            Assert.Equal("pending", (await db.Invitations.FirstAsync(i => i.Id == invitation)).Status);
            Assert.Null((await db.Organizations.FirstAsync(o => o.Id == org)).DeletedAt);
            Assert.Equal(2, await db.Members.CountAsync(m => m.OrganizationId == org));
        });
    }

    [Fact]
    public async Task Operator_ReachesEveryReadRouteOfPlatformB()
    {
        var (b, org, member, _, invitation) = await PlatformBAsync();
        var op = await _iam.CreateOperatorAsync();
        using var client = _iam.Session(op.Token);

        foreach (var path in new[]
        {
            $"/api/nno/platforms/{b}/members", $"/api/nno/organizations?platformId={b}", $"/api/nno/organizations/{org}",
            $"/api/nno/organizations/{org}/members", $"/api/nno/roles?orgId={org}", $"/api/nno/grants?orgId={org}",
            $"/api/nno/permissions/effective?orgId={org}&userId={member}", $"/api/nno/platforms/{b}/invitations",
        })
        {
            using var response = await client.GetAsync(path);
            await response.AssertStatusAsync(HttpStatusCode.OK);
        }

        using (var response = await client.PostAsJsonAsync("/api/nno/session/active-platform", new { platformId = b }))
        {
            Assert.Equal(b, (await response.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("platformId").GetString());
        }

        using (var response = await client.PostAsJsonAsync("/api/nno/grants", new { userId = member, orgId = org, permission = "crm:write", granted = true }))
        {
            await response.AssertStatusAsync(HttpStatusCode.Created);
        }

        using (var response = await client.DeleteAsync($"/api/nno/platforms/{b}/invitations/{invitation}"))
        {
            await response.AssertStatusAsync(HttpStatusCode.NoContent);
        }

        using (var members = await client.GetAsync($"/api/nno/platforms/{b}/members"))
        {
            Assert.All((await members.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("data").EnumerateArray(), m => Assert.NotNull(m.GetProperty("email").GetString()));
        }
    }

    [Fact]
    public async Task OwnerOfAMemberOfB_ReadsBMembersWithoutSwitching_EmailsHidden()
    {
        var (b, _, _, _, _) = await PlatformBAsync();
        var platformA = Tenancy.NewPlatformId();
        var user = await _iam.PlatformUserAsync(platformA, "owner");
        _iam.Time.Advance(TimeSpan.FromSeconds(1));
        await _iam.AddPlatformMemberAsync(b, user.Id, "member");
        Assert.Equal(platformA, Assert.NotNull(await _iam.ValidateAsync(user.Token)).GetProperty("platformId").GetString());
        using var client = _iam.Session(user.Token);

        using var response = await client.GetAsync($"/api/nno/platforms/{b}/members");

        var data = (await response.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(3, data.Count);
        Assert.All(data, m => Assert.Equal(JsonValueKind.Null, m.GetProperty("email").ValueKind));
        using var own = await client.GetAsync($"/api/nno/platforms/{platformA}/members");
        Assert.All((await own.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("data").EnumerateArray(), m => Assert.NotNull(m.GetProperty("email").GetString()));
    }

    [Fact]
    public async Task ActivePlatform_MemberMaySwitch_NullClears_AuditedAndSessionEvicted()
    {
        var platformA = Tenancy.NewPlatformId();
        var platformB = Tenancy.NewPlatformId();
        var user = await _iam.PlatformUserAsync(platformA, "owner");
        _iam.Time.Advance(TimeSpan.FromSeconds(1));
        await _iam.AddPlatformMemberAsync(platformB, user.Id, "member");
        using var client = _iam.Session(user.Token);

        using (var response = await client.PostAsJsonAsync("/api/nno/session/active-platform", new { platformId = platformB }))
        {
            var session = await response.AssertStatusAsync(HttpStatusCode.OK);
            Assert.Equal(platformB, session.GetProperty("platformId").GetString());
            Assert.Equal("member", session.GetProperty("platformRole").GetString());
            Assert.Equal("session=" + user.SessionId, response.Headers.GetValues("X-Nno-Cache-Evict").Single());
        }

        Assert.Equal(platformB, Assert.NotNull(await _iam.ValidateAsync(user.Token)).GetProperty("platformId").GetString());
        using (var response = await client.PostAsJsonAsync("/api/nno/session/active-platform", new { platformId = (string?)null }))
        {
            Assert.Equal(platformA, (await response.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("platformId").GetString());
        }

        Assert.Equal(2, await _iam.DbAsync(db => db.AuditEvents.CountAsync(e => e.Type == "session.platform_switched" && e.ActorUserId == user.Id)));
        using (var response = await client.PostAsJsonAsync("/api/nno/session/active-platform", new { platformId = "NOT-AN-ID" }))
        {
            await response.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        }
    }
}

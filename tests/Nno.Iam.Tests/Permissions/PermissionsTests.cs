using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Nno.Iam.Tests.Platforms;
using Nno.Iam.Tests.Support;

namespace Nno.Iam.Tests.Permissions;

public sealed class PermissionsTests(IamFixture fixture) : IClassFixture<IamFixture>
{
    private readonly IamHost _iam = fixture.Iam;

    private static List<string?> Strings(System.Text.Json.JsonElement array) => [.. array.EnumerateArray().Select(p => p.GetString())];

    /// <summary>A platform with a tenant whose owner is a platform member (not admin), and a plain tenant member.</summary>
    private async Task<(string Platform, string Org, TestUser PlatformOwner, TestUser TenantOwner, TestUser Member)> TenantAsync()
    {
        var platformId = Tenancy.NewPlatformId();
        var platformOwner = await _iam.PlatformUserAsync(platformId, "owner");
        var tenantOwner = await _iam.PlatformUserAsync(platformId, "member");
        var member = await _iam.PlatformUserAsync(platformId, "member");
        var org = await _iam.CreateOrganizationAsync(platformId, tenantOwner.Id);
        await _iam.AddTenantMemberAsync(org, member.Id, "member");
        return (platformId, org, platformOwner, tenantOwner, member);
    }

    [Fact]
    public async Task RoleMapping_BadNames400_StoredDeduplicatedAndSorted_ListAlwaysThreeRoles()
    {
        var (_, org, _, tenantOwner, member) = await TenantAsync();
        using var client = _iam.Session(tenantOwner.Token);

        foreach (var bad in new[] { "Billing:Read", "billing_read", "billing:read2", ":read", "a:" + new string('b', 100) })
        {
            using var response = await client.PostAsJsonAsync("/api/nno/roles", new { orgId = org, role = "member", permissions = new[] { "crm:read", bad } });
            Assert.Equal(["permissions"], (await response.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR")).Fields());
        }

        using (var tooMany = await client.PostAsJsonAsync("/api/nno/roles", new { orgId = org, role = "member", permissions = Enumerable.Range(0, 201).Select(i => $"f{i}:read").ToArray() }))
        {
            await tooMany.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        }

        using (var response = await client.PostAsJsonAsync("/api/nno/roles", new { orgId = org, role = "member", permissions = new[] { "billing:read", "billing:read", "analytics:write-export" } }))
        {
            var mapping = await response.AssertStatusAsync(HttpStatusCode.OK);
            Assert.Equal(["analytics:write-export", "billing:read"], Strings(mapping.GetProperty("permissions")));
        }

        Assert.Equal("[\"analytics:write-export\",\"billing:read\"]",
            await _iam.DbAsync(db => db.RolePermissions.Where(r => r.OrganizationId == org && r.Role == "member").Select(r => r.Permissions).FirstAsync()));

        using (var list = await client.GetAsync($"/api/nno/roles?orgId={org}"))
        {
            var data = (await list.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("data").EnumerateArray().ToList();
            Assert.Equal(["owner", "admin", "member"], data.Select(r => r.GetProperty("role").GetString()).ToList());
            Assert.Empty(data[0].GetProperty("permissions").EnumerateArray());
            Assert.Equal(System.Text.Json.JsonValueKind.Null, data[0].GetProperty("updatedAt").ValueKind);
            Assert.Equal(2, data[2].GetProperty("permissions").GetArrayLength());
        }

        // A plain tenant member neither reads nor writes mappings.
        using (var denied = await _iam.Session(member.Token).GetAsync($"/api/nno/roles?orgId={org}"))
        {
            await denied.AssertErrorAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
        }

        using (var deleted = await client.DeleteAsync($"/api/nno/roles/{org}/member"))
        {
            await deleted.AssertStatusAsync(HttpStatusCode.NoContent);
        }

        using (var gone = await client.DeleteAsync($"/api/nno/roles/{org}/member"))
        {
            await gone.AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND", "role_mapping");
        }
    }

    [Fact]
    public async Task EffectivePermissions_RolePlusGrantsMinusUnexpiredDenials_PlatformOwnerAll_UnixMsExpiry400()
    {
        var (_, org, platformOwner, tenantOwner, member) = await TenantAsync();
        using var owner = _iam.Session(tenantOwner.Token);
        using (var mapped = await owner.PostAsJsonAsync("/api/nno/roles", new { orgId = org, role = "member", permissions = new[] { "billing:read", "billing:write" } }))
        {
            await mapped.AssertStatusAsync(HttpStatusCode.OK);
        }

        async Task<List<string?>> Effective(TestUser caller, string userId)
        {
            using var response = await _iam.Session(caller.Token).GetAsync($"/api/nno/permissions/effective?orgId={org}&userId={userId}");
            return Strings((await response.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("permissions"));
        }

        Assert.Equal(["billing:read", "billing:write"], await Effective(member, member.Id));

        var expiresAt = _iam.Time.GetUtcNow().AddHours(1);
        using (var deny = await owner.PostAsJsonAsync("/api/nno/grants", new { userId = member.Id, orgId = org, permission = "billing:write", granted = false, expiresAt }))
        {
            Assert.False((await deny.AssertStatusAsync(HttpStatusCode.Created)).GetProperty("granted").GetBoolean());
        }

        Assert.Equal(["billing:read"], await Effective(member, member.Id));
        // The caller's own enriched session in that organization says the same.
        await _iam.DbAsync(db => db.Sessions.Where(s => s.Id == member.SessionId).ExecuteUpdateAsync(u => u.SetProperty(s => s.ActiveOrganizationId, org)));
        Assert.Equal(["billing:read"], Strings(Assert.NotNull(await _iam.ValidateAsync(member.Token)).GetProperty("permissions")));

        _iam.Time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        Assert.Equal(["billing:read", "billing:write"], await Effective(member, member.Id));

        using (var grant = await owner.PostAsJsonAsync("/api/nno/grants", new { userId = member.Id, orgId = org, permission = "crm:read", granted = true, grantedBy = tenantOwner.Id }))
        {
            await grant.AssertStatusAsync(HttpStatusCode.Created);
        }

        Assert.Equal(["billing:read", "billing:write", "crm:read"], await Effective(platformOwner, member.Id));
        Assert.Equal(["*"], await Effective(platformOwner, platformOwner.Id));

        // Replacing the same permission answers 200 and keeps one row.
        using (var replaced = await owner.PostAsJsonAsync("/api/nno/grants", new { userId = member.Id, orgId = org, permission = "crm:read", granted = false }))
        {
            await replaced.AssertStatusAsync(HttpStatusCode.OK);
        }

        Assert.Equal(["billing:read", "billing:write"], await Effective(member, member.Id));

        using (var unixMs = await owner.PostAsync("/api/nno/grants", new StringContent(
            $"{{\"userId\":\"{member.Id}\",\"orgId\":\"{org}\",\"permission\":\"crm:write\",\"granted\":true,\"expiresAt\":{_iam.Time.GetUtcNow().AddDays(1).ToUnixTimeMilliseconds()}}}", Encoding.UTF8, "application/json")))
        {
            Assert.Contains("expiresAt", (await unixMs.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR")).Fields());
        }

        using (var past = await owner.PostAsJsonAsync("/api/nno/grants", new { userId = member.Id, orgId = org, permission = "crm:write", granted = true, expiresAt = _iam.Time.GetUtcNow().AddMinutes(-1) }))
        {
            Assert.Equal(["expiresAt"], (await past.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR")).Fields());
        }

        using (var otherUser = await _iam.Session(member.Token).GetAsync($"/api/nno/permissions/effective?orgId={org}&userId={tenantOwner.Id}"))
        {
            await otherUser.AssertErrorAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
        }

        using (var missing = await _iam.Session(member.Token).GetAsync("/api/nno/permissions/effective"))
        {
            Assert.Equal(["orgId", "userId"], (await missing.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR")).Fields().Order().ToList());
        }
    }

    [Fact]
    public async Task TenantAdmin_CannotGrantSelf_OrWhatItLacks_GrantedByMustBeCaller_TargetMustBeMember()
    {
        var (platformId, org, _, tenantOwner, member) = await TenantAsync();
        var tenantAdmin = await _iam.PlatformUserAsync(platformId, "member");
        var outsider = await _iam.PlatformUserAsync(platformId, "member");
        await _iam.AddTenantMemberAsync(org, tenantAdmin.Id, "admin");
        using (var mapped = await _iam.Session(tenantOwner.Token).PostAsJsonAsync("/api/nno/roles", new { orgId = org, role = "admin", permissions = new[] { "crm:read" } }))
        {
            await mapped.AssertStatusAsync(HttpStatusCode.OK);
        }

        using var admin = _iam.Session(tenantAdmin.Token);
        async Task<IReadOnlyList<string>> Rejected(object body)
        {
            using var response = await admin.PostAsJsonAsync("/api/nno/grants", body);
            return (await response.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR")).Fields();
        }

        Assert.Equal(["userId"], await Rejected(new { userId = tenantAdmin.Id, orgId = org, permission = "crm:read", granted = true }));
        Assert.Equal(["userId"], await Rejected(new { userId = tenantAdmin.Id, orgId = org, permission = "billing:write", granted = true }));
        Assert.Equal(["permission"], await Rejected(new { userId = member.Id, orgId = org, permission = "billing:write", granted = true }));
        Assert.Equal(["grantedBy"], await Rejected(new { userId = member.Id, orgId = org, permission = "crm:read", granted = true, grantedBy = tenantOwner.Id }));
        Assert.Equal(["userId"], await Rejected(new { userId = outsider.Id, orgId = org, permission = "crm:read", granted = true }));
        Assert.Contains("granted", await Rejected(new { userId = member.Id, orgId = org, permission = "crm:read" }));

        using (var ok = await admin.PostAsJsonAsync("/api/nno/grants", new { userId = member.Id, orgId = org, permission = "crm:read", granted = true, grantedBy = tenantAdmin.Id }))
        {
            var grant = await ok.AssertStatusAsync(HttpStatusCode.Created);
            Assert.Equal(tenantAdmin.Id, grant.GetProperty("grantedBy").GetString());
        }

        Assert.Equal(1, await _iam.DbAsync(db => db.PermissionGrants.CountAsync(g => g.OrganizationId == org)));
    }

    [Fact]
    public async Task Grants_ListSelfOrManagers_ExpiredHiddenUnlessAsked_DeleteEvicts()
    {
        var (_, org, platformOwner, tenantOwner, member) = await TenantAsync();
        using var owner = _iam.Session(tenantOwner.Token);
        string grantId;
        using (var shortLived = await owner.PostAsJsonAsync("/api/nno/grants", new { userId = member.Id, orgId = org, permission = "crm:read", granted = true, expiresAt = _iam.Time.GetUtcNow().AddMinutes(5) }))
        {
            await shortLived.AssertStatusAsync(HttpStatusCode.Created);
        }

        using (var lasting = await owner.PostAsJsonAsync("/api/nno/grants", new { userId = member.Id, orgId = org, permission = "crm:write", granted = true }))
        {
            grantId = (await lasting.AssertStatusAsync(HttpStatusCode.Created)).GetProperty("id").GetString()!;
        }

        _iam.Time.Advance(TimeSpan.FromMinutes(6));
        using (var self = await _iam.Session(member.Token).GetAsync($"/api/nno/grants?orgId={org}&userId={member.Id}"))
        {
            Assert.Equal(grantId, Assert.Single((await self.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("data").EnumerateArray()).GetProperty("id").GetString());
        }

        using (var all = await _iam.Session(platformOwner.Token).GetAsync($"/api/nno/grants?orgId={org}&includeExpired=true"))
        {
            Assert.Equal(2, (await all.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("data").GetArrayLength());
        }

        using (var notSelf = await _iam.Session(member.Token).GetAsync($"/api/nno/grants?orgId={org}"))
        {
            await notSelf.AssertErrorAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
        }

        using (var delete = await owner.DeleteAsync($"/api/nno/grants/{grantId}"))
        {
            await delete.AssertStatusAsync(HttpStatusCode.NoContent);
            Assert.Equal("user=" + member.Id, delete.Headers.GetValues("X-Nno-Cache-Evict").Single());
        }

        using (var again = await owner.DeleteAsync($"/api/nno/grants/{grantId}"))
        {
            await again.AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND", "grant");
        }

        Assert.Equal(["grant.created", "grant.deleted"],
            await _iam.DbAsync(db => db.AuditEvents.Where(e => e.OrganizationId == org && e.Type.StartsWith("grant.")).Select(e => e.Type).Distinct().OrderBy(t => t).ToListAsync()));
    }
}

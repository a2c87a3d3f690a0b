using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Services;
using Nno.Iam.Tests.Platforms;
using Nno.Iam.Tests.Support;

namespace Nno.Iam.Tests.Organizations;

public sealed class OrganizationsTests(IamFixture fixture) : IClassFixture<IamFixture>
{
    private const string Path = "/api/nno/organizations";
    private readonly IamHost _iam = fixture.Iam;

    [Fact]
    public async Task Create_SlugTakenOnSamePlatform409_SameSlugOtherPlatform201_LookupBySlugReturnsMetadata()
    {
        var platformA = Tenancy.NewPlatformId();
        var platformB = Tenancy.NewPlatformId();
        var owner = await _iam.CreateUserAsync();
        var slug = Tenancy.NewSlug();
        using var registry = _iam.Service(NnoServices.Registry);
        var metadata = new { entityId = "abcdefghij", parentEntityId = (string?)null };

        using (var first = await registry.PostAsJsonAsync(Path, new { platformId = platformA, name = "Acme", slug, ownerId = owner.Id, metadata }))
        {
            var org = await first.AssertStatusAsync(HttpStatusCode.Created);
            Assert.Matches("^[a-z0-9]{10}$", org.GetProperty("id").GetString());
            Assert.Equal("tenant", org.GetProperty("orgType").GetString());
        }

        using (var taken = await registry.PostAsJsonAsync(Path, new { platformId = platformA, name = "Other", slug, ownerId = owner.Id }))
        {
            await taken.AssertErrorAsync(HttpStatusCode.Conflict, "CONFLICT");
        }

        using (var elsewhere = await registry.PostAsJsonAsync(Path, new { platformId = platformB, name = "Acme B", slug, ownerId = owner.Id }))
        {
            await elsewhere.AssertStatusAsync(HttpStatusCode.Created);
        }

        using var lookup = await registry.GetAsync($"{Path}?platformId={platformA}&slug={slug}");
        var found = Assert.Single((await lookup.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("data").EnumerateArray());
        Assert.Equal("Acme", found.GetProperty("name").GetString());
        Assert.Equal("abcdefghij", found.GetProperty("metadata").GetProperty("entityId").GetString());
        Assert.Equal(JsonValueKind.Null, found.GetProperty("metadata").GetProperty("parentEntityId").ValueKind);

        // The owner is the tenant owner and became a platform member of both platforms.
        await _iam.DbAsync(async db =>
        {
            Assert.Equal("member", await db.PlatformMembers.Where(m => m.PlatformId == platformA && m.UserId == owner.Id).Select(m => m.Role).FirstAsync());
            Assert.True(await db.PlatformMembers.AnyAsync(m => m.PlatformId == platformB && m.UserId == owner.Id));
            Assert.True(await db.AuditEvents.AnyAsync(e => e.Type == "org.created" && e.PlatformId == platformA));
        });
    }

    [Fact]
    public async Task Create_WithGivenId_IdenticalRepeat200_DifferentBody409_IdempotencyKeyReplays()
    {
        var platformId = Tenancy.NewPlatformId();
        var owner = await _iam.CreateUserAsync();
        var id = Tenancy.NewPlatformId();
        var body = new { id, platformId, name = "Entity", slug = Tenancy.NewSlug(), ownerId = owner.Id, metadata = new { entityId = id } };
        using var registry = _iam.Service(NnoServices.Registry);

        using (var first = await registry.PostAsJsonAsync(Path, body))
        {
            Assert.Equal(id, (await first.AssertStatusAsync(HttpStatusCode.Created)).GetProperty("id").GetString());
        }

        using (var repeat = await registry.PostAsJsonAsync(Path, body))
        {
            Assert.Equal(id, (await repeat.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("id").GetString());
        }

        using (var different = await registry.PostAsJsonAsync(Path, body with { name = "Changed" }))
        {
            await different.AssertErrorAsync(HttpStatusCode.Conflict, "CONFLICT");
        }

        var keyed = new { platformId, name = "Keyed", slug = Tenancy.NewSlug(), ownerId = owner.Id };
        string? keyedId = null;
        for (var i = 0; i < 2; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, Path) { Content = JsonContent.Create(keyed) };
            request.Headers.Add("Idempotency-Key", "create-keyed-" + platformId);
            using var response = await registry.SendAsync(request);
            var created = await response.AssertStatusAsync(HttpStatusCode.Created);
            keyedId ??= created.GetProperty("id").GetString();
            Assert.Equal(keyedId, created.GetProperty("id").GetString());
        }

        Assert.Equal(1, await _iam.DbAsync(db => db.Organizations.CountAsync(o => o.PlatformId == platformId && o.Name == "Keyed")));
    }

    [Fact]
    public async Task Create_BadInput_400WithFields_AndNothingStored()
    {
        var platformId = Tenancy.NewPlatformId();
        var owner = await _iam.CreateUserAsync();
        var op = await _iam.CreateOperatorAsync();
        using var registry = _iam.Service(NnoServices.Registry);
        using var asOperator = _iam.Session(op.Token);

        async Task<IReadOnlyList<string>> Rejected(HttpClient client, object body)
        {
            using var response = await client.PostAsJsonAsync(Path, body);
            return (await response.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR")).Fields();
        }

        Assert.Contains("colour", await Rejected(registry, new { platformId, name = "A", slug = Tenancy.NewSlug(), ownerId = owner.Id, colour = "red" }));
        Assert.Contains("orgType", await Rejected(asOperator, new { platformId, name = "A", slug = Tenancy.NewSlug(), ownerId = owner.Id, orgType = "nno-operator" }));
        Assert.Contains("name", await Rejected(registry, new { platformId, name = new string('n', 101), slug = Tenancy.NewSlug(), ownerId = owner.Id }));
        Assert.Contains("name", await Rejected(registry, new { platformId, name = "   ", slug = Tenancy.NewSlug(), ownerId = owner.Id }));
        foreach (var slug in new[] { "Bad_Slug", "-edge", "edge-", new string('a', 64), "" })
        {
            Assert.Contains("slug", await Rejected(registry, new { platformId, name = "A", slug, ownerId = owner.Id }));
        }

        var big = new Dictionary<string, string> { ["blob"] = new string('x', 4100) };
        Assert.Contains("metadata", await Rejected(registry, new { platformId, name = "A", slug = Tenancy.NewSlug(), ownerId = owner.Id, metadata = big }));
        Assert.Contains("metadata", await Rejected(registry, new { platformId, name = "A", slug = Tenancy.NewSlug(), ownerId = owner.Id, metadata = new[] { 1, 2 } }));
        Assert.Contains("id", await Rejected(registry, new { id = "TOO-SHORT", platformId, name = "A", slug = Tenancy.NewSlug(), ownerId = owner.Id }));
        Assert.Contains("platformId", await Rejected(registry, new { platformId = "0000000000", name = "A", slug = Tenancy.NewSlug(), ownerId = owner.Id }));
        Assert.Contains("ownerId", await Rejected(registry, new { platformId, name = "A", slug = Tenancy.NewSlug() }));

        using (var unknownOwner = await registry.PostAsJsonAsync(Path, new { platformId, name = "A", slug = Tenancy.NewSlug(), ownerId = "usr_doesnotexist0000000" }))
        {
            await unknownOwner.AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND", "user");
        }

        using (var unknownParent = await registry.PostAsJsonAsync(Path, new { platformId, name = "A", slug = Tenancy.NewSlug(), ownerId = owner.Id, parentId = "zzzzzzzzzz" }))
        {
            await unknownParent.AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND", "organization");
        }

        using (var cli = await _iam.Service(NnoServices.Cli).PostAsJsonAsync(Path, new { platformId, name = "A", slug = Tenancy.NewSlug(), ownerId = owner.Id }))
        {
            await cli.AssertErrorAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
        }

        Assert.False(await _iam.DbAsync(db => db.Organizations.AnyAsync(o => o.PlatformId == platformId)));
    }

    [Fact]
    public async Task Create_ByPlatformOwner_IsForbidden_ByOperator_Created()
    {
        var platformId = Tenancy.NewPlatformId();
        var owner = await _iam.PlatformUserAsync(platformId, "owner");
        var op = await _iam.CreateOperatorAsync();
        var body = new { platformId, name = "A", slug = Tenancy.NewSlug(), ownerId = owner.Id };

        using (var response = await _iam.Session(owner.Token).PostAsJsonAsync(Path, body))
        {
            await response.AssertErrorAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
        }

        using (var response = await _iam.Session(op.Token).PostAsJsonAsync(Path, body))
        {
            await response.AssertStatusAsync(HttpStatusCode.Created);
        }
    }

    [Fact]
    public async Task NoBetterAuthOrganizationRoutes()
    {
        var user = await _iam.CreateUserAsync();
        using var client = _iam.Session(user.Token);
        foreach (var path in new[] { "/api/auth/organization/create", "/api/auth/organization/list", "/api/auth/organization/set-active" })
        {
            using var get = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
            using var post = await client.PostAsJsonAsync(path, new { name = "x" });
            Assert.Equal(HttpStatusCode.NotFound, post.StatusCode);
        }
    }

    [Fact]
    public async Task ListWithoutPlatform_ReturnsOwnOrganizationsAcrossPlatformsWithRole_ActiveOrganizationSetsBoth()
    {
        var platformA = Tenancy.NewPlatformId();
        var platformB = Tenancy.NewPlatformId();
        var user = await _iam.CreateUserAsync();
        var ownedOnA = await _iam.CreateOrganizationAsync(platformA, user.Id);
        var otherOwner = await _iam.CreateUserAsync();
        var memberOnB = await _iam.CreateOrganizationAsync(platformB, otherOwner.Id);
        await _iam.AddPlatformMemberAsync(platformB, user.Id, "member");
        await _iam.AddTenantMemberAsync(memberOnB, user.Id, "admin");
        await _iam.CreateOrganizationAsync(platformB, otherOwner.Id); // not the user's
        using var client = _iam.Session(user.Token);

        using (var response = await client.GetAsync(Path))
        {
            var roles = (await response.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("data").EnumerateArray()
                .ToDictionary(o => o.GetProperty("id").GetString()!, o => o.GetProperty("role").GetString());
            Assert.Equal(new Dictionary<string, string?> { [ownedOnA] = "owner", [memberOnB] = "admin" }, roles);
        }

        // P(member) with platformId sees only the organizations they belong to.
        using (var response = await client.GetAsync($"{Path}?platformId={platformB}"))
        {
            var only = Assert.Single((await response.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("data").EnumerateArray());
            Assert.Equal(memberOnB, only.GetProperty("id").GetString());
        }

        using (var response = await client.PostAsJsonAsync("/api/nno/session/active-organization", new { organizationId = memberOnB }))
        {
            var session = await response.AssertStatusAsync(HttpStatusCode.OK);
            Assert.Equal(platformB, session.GetProperty("platformId").GetString());
            Assert.Equal(memberOnB, session.GetProperty("organization").GetProperty("id").GetString());
            Assert.Equal("admin", session.GetProperty("organization").GetProperty("role").GetString());
        }

        var validated = Assert.NotNull(await _iam.ValidateAsync(user.Token));
        Assert.Equal(platformB, validated.GetProperty("platformId").GetString());
        Assert.Equal(memberOnB, validated.GetProperty("session").GetProperty("activeOrganizationId").GetString());

        using (var response = await client.PostAsJsonAsync("/api/nno/session/active-organization", new { organizationId = (string?)null }))
        {
            var session = await response.AssertStatusAsync(HttpStatusCode.OK);
            Assert.Equal(JsonValueKind.Null, session.GetProperty("organization").ValueKind);
            Assert.Equal(platformB, session.GetProperty("platformId").GetString());
        }

        // An organization of the platform the user does not belong to is unknown to them.
        var stranger = await _iam.CreateOrganizationAsync(Tenancy.NewPlatformId(), otherOwner.Id);
        using (var response = await client.PostAsJsonAsync("/api/nno/session/active-organization", new { organizationId = stranger }))
        {
            await response.AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND", "organization");
        }
    }

    [Fact]
    public async Task Get_MemberAndManagersRead_PlatformMemberOutsideIsForbidden()
    {
        var platformId = Tenancy.NewPlatformId();
        var admin = await _iam.PlatformUserAsync(platformId, "admin");
        var tenantMember = await _iam.PlatformUserAsync(platformId, "member");
        var outsider = await _iam.PlatformUserAsync(platformId, "member");
        var owner = await _iam.PlatformUserAsync(platformId, "member");
        var org = await _iam.CreateOrganizationAsync(platformId, owner.Id);
        await _iam.AddTenantMemberAsync(org, tenantMember.Id, "member");

        using (var response = await _iam.Session(admin.Token).GetAsync($"{Path}/{org}"))
        {
            Assert.Equal(JsonValueKind.Null, (await response.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("role").ValueKind);
        }

        using (var response = await _iam.Session(tenantMember.Token).GetAsync($"{Path}/{org}"))
        {
            Assert.Equal("member", (await response.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("role").GetString());
        }

        using (var response = await _iam.Session(outsider.Token).GetAsync($"{Path}/{org}"))
        {
            await response.AssertErrorAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
        }

        using (var response = await _iam.Session(admin.Token).GetAsync($"{Path}/zzzzzzzzzz"))
        {
            await response.AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND", "organization");
        }
    }

    [Fact]
    public async Task Patch_ByRegistry_ChangesFieldsNullClearsLogo_SlugClash409_UsersForbidden()
    {
        var platformId = Tenancy.NewPlatformId();
        var owner = await _iam.PlatformUserAsync(platformId, "owner");
        var org = await _iam.CreateOrganizationAsync(platformId, owner.Id);
        var takenSlug = Tenancy.NewSlug();
        await _iam.CreateOrganizationAsync(platformId, owner.Id, takenSlug);
        using var registry = _iam.Service(NnoServices.Registry);

        using (var response = await registry.PatchAsJsonAsync($"{Path}/{org}", new { name = "Renamed", logo = "https://cdn.example.com/l.png", metadata = new { a = 1 } }))
        {
            var body = await response.AssertStatusAsync(HttpStatusCode.OK);
            Assert.Equal("Renamed", body.GetProperty("name").GetString());
            Assert.Equal(1, body.GetProperty("metadata").GetProperty("a").GetInt32());
        }

        using (var response = await registry.PatchAsync($"{Path}/{org}", new StringContent("{\"logo\":null}", Encoding.UTF8, "application/json")))
        {
            var body = await response.AssertStatusAsync(HttpStatusCode.OK);
            Assert.Equal(JsonValueKind.Null, body.GetProperty("logo").ValueKind);
            Assert.Equal("Renamed", body.GetProperty("name").GetString());
            Assert.Equal(1, body.GetProperty("metadata").GetProperty("a").GetInt32());
        }

        using (var response = await registry.PatchAsJsonAsync($"{Path}/{org}", new { slug = takenSlug }))
        {
            await response.AssertErrorAsync(HttpStatusCode.Conflict, "CONFLICT");
        }

        using (var response = await registry.PatchAsJsonAsync($"{Path}/{org}", new { slug = "Not A Slug", bogus = true }))
        {
            await response.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        }

        using (var response = await registry.PatchAsJsonAsync($"{Path}/{org}", new { logo = "javascript:alert(1)" }))
        {
            Assert.Contains("logo", (await response.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR")).Fields());
        }

        using (var response = await _iam.Session(owner.Token).PatchAsJsonAsync($"{Path}/{org}", new { name = "Mine" }))
        {
            await response.AssertErrorAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
        }
    }

    [Fact]
    public async Task Delete_WithLiveChild409_ThenSoftDeletesAndClearsMembersAndSessions()
    {
        var platformId = Tenancy.NewPlatformId();
        var owner = await _iam.PlatformUserAsync(platformId, "owner");
        var parent = await _iam.CreateOrganizationAsync(platformId, owner.Id);
        var child = await _iam.CreateOrganizationAsync(platformId, owner.Id, parentId: parent);
        await _iam.DbAsync(db => db.Sessions.Where(s => s.Id == owner.SessionId).ExecuteUpdateAsync(u => u.SetProperty(s => s.ActiveOrganizationId, parent)));
        using var registry = _iam.Service(NnoServices.Registry);

        using (var response = await registry.DeleteAsync($"{Path}/{parent}"))
        {
            var error = await response.AssertErrorAsync(HttpStatusCode.Conflict, "CONFLICT");
            Assert.Equal("has_children", error.GetProperty("details").GetProperty("reason").GetString());
        }

        using (var response = await registry.DeleteAsync($"{Path}/{child}"))
        {
            await response.AssertStatusAsync(HttpStatusCode.NoContent);
        }

        using (var response = await registry.DeleteAsync($"{Path}/{parent}"))
        {
            await response.AssertStatusAsync(HttpStatusCode.NoContent);
        }

        using (var response = await registry.DeleteAsync($"{Path}/{parent}"))
        {
            await response.AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND", "organization");
        }

        using (var response = await registry.GetAsync($"{Path}/{parent}"))
        {
            await response.AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND", "organization");
        }

        await _iam.DbAsync(async db =>
        {
            Assert.NotNull((await db.Organizations.FirstAsync(o => o.Id == parent)).DeletedAt);
            Assert.False(await db.Members.AnyAsync(m => m.OrganizationId == parent));
            Assert.Null((await db.Sessions.FirstAsync(s => s.Id == owner.SessionId)).ActiveOrganizationId);
        });

        // Deleted organizations are no longer listed.
        using (var response = await registry.GetAsync($"{Path}?platformId={platformId}"))
        {
            Assert.Empty((await response.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("data").EnumerateArray());
        }
    }

    [Fact]
    public async Task TenantMembers_AddChangeRemove_FollowTenantRules_LastOwner409()
    {
        var platformId = Tenancy.NewPlatformId();
        var tenantOwner = await _iam.PlatformUserAsync(platformId, "member");
        var tenantAdmin = await _iam.PlatformUserAsync(platformId, "member");
        var candidate = await _iam.PlatformUserAsync(platformId, "member");
        var outsider = await _iam.CreateUserAsync();
        var org = await _iam.CreateOrganizationAsync(platformId, tenantOwner.Id);
        await _iam.AddTenantMemberAsync(org, tenantAdmin.Id, "admin");
        using var asOwner = _iam.Session(tenantOwner.Token);
        using var asAdmin = _iam.Session(tenantAdmin.Token);
        var members = $"{Path}/{org}/members";

        using (var response = await asAdmin.PostAsJsonAsync(members, new { userId = candidate.Id, role = "owner" }))
        {
            await response.AssertErrorAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
        }

        using (var response = await asAdmin.PostAsJsonAsync(members, new { userId = outsider.Id, role = "member" }))
        {
            await response.AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND", "user");
        }

        using (var response = await asAdmin.PostAsJsonAsync(members, new { userId = candidate.Id, role = "member" }))
        {
            Assert.Equal("member", (await response.AssertStatusAsync(HttpStatusCode.Created)).GetProperty("role").GetString());
        }

        using (var response = await asAdmin.PostAsJsonAsync(members, new { userId = candidate.Id, role = "member" }))
        {
            await response.AssertErrorAsync(HttpStatusCode.Conflict, "CONFLICT");
        }

        using (var response = await asAdmin.PatchAsJsonAsync($"{members}/{tenantOwner.Id}", new { role = "member" }))
        {
            await response.AssertErrorAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
        }

        using (var response = await asOwner.PatchAsJsonAsync($"{members}/{tenantOwner.Id}", new { role = "member" }))
        {
            var error = await response.AssertErrorAsync(HttpStatusCode.Conflict, "CONFLICT");
            Assert.Equal("last_owner", error.GetProperty("details").GetProperty("reason").GetString());
        }

        using (var response = await asOwner.DeleteAsync($"{members}/{tenantOwner.Id}"))
        {
            await response.AssertErrorAsync(HttpStatusCode.Conflict, "CONFLICT");
        }

        using (var response = await asOwner.PatchAsJsonAsync($"{members}/{candidate.Id}", new { role = "owner" }))
        {
            await response.AssertStatusAsync(HttpStatusCode.OK);
        }

        using (var response = await asOwner.DeleteAsync($"{members}/{tenantOwner.Id}"))
        {
            await response.AssertStatusAsync(HttpStatusCode.NoContent);
        }

        // Tenant admins see emails; a plain tenant member does not.
        using (var response = await asAdmin.GetAsync(members))
        {
            Assert.All((await response.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("data").EnumerateArray(), m => Assert.NotNull(m.GetProperty("email").GetString()));
        }

        using (var response = await asAdmin.PatchAsJsonAsync($"{members}/{tenantAdmin.Id}", new { role = "member" }))
        {
            await response.AssertStatusAsync(HttpStatusCode.OK);
        }

        using (var response = await asAdmin.GetAsync(members))
        {
            var data = (await response.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("data").EnumerateArray().ToList();
            Assert.Equal(2, data.Count);
            Assert.All(data, m => Assert.Equal(JsonValueKind.Null, m.GetProperty("email").ValueKind));
        }

        using (var response = await asAdmin.DeleteAsync($"{members}/{tenantAdmin.Id}"))
        {
            await response.AssertStatusAsync(HttpStatusCode.NoContent);
        }

        Assert.Equal(["member.added", "member.removed", "member.role_changed"],
            await _iam.DbAsync(db => db.AuditEvents.Where(e => e.OrganizationId == org && e.Type.StartsWith("member.")).Select(e => e.Type).Distinct().OrderBy(t => t).ToListAsync()));
    }
}

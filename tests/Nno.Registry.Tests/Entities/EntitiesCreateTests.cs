using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Services;
using Nno.Testing.Security;
using Nno.Registry.Outbox;
using Nno.Registry.Tests.Support;

namespace Nno.Registry.Tests.Entities;

/// <summary>registry.md §7 tests 22 and 25: entity creation, its IAM organization through the outbox, nesting and field rules.</summary>
public sealed class EntitiesCreateTests : IAsyncLifetime
{
    private readonly IamFaults _faults = new();
    private RegistryHost _host = null!;
    private string _owner = null!;
    private string _pid = null!;

    public async Task InitializeAsync()
    {
        _host = await RegistryHost.StartWithAsync(configurePipeline: _faults.Install);
        RegistryApi.CurrentHost.Value = _host;
        _owner = _host.CreateIamUser();
        _pid = (await _host.ImportAsync("acme", owner: _owner, tier: "growth")).Id();
        await _host.WaitActiveAsync(await _host.DefaultEntityIdAsync(_pid), "the default entity's organization");
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private HttpClient Owner() => _host.User(_owner, (_pid, "owner"));

    [Fact]
    public async Task Create_Is201Pending_ThenActiveWithIamOrgWhoseSlugIsTheEntitySlug()
    {
        using var owner = Owner();
        using var response = await owner.CreateEntityAsync(_pid, "north", name: "  North  ");
        var entity = await response.ExpectAsync(HttpStatusCode.Created);
        var eid = entity.Id();
        Assert.Equal($"/api/v1/platforms/{_pid}/entities/{eid}", response.Headers.Location?.OriginalString);
        Assert.Matches("^[a-z0-9]{10}$", eid);
        Assert.Equal(
            ("pending", "tenant", 0, false, "North", "north", _pid),
            (entity.GetProperty("status").GetString(), entity.GetProperty("type").GetString(), entity.GetProperty("depth").GetInt32(),
             entity.GetProperty("isDefault").GetBoolean(), entity.GetProperty("name").GetString(), entity.GetProperty("slug").GetString(),
             entity.GetProperty("platformId").GetString()));
        Assert.Equal(JsonValueKind.Null, entity.GetProperty("iamOrgId").ValueKind);
        Assert.Equal(JsonValueKind.Null, entity.GetProperty("parentId").ValueKind);

        // The outbox row and the audit entry were committed with the entity.
        var create = Assert.Single(await _host.OutboxAsync(_pid), o => o.Kind == OutboxKinds.IamCreateOrg && o.TargetId == eid);
        Assert.Equal(_owner, JsonDocument.Parse(create.Payload).RootElement.GetProperty("ownerUserId").GetString());
        var audit = await _host.WithDbAsync(db => db.AuditLog.AsNoTracking().SingleAsync(a => a.TargetId == eid));
        Assert.Equal(("entity.created", "user", _owner), (audit.Action, audit.ActorType, audit.ActorId));

        await _host.WaitActiveAsync(eid);
        using var read = await owner.GetAsync(EntitiesTestKit.EntityPath(_pid, eid));
        var active = await read.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(("active", eid), (active.GetProperty("status").GetString(), active.GetProperty("iamOrgId").GetString()));
        Assert.Equal("north", _host.IamScalar("SELECT slug FROM organizations WHERE id = $id AND platform_id = $p", ("$id", eid), ("$p", _pid)));
        Assert.Equal(_owner, _host.IamScalar("SELECT user_id FROM members WHERE organization_id = $id AND role = 'owner'", ("$id", eid)));
    }

    [Fact]
    public async Task Create_Iam503ThreeTimesThenOk_BecomesActive()
    {
        _faults.Fail("POST", "/api/nno/organizations", 503, times: 3);
        using var owner = Owner();
        var eid = (await owner.CreatedEntityAsync(_pid, "retry")).Id();

        await _host.WaitActiveAsync(eid);
        var entity = await _host.EntityAsync(eid);
        Assert.Equal(eid, entity.IamOrgId);
        Assert.Null(entity.LastError);
        Assert.Equal(4, _faults.Seen.Count(s => s == "POST /api/nno/organizations") - 1);
        var row = Assert.Single(await _host.OutboxAsync(_pid), o => o.Kind == OutboxKinds.IamCreateOrg && o.TargetId == eid);
        Assert.Equal(4, row.Attempts);
        Assert.NotNull(row.CompletedAt);
    }

    [Fact]
    public async Task Create_Iam409BecauseTheOrgExists_AdoptsIt_OneOrg()
    {
        // IAM already has an organization with this slug (created another way, or by an attempt whose answer was lost).
        using (var iam = _host.Platform.ClientWithToken(NnoServices.Iam, await _host.TokenOfAsync(NnoServices.Registry)))
        using (var made = await iam.PostAsJsonAsync("/api/nno/organizations", new { platformId = _pid, name = "Existing", slug = "south", ownerId = _owner }))
        {
            Assert.Equal(HttpStatusCode.Created, made.StatusCode);
        }

        var existingId = _host.IamScalar("SELECT id FROM organizations WHERE platform_id = $p AND slug = 'south'", ("$p", _pid))!;
        using var owner = Owner();
        var eid = (await owner.CreatedEntityAsync(_pid, "south")).Id();

        await _host.WaitActiveAsync(eid);
        Assert.Equal(existingId, (await _host.EntityAsync(eid)).IamOrgId);
        Assert.Equal("1", _host.IamScalar("SELECT COUNT(*) FROM organizations WHERE platform_id = $p AND slug = 'south'", ("$p", _pid)));
    }

    [Fact]
    public async Task SubTenants_Depth1And2Ok_WithParentOrgsInIam_Depth3Is400()
    {
        using var owner = Owner();
        var tenant = (await owner.CreatedEntityAsync(_pid, "t0")).Id();
        var level1 = await owner.CreatedEntityAsync(_pid, "t1", parentId: tenant);
        var level2 = await owner.CreatedEntityAsync(_pid, "t2", parentId: level1.Id());
        Assert.Equal(("sub_tenant", 1, tenant), (level1.GetProperty("type").GetString(), level1.GetProperty("depth").GetInt32(), level1.GetProperty("parentId").GetString()));
        Assert.Equal(("sub_tenant", 2), (level2.GetProperty("type").GetString(), level2.GetProperty("depth").GetInt32()));

        using (var tooDeep = await owner.CreateEntityAsync(_pid, "t3", parentId: level2.Id()))
        {
            var error = await tooDeep.ExpectErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
            Assert.Equal("maximum nesting depth is 2", error.Details().GetProperty("fields").GetProperty("parentId")[0].GetString());
        }

        // Each sub-tenant's organization waits for its parent's and hangs under it in IAM.
        await _host.WaitActiveAsync(level2.Id());
        Assert.Equal(level1.Id(), _host.IamScalar("SELECT parent_id FROM organizations WHERE id = $id", ("$id", level2.Id())));
        Assert.Equal(tenant, _host.IamScalar("SELECT parent_id FROM organizations WHERE id = $id", ("$id", level1.Id())));
        Assert.Equal(0, await _host.WithDbAsync(db => db.Entities.CountAsync(e => e.Slug == "t3")));
    }

    [Fact]
    public async Task ParentOfAnotherPlatform_OrDeleted_OrMalformed_Is400NotFound_LikeARandomId()
    {
        var otherOwner = _host.CreateIamUser();
        var other = (await _host.ImportAsync("other", owner: otherOwner)).Id();
        var foreignParent = await _host.DefaultEntityIdAsync(other);
        var deletedParent = await _host.InsertEntityAsync(_pid, "gone", deleted: true);

        using var op = _host.Operator();
        var bodies = new List<string>();
        foreach (var parentId in new[] { EntitiesTestKit.NewId(), foreignParent, deletedParent, "NOT-AN-ID" })
        {
            using var response = await op.CreateEntityAsync(_pid, "child", parentId);
            var error = await response.ExpectErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
            Assert.Equal("not found", error.Details().GetProperty("fields").GetProperty("parentId")[0].GetString());
            bodies.Add(RegistryApi.WithoutRequestId(error));
        }

        Assert.Single(bodies.Distinct());
        Assert.Equal(0, await _host.WithDbAsync(db => db.Entities.CountAsync(e => e.Slug == "child")));
    }

    [Theory]
    [InlineData("default")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("-a")]
    [InlineData("a-")]
    [InlineData("A")]
    [InlineData("a_b")]
    [InlineData("")]
    public async Task BadSlug_Is400NamingSlug(string slug)
    {
        using var owner = Owner();
        using var response = await owner.CreateEntityAsync(_pid, slug);
        var error = await response.ExpectErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.True(error.Details().GetProperty("fields").TryGetProperty("slug", out _));
        Assert.Equal(1, await _host.WithDbAsync(db => db.Entities.CountAsync(e => e.PlatformId == _pid)));
    }

    [Fact]
    public async Task DuplicateLiveSlug_Is409_TheSameSlugOnAnotherPlatformIsFine()
    {
        using var owner = Owner();
        await owner.CreatedEntityAsync(_pid, "dup");
        using (var again = await owner.CreateEntityAsync(_pid, "dup"))
        {
            var error = await again.ExpectErrorAsync(HttpStatusCode.Conflict, "CONFLICT");
            Assert.Equal("slug", error.Details().GetProperty("field").GetString());
        }

        var other = (await _host.ImportAsync("other", owner: "usr_other", tier: "growth")).Id();
        using var op = _host.Operator();
        await op.CreatedEntityAsync(other, "dup");
    }

    [Theory]
    [InlineData("status", "\"active\"")]
    [InlineData("id", "\"abcdefghij\"")]
    [InlineData("type", "\"sub_tenant\"")]
    [InlineData("depth", "2")]
    [InlineData("isDefault", "true")]
    [InlineData("iamOrgId", "\"org_x\"")]
    [InlineData("platformId", "\"abcdefghij\"")]
    public async Task ServerOwnedField_InTheBody_Is400_NothingStored(string field, string value)
    {
        using var owner = Owner();
        using var content = new StringContent($"{{\"name\":\"X\",\"slug\":\"x\",\"{field}\":{value}}}", System.Text.Encoding.UTF8, "application/json");
        using var response = await owner.PostAsync(EntitiesTestKit.EntitiesPath(_pid), content);
        await response.ExpectErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Equal(1, await _host.WithDbAsync(db => db.Entities.CountAsync(e => e.PlatformId == _pid)));
    }

    [Fact]
    public async Task OwnerUserId_FromAnOwnerIs403_FromAnOperatorOwnsTheOrganization()
    {
        var other = _host.CreateIamUser();
        using (var owner = Owner())
        using (var refused = await owner.PostJsonAsync(EntitiesTestKit.EntitiesPath(_pid), new { name = "X", slug = "x", ownerUserId = other }))
        {
            await refused.ExpectErrorAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
        }

        using var op = _host.Operator();
        using var response = await op.PostJsonAsync(EntitiesTestKit.EntitiesPath(_pid), new { name = "X", slug = "x", ownerUserId = other });
        var eid = (await response.ExpectAsync(HttpStatusCode.Created)).Id();
        await _host.WaitActiveAsync(eid);
        Assert.Equal(other, _host.IamScalar("SELECT user_id FROM members WHERE organization_id = $id AND role = 'owner'", ("$id", eid)));
        var audit = await _host.WithDbAsync(db => db.AuditLog.AsNoTracking().SingleAsync(a => a.TargetId == eid));
        Assert.Equal("operator", audit.ActorType);
    }

    [Fact]
    public async Task Create_WithIdempotencyKey_ReplaysTheSameEntity()
    {
        using var owner = Owner();
        string? first = null;
        for (var i = 0; i < 2; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, EntitiesTestKit.EntitiesPath(_pid))
            {
                Content = new StringContent("{\"name\":\"Once\",\"slug\":\"once\"}", System.Text.Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("Idempotency-Key", "create-once-1");
            using var response = await owner.SendAsync(request);
            var id = (await response.ExpectAsync(HttpStatusCode.Created)).Id();
            first ??= id;
            Assert.Equal(first, id);
        }

        Assert.Equal(1, await _host.WithDbAsync(db => db.Entities.CountAsync(e => e.Slug == "once")));
    }

    [Fact]
    public async Task Patch_RenamesTheEntityAndItsOrganization_OtherFieldsAre400()
    {
        using var owner = Owner();
        var eid = (await owner.CreatedEntityAsync(_pid, "renamed")).Id();
        await _host.WaitActiveAsync(eid);

        using (var patched = await owner.PatchJsonAsync(EntitiesTestKit.EntityPath(_pid, eid), new { name = "New name" }))
        {
            var json = await patched.ExpectAsync(HttpStatusCode.OK);
            Assert.Equal(("New name", "renamed"), (json.GetProperty("name").GetString(), json.GetProperty("slug").GetString()));
        }

        await _host.AdvanceUntilAsync(
            () => Task.FromResult(_host.IamScalar("SELECT name FROM organizations WHERE id = $id", ("$id", eid)) == "New name"),
            TimeSpan.FromMilliseconds(500), "IAM to rename the organization");
        var audit = await _host.WithDbAsync(db => db.AuditLog.AsNoTracking().SingleAsync(a => a.TargetId == eid && a.Action == "entity.updated"));
        Assert.Contains("New name", audit.Details, StringComparison.Ordinal);

        foreach (var body in new object[] { new { slug = "other" }, new { status = "deleted" }, new { }, new { name = "" }, new { name = "x", parentId = EntitiesTestKit.NewId() } })
        {
            using var refused = await owner.PatchJsonAsync(EntitiesTestKit.EntityPath(_pid, eid), body);
            await refused.ExpectErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        }

        var entity = await _host.EntityAsync(eid);
        Assert.Equal(("New name", "renamed", "active", 0), (entity.Name, entity.Slug, entity.Status, entity.Depth));
    }
}

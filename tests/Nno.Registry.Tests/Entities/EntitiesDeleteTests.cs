using System.Net;
using Microsoft.EntityFrameworkCore;
using Nno.Registry.Outbox;
using Nno.Registry.Tests.Support;

namespace Nno.Registry.Tests.Entities;

/// <summary>registry.md §7 test 26: entity deletion, its refusals and the IAM organization's deletion.</summary>
public sealed class EntitiesDeleteTests : IAsyncLifetime
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
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private HttpClient Owner() => _host.User(_owner, (_pid, "owner"));

    private async Task ExpectRefusedAsync(HttpClient client, string eid, string reason)
    {
        using var response = await client.DeleteAsync(EntitiesTestKit.EntityPath(_pid, eid));
        var error = await response.ExpectErrorAsync(HttpStatusCode.Conflict, "CONFLICT");
        Assert.Equal(reason, error.Details().GetProperty("reason").GetString());
        var entity = await _host.EntityAsync(eid);
        Assert.Null(entity.DeletedAt);
        Assert.NotEqual("deleted", entity.Status);
    }

    [Fact]
    public async Task DeleteDefaultEntity_Is409_EvenForAnOperator()
    {
        var defaultId = await _host.DefaultEntityIdAsync(_pid);
        using var owner = Owner();
        await ExpectRefusedAsync(owner, defaultId, "default_entity");
        using var op = _host.Operator();
        await ExpectRefusedAsync(op, defaultId, "default_entity");
    }

    [Fact]
    public async Task DeleteWithLiveChildren_Is409_AfterTheChildIsDeleted_Ok()
    {
        using var owner = Owner();
        var parent = (await owner.CreatedEntityAsync(_pid, "parent")).Id();
        var child = (await owner.CreatedEntityAsync(_pid, "child", parentId: parent)).Id();
        await ExpectRefusedAsync(owner, parent, "has_children");

        using (var deleteChild = await owner.DeleteAsync(EntitiesTestKit.EntityPath(_pid, child)))
        {
            await deleteChild.ExpectAsync(HttpStatusCode.OK);
        }

        using var deleteParent = await owner.DeleteAsync(EntitiesTestKit.EntityPath(_pid, parent));
        await deleteParent.ExpectAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task DeleteWithLiveStack_Is409_ADeletedStackDoesNotBlock()
    {
        using var owner = Owner();
        var eid = (await owner.CreatedEntityAsync(_pid, "stacked")).Id();
        var gone = (await owner.CreatedEntityAsync(_pid, "unstacked")).Id();
        await _host.InsertStackAsync(_pid, eid, status: "provisioning");
        await _host.InsertStackAsync(_pid, gone, status: "deleted");
        await ExpectRefusedAsync(owner, eid, "has_stacks");

        using var ok = await owner.DeleteAsync(EntitiesTestKit.EntityPath(_pid, gone));
        await ok.ExpectAsync(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("pending")]
    [InlineData("active")]
    [InlineData("deactivating")]
    [InlineData("failed")]
    public async Task DeleteWithAnActivationNotInactive_Is409(string status)
    {
        using var owner = Owner();
        var eid = (await owner.CreatedEntityAsync(_pid, "featured")).Id();
        await _host.InsertActivationAsync(_pid, eid, status);
        await ExpectRefusedAsync(owner, eid, "has_activations");
    }

    [Fact]
    public async Task DeleteWithOnlyInactiveActivations_Ok()
    {
        using var owner = Owner();
        var eid = (await owner.CreatedEntityAsync(_pid, "retired")).Id();
        await _host.InsertActivationAsync(_pid, eid, "inactive");
        using var response = await owner.DeleteAsync(EntitiesTestKit.EntityPath(_pid, eid));
        await response.ExpectAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Delete_Is200Deleted_IamOrgDeleted_SlugReusableWithANewOrg()
    {
        using var owner = Owner();
        var eid = (await owner.CreatedEntityAsync(_pid, "reuse")).Id();
        await _host.WaitActiveAsync(eid);

        using (var response = await owner.DeleteAsync(EntitiesTestKit.EntityPath(_pid, eid)))
        {
            var json = await response.ExpectAsync(HttpStatusCode.OK);
            Assert.Equal("deleted", json.GetProperty("status").GetString());
            Assert.Equal(_host.Time.GetUtcNow().ToUnixTimeMilliseconds(), json.GetProperty("deletedAt").GetDateTimeOffset().ToUnixTimeMilliseconds());
            Assert.Equal(eid, json.GetProperty("iamOrgId").GetString());
        }

        Assert.Single(await _host.OutboxAsync(_pid), o => o.Kind == OutboxKinds.IamDeleteOrg && o.TargetId == eid);
        Assert.Equal("entity.deleted", (await _host.WithDbAsync(db => db.AuditLog.AsNoTracking().SingleAsync(a => a.TargetId == eid && a.Action == "entity.deleted"))).Action);
        await _host.AdvanceUntilAsync(
            () => Task.FromResult(_host.IamScalar("SELECT deleted_at FROM organizations WHERE id = $id", ("$id", eid)) is not null),
            TimeSpan.FromMilliseconds(500), "IAM to delete the organization");

        // The deleted entity stays readable; a second delete and a rename are refused.
        using (var read = await owner.GetAsync(EntitiesTestKit.EntityPath(_pid, eid)))
        {
            Assert.Equal("deleted", (await read.ExpectAsync(HttpStatusCode.OK)).GetProperty("status").GetString());
        }

        using (var again = await owner.DeleteAsync(EntitiesTestKit.EntityPath(_pid, eid)))
        {
            await again.ExpectErrorAsync(HttpStatusCode.Conflict, "CONFLICT");
        }

        using (var rename = await owner.PatchJsonAsync(EntitiesTestKit.EntityPath(_pid, eid), new { name = "Zombie" }))
        {
            await rename.ExpectErrorAsync(HttpStatusCode.Conflict, "CONFLICT");
        }

        var second = (await owner.CreatedEntityAsync(_pid, "reuse")).Id();
        Assert.NotEqual(eid, second);
        await _host.WaitActiveAsync(second);
        Assert.Equal(second, (await _host.EntityAsync(second)).IamOrgId);
        Assert.Equal("1", _host.IamScalar("SELECT COUNT(*) FROM organizations WHERE platform_id = $p AND slug = 'reuse' AND deleted_at IS NULL", ("$p", _pid)));
    }

    [Fact]
    public async Task SlugReusedWhileTheOldOrgIsStillBeingDeleted_NewEntityGetsItsOwnOrg()
    {
        using var owner = Owner();
        var eid = (await owner.CreatedEntityAsync(_pid, "busy")).Id();
        await _host.WaitActiveAsync(eid);

        // IAM refuses the deletion for a while; the slug is free in the Registry at once.
        _faults.Fail("DELETE", "/api/nno/organizations/" + eid, 503, times: 2);
        using (var deleted = await owner.DeleteAsync(EntitiesTestKit.EntityPath(_pid, eid)))
        {
            await deleted.ExpectAsync(HttpStatusCode.OK);
        }

        var second = (await owner.CreatedEntityAsync(_pid, "busy")).Id();
        await _host.WaitActiveAsync(second, "the new entity to get its own organization");
        Assert.Equal(second, (await _host.EntityAsync(second)).IamOrgId);
        Assert.NotNull(_host.IamScalar("SELECT deleted_at FROM organizations WHERE id = $id", ("$id", eid)));
        Assert.Equal("1", _host.IamScalar("SELECT COUNT(*) FROM organizations WHERE platform_id = $p AND slug = 'busy' AND deleted_at IS NULL", ("$p", _pid)));
    }

    [Fact]
    public async Task DeleteBeforeTheOrgExists_LeavesNoOrganizationBehind()
    {
        using var owner = Owner();
        await _host.WaitActiveAsync(await _host.DefaultEntityIdAsync(_pid), "the default entity's organization");
        var before = _faults.Seen.Count(s => s == "POST /api/nno/organizations");

        // The first attempt fails; the retry waits for the (fake) clock, so the entity is deleted while still pending.
        _faults.Fail("POST", "/api/nno/organizations", 503, times: 1);
        var eid = (await owner.CreatedEntityAsync(_pid, "early")).Id();
        await OutboxTestKit.EventuallyAsync(() => Task.FromResult(_faults.Seen.Count(s => s == "POST /api/nno/organizations") > before), "the first create attempt");
        Assert.Equal("pending", (await _host.EntityAsync(eid)).Status);

        using (var deleted = await owner.DeleteAsync(EntitiesTestKit.EntityPath(_pid, eid)))
        {
            await deleted.ExpectAsync(HttpStatusCode.OK);
        }

        await _host.AdvanceUntilAsync(
            async () => (await _host.OutboxAsync(_pid)).Where(o => o.TargetId == eid).All(o => o.CompletedAt is not null),
            TimeSpan.FromMilliseconds(500), "the create and delete rows to complete");
        Assert.Equal("0", _host.IamScalar("SELECT COUNT(*) FROM organizations WHERE platform_id = $p AND slug = 'early' AND deleted_at IS NULL", ("$p", _pid)));
        Assert.Null((await _host.EntityAsync(eid)).IamOrgId);
    }
}

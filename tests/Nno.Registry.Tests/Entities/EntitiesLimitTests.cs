using System.Net;
using Microsoft.EntityFrameworkCore;
using Nno.Registry.Tests.Support;

namespace Nno.Registry.Tests.Entities;

/// <summary>registry.md §7 test 23 and the tenant row of §4.5: tenants per tier, sub-tenants per parent, serialised counts.</summary>
public sealed class EntitiesLimitTests : IAsyncLifetime
{
    private RegistryHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await RegistryHost.StartAsync();
        RegistryApi.CurrentHost.Value = _host;
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static void AssertLimit(System.Text.Json.JsonElement error, string limit, int max, int current)
    {
        var details = error.Details();
        Assert.Equal((limit, max, current), (details.GetProperty("limit").GetString(), details.GetProperty("max").GetInt32(), details.GetProperty("current").GetInt32()));
    }

    [Fact]
    public async Task Starter_DefaultPlusTwoTenants_FourthIs403_SubTenantsNotCounted()
    {
        var pid = (await _host.ImportAsync("starter")).Id();
        using var owner = _host.User("usr_owner", (pid, "owner"));
        var first = (await owner.CreatedEntityAsync(pid, "one")).Id();
        await owner.CreatedEntityAsync(pid, "two");

        using (var fourth = await owner.CreateEntityAsync(pid, "three"))
        {
            AssertLimit(await fourth.ExpectErrorAsync(HttpStatusCode.Forbidden, "TIER_LIMIT_EXCEEDED"), "tenants", 3, 3);
        }

        // Sub-tenants are not tenants: they fit while the tenant limit is reached, and do not move the count.
        var sub = (await owner.CreatedEntityAsync(pid, "one-a", parentId: first)).Id();
        await owner.CreatedEntityAsync(pid, "one-a-x", parentId: sub);
        using (var stillFull = await owner.CreateEntityAsync(pid, "three"))
        {
            AssertLimit(await stillFull.ExpectErrorAsync(HttpStatusCode.Forbidden, "TIER_LIMIT_EXCEEDED"), "tenants", 3, 3);
        }

        Assert.Equal(0, await _host.WithDbAsync(db => db.Entities.CountAsync(e => e.Slug == "three")));
    }

    [Fact]
    public async Task DeletedTenant_FreesItsSlot()
    {
        var pid = (await _host.ImportAsync("freed")).Id();
        using var owner = _host.User("usr_owner", (pid, "owner"));
        var one = (await owner.CreatedEntityAsync(pid, "one")).Id();
        await owner.CreatedEntityAsync(pid, "two");
        using (var deleted = await owner.DeleteAsync(EntitiesTestKit.EntityPath(pid, one)))
        {
            await deleted.ExpectAsync(HttpStatusCode.OK);
        }

        await owner.CreatedEntityAsync(pid, "three");
    }

    [Fact]
    public async Task Growth_AllowsTwenty_Scale_IsUnlimited()
    {
        var growth = (await _host.ImportAsync("growth", owner: "usr_g", tier: "growth")).Id();
        var scale = (await _host.ImportAsync("scale", owner: "usr_s", tier: "scale")).Id();
        for (var i = 0; i < 18; i++)
        {
            await _host.InsertEntityAsync(growth, "g" + i);
            await _host.InsertEntityAsync(scale, "s" + i);
        }

        using var op = _host.Operator();
        await op.CreatedEntityAsync(growth, "twentieth");
        using (var refused = await op.CreateEntityAsync(growth, "twenty-first"))
        {
            AssertLimit(await refused.ExpectErrorAsync(HttpStatusCode.Forbidden, "TIER_LIMIT_EXCEEDED"), "tenants", 20, 20);
        }

        await op.CreatedEntityAsync(scale, "twentieth");
        await op.CreatedEntityAsync(scale, "twenty-first");
    }

    [Fact]
    public async Task TenConcurrentCreates_ForOneSlot_ExactlyOneSucceeds()
    {
        var pid = (await _host.ImportAsync("race")).Id();
        using var owner = _host.User("usr_owner", (pid, "owner"));
        await owner.CreatedEntityAsync(pid, "taken");

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => owner.CreateEntityAsync(pid, "racer-" + i)));
        try
        {
            Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
            foreach (var refused in responses.Where(r => r.StatusCode != HttpStatusCode.Created))
            {
                await refused.ExpectErrorAsync(HttpStatusCode.Forbidden, "TIER_LIMIT_EXCEEDED");
            }
        }
        finally
        {
            foreach (var response in responses)
            {
                response.Dispose();
            }
        }

        Assert.Equal(3, await _host.WithDbAsync(db => db.Entities.CountAsync(e => e.PlatformId == pid && e.ParentId == null && e.DeletedAt == null)));
    }

    [Fact]
    public async Task SubTenants_CappedAtHundredPerParent_WhateverTheTier()
    {
        var pid = (await _host.ImportAsync("flood", tier: "scale")).Id();
        var parent = await _host.DefaultEntityIdAsync(pid);
        var other = await _host.InsertEntityAsync(pid, "other");
        for (var i = 0; i < 99; i++)
        {
            await _host.InsertEntityAsync(pid, "sub-" + i, parentId: parent, depth: 1);
        }

        // A deleted child does not count.
        await _host.InsertEntityAsync(pid, "sub-gone", parentId: parent, depth: 1, deleted: true);
        using var owner = _host.User("usr_owner", (pid, "owner"));
        await owner.CreatedEntityAsync(pid, "sub-99", parentId: parent);
        using (var refused = await owner.CreateEntityAsync(pid, "sub-100", parentId: parent))
        {
            AssertLimit(await refused.ExpectErrorAsync(HttpStatusCode.Forbidden, "TIER_LIMIT_EXCEEDED"), "subTenantsPerParent", 100, 100);
        }

        // The cap is per parent.
        await owner.CreatedEntityAsync(pid, "other-sub", parentId: other);
    }

    [Fact]
    public async Task SubscribedPlatformAtTheLimit_Is503NamingBilling_NothingStored_UnsubscribedIs403WithoutBilling()
    {
        var pid = (await _host.ImportAsync("subscribed")).Id();
        await _host.InsertEntityAsync(pid, "one");
        await _host.InsertEntityAsync(pid, "two");
        await _host.WithDbAsync(db => db.Platforms.Where(p => p.Id == pid).ExecuteUpdateAsync(s => s.SetProperty(p => p.StripeCustomerId, "cus_Test123")));
        using var owner = _host.User("usr_owner", (pid, "owner"));
        using (var unavailable = await owner.CreateEntityAsync(pid, "three"))
        {
            var error = await unavailable.ExpectErrorAsync(HttpStatusCode.ServiceUnavailable, "SERVICE_UNAVAILABLE");
            Assert.Equal("billing", error.Details().GetProperty("service").GetString());
        }

        Assert.Equal(0, await _host.WithDbAsync(db => db.Entities.CountAsync(e => e.Slug == "three")));
        Assert.Equal(0, await _host.WithDbAsync(db => db.AuditLog.CountAsync(a => a.Action == "entity.created")));

        // Below the limit a subscribed platform never needs Billing.
        var roomy = (await _host.ImportAsync("roomy", owner: "usr_roomy")).Id();
        await _host.WithDbAsync(db => db.Platforms.Where(p => p.Id == roomy).ExecuteUpdateAsync(s => s.SetProperty(p => p.StripeCustomerId, "cus_Roomy")));
        using var op = _host.Operator();
        await op.CreatedEntityAsync(roomy, "one");
    }
}

using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Nno.Registry.Tests.Support;

namespace Nno.Registry.Tests.Entities;

/// <summary>
/// registry.md §7 tests 7, 8, 9 and 37 for the entity routes: cross-platform 404s (sessions and API keys), member and admin
/// rights, API-key scopes, the status gate; and the list's filters and keyset paging.
/// </summary>
public sealed class EntitiesAccessTests : IAsyncLifetime
{
    private RegistryHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await RegistryHost.StartAsync();
        RegistryApi.CurrentHost.Value = _host;
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    /// <summary>Every entity route, called with a platform id and an entity id.</summary>
    private static readonly (string Name, Func<HttpClient, string, string, Task<HttpResponseMessage>> Call)[] Routes =
    [
        ("GET list", (c, pid, _) => c.GetAsync(EntitiesTestKit.EntitiesPath(pid))),
        ("POST", (c, pid, _) => c.PostJsonAsync(EntitiesTestKit.EntitiesPath(pid), new { name = "X", slug = "x-probe" })),
        ("GET one", (c, pid, eid) => c.GetAsync(EntitiesTestKit.EntityPath(pid, eid))),
        ("PATCH", (c, pid, eid) => c.PatchJsonAsync(EntitiesTestKit.EntityPath(pid, eid), new { name = "Renamed" })),
        ("DELETE", (c, pid, eid) => c.DeleteAsync(EntitiesTestKit.EntityPath(pid, eid))),
    ];

    private static readonly (string Name, Func<HttpClient, string, string, Task<HttpResponseMessage>> Call)[] EntityRoutes = Routes[2..];

    private static async Task<string> NotFoundBodyAsync(Func<HttpClient, string, string, Task<HttpResponseMessage>> call, HttpClient client, string pid, string eid, string resource, string route)
    {
        using var response = await call(client, pid, eid);
        var json = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{route} {pid}/{eid}: {(int)response.StatusCode} {json}");
        Assert.Equal(resource, json.Details().GetProperty("resource").GetString());
        return RegistryApi.WithoutRequestId(json);
    }

    [Fact]
    public async Task OtherPlatformsIds_Answer404LikeRandomIds_ForSessionsAndApiKeys_OnEveryRoute()
    {
        var a = (await _host.ImportAsync("alpha", owner: "usr_a", tier: "growth")).Id();
        var b = (await _host.ImportAsync("beta", owner: "usr_b", tier: "growth")).Id();
        var bEntity = await _host.InsertEntityAsync(b, "beta-tenant");
        var aEntity = await _host.InsertEntityAsync(a, "alpha-tenant");

        using var session = _host.User("usr_a", (a, "owner"));
        using var apiKey = _host.ApiKey("usr_a", a, "owner", "platforms:read", "platforms:write");
        foreach (var (client, kind) in new[] { (session, "session"), (apiKey, "apikey") })
        {
            foreach (var (name, call) in Routes)
            {
                // Platform B, and B's entity under B: exactly the body of a random platform id.
                var foreign = await NotFoundBodyAsync(call, client, b, bEntity, "platform", $"{kind} {name}");
                var random = await NotFoundBodyAsync(call, client, EntitiesTestKit.NewId(), EntitiesTestKit.NewId(), "platform", $"{kind} {name}");
                Assert.Equal(random, foreign);
            }

            foreach (var (name, call) in EntityRoutes)
            {
                // B's entity under A's path: exactly the body of a random entity id.
                var foreign = await NotFoundBodyAsync(call, client, a, bEntity, "entity", $"{kind} {name}");
                var random = await NotFoundBodyAsync(call, client, a, EntitiesTestKit.NewId(), "entity", $"{kind} {name}");
                var malformed = await NotFoundBodyAsync(call, client, a, "NOT_AN_ID", "entity", $"{kind} {name}");
                Assert.Equal(random, foreign);
                Assert.Equal(random, malformed);
            }
        }

        // A child id of another platform is not found even for an operator (queries filter on the path's platform).
        using var op = _host.Operator();
        foreach (var (name, call) in EntityRoutes)
        {
            Assert.Equal(
                await NotFoundBodyAsync(call, op, a, EntitiesTestKit.NewId(), "entity", "op " + name),
                await NotFoundBodyAsync(call, op, a, bEntity, "entity", "op " + name));
        }

        // Nothing changed on B, and A's own entity is untouched by the probes.
        var (bRow, aRow) = await _host.WithDbAsync(async db => (
            await db.Entities.AsNoTracking().SingleAsync(e => e.Id == bEntity), await db.Entities.AsNoTracking().SingleAsync(e => e.Id == aEntity)));
        Assert.Equal(("Row beta-tenant", "active"), (bRow.Name, bRow.Status));
        Assert.Equal(("Row alpha-tenant", "active"), (aRow.Name, aRow.Status));
        Assert.Equal(0, await _host.WithDbAsync(db => db.Entities.CountAsync(e => e.Slug == "x-probe")));
    }

    [Fact]
    public async Task Member_ReadsButEveryWriteIs403_AdminWrites()
    {
        var pid = (await _host.ImportAsync("team", tier: "growth")).Id();
        var eid = await _host.InsertEntityAsync(pid, "tenant");
        using var member = _host.User("usr_member", (pid, "member"));
        using (var list = await member.GetAsync(EntitiesTestKit.EntitiesPath(pid)))
        {
            Assert.Equal(2, (await list.ExpectAsync(HttpStatusCode.OK)).GetProperty("data").GetArrayLength());
        }

        using (var one = await member.GetAsync(EntitiesTestKit.EntityPath(pid, eid)))
        {
            Assert.Equal(eid, (await one.ExpectAsync(HttpStatusCode.OK)).Id());
        }

        foreach (var (name, call) in Routes.Where(r => !r.Name.StartsWith("GET", StringComparison.Ordinal)))
        {
            using var response = await call(member, pid, eid);
            await response.ExpectErrorAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
        }

        using var admin = _host.User("usr_admin", (pid, "admin"));
        var created = (await admin.CreatedEntityAsync(pid, "by-admin")).Id();
        using (var patch = await admin.PatchJsonAsync(EntitiesTestKit.EntityPath(pid, created), new { name = "Admin's" }))
        {
            await patch.ExpectAsync(HttpStatusCode.OK);
        }

        using var delete = await admin.DeleteAsync(EntitiesTestKit.EntityPath(pid, created));
        await delete.ExpectAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task ApiKey_ReadScopeReads_WritesNeedTheWriteScope()
    {
        var pid = (await _host.ImportAsync("keys", tier: "growth")).Id();
        using var reader = _host.ApiKey("usr_owner", pid, "owner", "platforms:read");
        using (var list = await reader.GetAsync(EntitiesTestKit.EntitiesPath(pid)))
        {
            await list.ExpectAsync(HttpStatusCode.OK);
        }

        using (var refused = await reader.CreateEntityAsync(pid, "nope"))
        {
            await refused.ExpectErrorAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
        }

        using var writer = _host.ApiKey("usr_owner", pid, "owner", "platforms:write");
        await writer.CreatedEntityAsync(pid, "yes");
    }

    [Fact]
    public async Task StatusGate_SuspendedCancelledProvisioning_ForUsersAndOperators()
    {
        var pid = (await _host.ImportAsync("gated", tier: "growth")).Id();
        var eid = await _host.InsertEntityAsync(pid, "tenant");
        using var owner = _host.User("usr_owner", (pid, "owner"));
        using var op = _host.Operator();
        var writes = Routes.Where(r => !r.Name.StartsWith("GET", StringComparison.Ordinal)).ToList();

        async Task ExpectAllAsync(HttpClient client, HttpStatusCode status, string code)
        {
            foreach (var (name, call) in writes)
            {
                using var response = await call(client, pid, eid);
                await response.ExpectErrorAsync(status, code);
            }
        }

        await _host.SetStatusAsync(pid, "suspended");
        await ExpectAllAsync(owner, HttpStatusCode.Forbidden, "PLATFORM_SUSPENDED");
        using (var read = await owner.GetAsync(EntitiesTestKit.EntityPath(pid, eid)))
        {
            await read.ExpectAsync(HttpStatusCode.OK);
        }

        var byOperator = (await op.CreatedEntityAsync(pid, "op-suspended")).Id();
        using (var patch = await op.PatchJsonAsync(EntitiesTestKit.EntityPath(pid, byOperator), new { name = "Still works" }))
        {
            await patch.ExpectAsync(HttpStatusCode.OK);
        }

        foreach (var status in new[] { "pending", "provisioning" })
        {
            await _host.SetStatusAsync(pid, status);
            await ExpectAllAsync(owner, HttpStatusCode.Conflict, "CONFLICT");
            await op.CreatedEntityAsync(pid, "op-" + status);
        }

        await _host.SetStatusAsync(pid, "cancelled");
        await ExpectAllAsync(owner, HttpStatusCode.Forbidden, "PLATFORM_INACTIVE");
        await ExpectAllAsync(op, HttpStatusCode.Forbidden, "PLATFORM_INACTIVE");
        Assert.Equal("Row tenant", (await _host.EntityAsync(eid)).Name);
        Assert.Null((await _host.EntityAsync(eid)).DeletedAt);
    }

    [Fact]
    public async Task List_PagesByCreatedAtAndId_WithTotal_Filters_AndCursorRules()
    {
        var pid = (await _host.ImportAsync("paged", tier: "scale")).Id();
        var defaultId = await _host.DefaultEntityIdAsync(pid);
        var start = _host.Time.GetUtcNow().ToUnixTimeMilliseconds() + 1000;
        var tenants = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            // Pairs share a created_at so the id breaks the tie.
            tenants.Add(await _host.InsertEntityAsync(pid, "t-" + i, createdAt: start + (i / 2)));
        }

        var subs = new List<string>();
        for (var i = 0; i < 15; i++)
        {
            subs.Add(await _host.InsertEntityAsync(pid, "s-" + i, parentId: tenants[0], depth: 1, createdAt: start + 100 + i));
        }

        var gone = await _host.InsertEntityAsync(pid, "gone", createdAt: start + 500, deleted: true);
        using var member = _host.User("usr_member", (pid, "member"));

        async Task<(List<string> Ids, JsonElement Pagination)> PageAsync(string query)
        {
            using var response = await member.GetAsync(EntitiesTestKit.EntitiesPath(pid) + query);
            var json = await response.ExpectAsync(HttpStatusCode.OK);
            return (json.GetProperty("data").EnumerateArray().Select(e => e.Id()).ToList(), json.GetProperty("pagination"));
        }

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var (ids, pagination) = await PageAsync("?limit=20&includeTotal=true" + (cursor is null ? "" : "&cursor=" + cursor));
            Assert.Equal(46, pagination.GetProperty("total").GetInt32());
            seen.AddRange(ids);
            cursor = pagination.GetProperty("nextCursor").GetString();
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(3, pages);
        var expected = new[] { defaultId }.Concat(await _host.WithDbAsync(db => db.Entities.AsNoTracking()
            .Where(e => e.PlatformId == pid && e.DeletedAt == null && !e.IsDefault).OrderBy(e => e.CreatedAt).ThenBy(e => e.Id).Select(e => e.Id).ToListAsync()));
        Assert.Equal(expected, seen);

        var (first, noTotal) = await PageAsync("");
        Assert.Equal(20, first.Count);
        Assert.Equal(JsonValueKind.Null, noTotal.GetProperty("total").ValueKind);

        Assert.Equal(subs, (await PageAsync("?type=sub_tenant&limit=100")).Ids);
        Assert.Equal(subs, (await PageAsync($"?parentId={tenants[0]}&limit=100")).Ids);
        Assert.Equal(31, (await PageAsync("?type=tenant&limit=100")).Ids.Count);
        Assert.Equal([gone], (await PageAsync("?status=deleted")).Ids);
        Assert.Equal(47, (await PageAsync("?status=active,pending,deleted&limit=100")).Ids.Count);
        Assert.Equal(tenants.Count + subs.Count, (await PageAsync("?status=active&limit=100")).Ids.Count);

        // A cursor belongs to its filters; tampering and bad values are 400s.
        var tenantCursor = (await PageAsync("?type=tenant&limit=5")).Pagination.GetProperty("nextCursor").GetString()!;
        foreach (var query in new[]
        {
            "?type=sub_tenant&limit=5&cursor=" + tenantCursor, "?type=tenant&limit=5&cursor=" + tenantCursor[..^2] + "xx",
            "?limit=0", "?limit=101", "?limit=x", "?includeTotal=yes", "?type=org", "?status=gone", "?status=active,", "?parentId=NOPE",
        })
        {
            using var response = await member.GetAsync(EntitiesTestKit.EntitiesPath(pid) + query);
            await response.ExpectErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        }

        Assert.Equal(5, (await PageAsync("?type=tenant&limit=5&cursor=" + tenantCursor)).Ids.Count);
    }
}

using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Nno.Registry.Outbox;
using Nno.Registry.Tests.Support;

namespace Nno.Registry.Tests.Platforms;

/// <summary>registry.md §7 tests 2, 3, 4 and the platforms-per-owner limit of §4.5 on the operator import.</summary>
public sealed class PlatformImportTests : IAsyncLifetime
{
    private RegistryHost _host = null!;

    public async Task InitializeAsync() => _host = await RegistryHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Import_ByOperator_CreatesActivePlatformWithDefaultEntityStackEventAuditAndOutbox()
    {
        var platform = await _host.ImportAsync("acme", owner: "usr_alice");
        var id = platform.GetProperty("id").GetString()!;
        Assert.Matches(new Regex("^[a-z0-9]{10}$"), id);
        Assert.NotEqual("0000000000", id);
        Assert.Equal("active", platform.GetProperty("status").GetString());
        Assert.Equal(1, platform.GetProperty("version").GetInt64());
        Assert.Equal("usr_alice", platform.GetProperty("ownerUserId").GetString());

        var (entity, stack, events, audit) = await _host.WithDbAsync(async db => (
            await db.Entities.SingleAsync(e => e.PlatformId == id),
            await db.Stacks.SingleAsync(s => s.PlatformId == id),
            await db.LifecycleEvents.Where(e => e.PlatformId == id).ToListAsync(),
            await db.AuditLog.Where(a => a.PlatformId == id).ToListAsync()));
        Assert.True(entity.IsDefault);
        Assert.Equal("default", entity.Slug);
        Assert.Equal("pending", entity.Status);
        Assert.Equal(("default", "active", entity.Id), (stack.Id, stack.Status, stack.EntityId));
        Assert.Equal("created", Assert.Single(events).Event);
        Assert.Equal("platform.created", Assert.Single(audit).Action);
        Assert.Equal("operator", audit[0].ActorType);

        var outbox = await _host.OutboxAsync(id);
        Assert.Equal(
            new[] { OutboxKinds.IamPutPlatformMember, OutboxKinds.IamCreateOrg, OutboxKinds.KvPlatformStatus }.Order(),
            outbox.Select(o => o.Kind).Order());
        var member = JsonDocument.Parse(outbox.Single(o => o.Kind == OutboxKinds.IamPutPlatformMember).Payload).RootElement;
        Assert.Equal(("usr_alice", "owner"), (member.GetProperty("userId").GetString(), member.GetProperty("role").GetString()));
        Assert.Equal(entity.Id, outbox.Single(o => o.Kind == OutboxKinds.IamCreateOrg).TargetId);
        Assert.All(outbox, o => Assert.Matches("^obx_[a-z0-9]{16}$", o.Id));
    }

    [Fact]
    public async Task Import_WithDefaultTenantOrgId_LinksTheOrganizationWithoutCreatingOne()
    {
        var id = (await _host.ImportAsync("linked", extra: new { defaultTenantOrgId = "org_existing" })).GetProperty("id").GetString()!;
        var entity = await _host.WithDbAsync(db => db.Entities.SingleAsync(e => e.PlatformId == id));
        Assert.Equal(("org_existing", "active"), (entity.IamOrgId, entity.Status));
        Assert.DoesNotContain(await _host.OutboxAsync(id), o => o.Kind == OutboxKinds.IamCreateOrg);
    }

    [Fact]
    public async Task Import_ReplayedWithIdempotencyKey_ReturnsTheSamePlatformOnce()
    {
        using var op = _host.Operator();
        async Task<HttpResponseMessage> SendAsync(string slug)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, RegistryApi.Platforms)
            {
                Content = new StringContent(JsonSerializer.Serialize(new { name = "Once", slug, ownerUserId = "usr_once" }), System.Text.Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("Idempotency-Key", "import-once-1");
            return await op.SendAsync(request);
        }

        using var first = await SendAsync("once");
        using var replay = await SendAsync("once");
        var a = await first.ExpectAsync(HttpStatusCode.Created);
        var b = await replay.ExpectAsync(HttpStatusCode.Created);
        Assert.Equal(a.GetProperty("id").GetString(), b.GetProperty("id").GetString());
        Assert.Equal(1, await _host.WithDbAsync(db => db.Platforms.CountAsync()));

        using var otherBody = await SendAsync("twice");
        await otherBody.ExpectErrorAsync(HttpStatusCode.Conflict, "CONFLICT");
    }

    [Fact]
    public async Task Import_ByUser_Is403()
    {
        using var user = _host.User("usr_bob");
        using var response = await user.PostJsonAsync(RegistryApi.Platforms, new { name = "X", slug = "x", ownerUserId = "usr_bob" });
        await response.ExpectErrorAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
    }

    [Fact]
    public async Task Import_DuplicateLiveSlug_Is409_DeletedPlatformsSlugIsReusable()
    {
        var first = (await _host.ImportAsync("dup", owner: "usr_a")).GetProperty("id").GetString()!;
        using var op = _host.Operator();
        using (var again = await op.PostJsonAsync(RegistryApi.Platforms, new { name = "Again", slug = "dup", ownerUserId = "usr_b" }))
        {
            await again.ExpectErrorAsync(HttpStatusCode.Conflict, "CONFLICT");
        }

        using (var cancel = await op.PostJsonAsync($"{RegistryApi.Platforms}/{first}/cancel", new { reason = "moving" }))
        {
            await cancel.ExpectAsync(HttpStatusCode.OK);
        }

        using (var delete = await op.PostJsonAsync($"{RegistryApi.Platforms}/{first}/delete", new { reason = "moving" }))
        {
            await delete.ExpectAsync(HttpStatusCode.OK);
        }

        var second = await _host.ImportAsync("dup", owner: "usr_b");
        Assert.NotEqual(first, second.GetProperty("id").GetString());
    }

    [Theory]
    [InlineData("-a")]
    [InlineData("a-")]
    [InlineData("A")]
    [InlineData("a_b")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("")]
    public async Task Import_BadSlug_Is400NamingSlug(string slug)
    {
        using var op = _host.Operator();
        using var response = await op.PostJsonAsync(RegistryApi.Platforms, new { name = "X", slug, ownerUserId = "usr_x" });
        var error = await response.ExpectErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.True(error.GetProperty("error").GetProperty("details").GetProperty("fields").TryGetProperty("slug", out _));
        Assert.Equal(0, await _host.WithDbAsync(db => db.Platforms.CountAsync()));
    }

    [Fact]
    public async Task Import_UnknownField_Is400()
    {
        using var op = _host.Operator();
        using var response = await op.PostJsonAsync(RegistryApi.Platforms, new { name = "X", slug = "x", ownerUserId = "usr_x", status = "suspended" });
        await response.ExpectErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
    }

    [Fact]
    public async Task Import_StarterOwnerAtLimit_Is403TierLimit_GrowthRequestFits()
    {
        await _host.ImportAsync("first", owner: "usr_limited");
        using var op = _host.Operator();
        using (var refused = await op.PostJsonAsync(RegistryApi.Platforms, new { name = "Second", slug = "second", ownerUserId = "usr_limited", tier = "starter" }))
        {
            var error = await refused.ExpectErrorAsync(HttpStatusCode.Forbidden, "TIER_LIMIT_EXCEEDED");
            var details = error.GetProperty("error").GetProperty("details");
            Assert.Equal(("platforms", 1, 1), (details.GetProperty("limit").GetString(), details.GetProperty("max").GetInt32(), details.GetProperty("current").GetInt32()));
        }

        // The limit is that of the highest tier among the owner's platforms and the requested one (growth: 3).
        await _host.ImportAsync("third", owner: "usr_limited", tier: "growth");
    }

    [Fact]
    public async Task Import_ConcurrentForOneSlot_OnlyOneSucceeds()
    {
        using var op = _host.Operator();
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            op.PostJsonAsync(RegistryApi.Platforms, new { name = "Race", slug = "race-" + i, ownerUserId = "usr_racer" })));
        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.Created), r => Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode));
        foreach (var r in responses)
        {
            r.Dispose();
        }
    }
}

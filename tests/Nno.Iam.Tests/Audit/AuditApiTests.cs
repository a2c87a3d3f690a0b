using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Nno.Core.Services;
using Nno.Iam.Audit;
using Nno.Iam.Tests.Support;

namespace Nno.Iam.Tests.Audit;

public sealed class AuditApiTests : IAsyncLifetime
{
    private const string A = "aaaaaaaaa1";
    private const string B = "bbbbbbbbb1";
    private IamHost _iam = null!;

    public async Task InitializeAsync() => _iam = await IamHost.StartAsync();

    public async Task DisposeAsync() => await _iam.DisposeAsync();

    private async Task<TestUser> MemberAsync(string platformId, string role)
    {
        var user = await _iam.CreateUserAsync();
        await _iam.AddPlatformMemberAsync(platformId, user.Id, role);
        return user;
    }

    /// <summary>Writes an event as IAM does (sign-in events come from the sign-in routes, not part of these tests).</summary>
    private async Task WriteEventAsync(string type, string? actor = null, string? subject = null, string? platformId = null, string outcome = "success")
    {
        await using var scope = _iam.Platform.Host.Apps[NnoServices.Iam].Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<AuditLog>().WriteAsync(
            new AuditEntry { Type = type, Outcome = outcome, ActorKind = actor is null ? "anonymous" : "user", ActorUserId = actor, SubjectUserId = subject, PlatformId = platformId },
            CancellationToken.None);
    }

    private static List<string> Types(JsonElement page) => [.. page.GetProperty("data").EnumerateArray().Select(e => e.GetProperty("type").GetString()!)];

    [Fact]
    public async Task PlatformOwner_SeesOwnPlatformsEvents_NotAnothers()
    {
        var ownerA = await MemberAsync(A, "owner");
        var ownerB = await MemberAsync(B, "owner");
        var memberA = await MemberAsync(A, "member");
        var keyA = await _iam.CreateKeyAsync(ownerA, A);
        var keyB = await _iam.CreateKeyAsync(ownerB, B);
        using var client = _iam.Session(ownerA.Token);

        var page = await (await client.GetAsync($"/api/audit/events?platformId={A}")).JsonAsync();
        var events = page.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal("apikey.created", Assert.Single(events).GetProperty("type").GetString());
        Assert.Equal(A, events[0].GetProperty("platformId").GetString());
        Assert.Equal(keyA.Id, events[0].GetProperty("metadata").GetProperty("keyId").GetString());

        using var foreign = await client.GetAsync($"/api/audit/events?platformId={B}");
        using var noPlatform = await client.GetAsync("/api/audit/events");
        using var memberClient = _iam.Session(memberA.Token);
        using var asMember = await memberClient.GetAsync($"/api/audit/events?platformId={A}");
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, noPlatform.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, asMember.StatusCode);

        // One event by id: visible on the own platform, 404 on another.
        var eventOfB = await _iam.DbAsync(db => Task.FromResult(db.AuditEvents.Single(e => e.PlatformId == B).Id));
        using var one = await client.GetAsync("/api/audit/events/" + events[0].GetProperty("id").GetString());
        using var other = await client.GetAsync("/api/audit/events/" + eventOfB);
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);

        // Operators and the static key read everything.
        using var staticKey = _iam.StaticKey();
        var all = await (await staticKey.GetAsync("/api/audit/events?type=apikey.*")).JsonAsync();
        Assert.Equal(2, all.GetProperty("data").GetArrayLength());
        Assert.NotNull(keyB);
    }

    [Fact]
    public async Task ScopeSelf_ReturnsTheCallersEvents_TypePrefixFilters()
    {
        var user = await _iam.CreateUserAsync();
        var other = await _iam.CreateUserAsync();
        await WriteEventAsync("auth.sign_in.succeeded", actor: user.Id, subject: user.Id);
        await WriteEventAsync("auth.sign_in.failed", subject: user.Id, outcome: "failure");
        await WriteEventAsync("auth.sign_in.succeeded", actor: other.Id, subject: other.Id);
        await WriteEventAsync("session.revoked", actor: user.Id, subject: user.Id);
        using var client = _iam.Session(user.Token);

        var self = await (await client.GetAsync("/api/audit/events?scope=self")).JsonAsync();
        var signIns = await (await client.GetAsync("/api/audit/events?scope=self&type=auth.*")).JsonAsync();
        var failures = await (await client.GetAsync("/api/audit/events?scope=self&type=auth.sign_in.failed&outcome=failure")).JsonAsync();

        Assert.Equal(3, self.GetProperty("data").GetArrayLength());
        Assert.All(self.GetProperty("data").EnumerateArray(), e => Assert.True(e.GetProperty("actorUserId").GetString() == user.Id || e.GetProperty("subjectUserId").GetString() == user.Id));
        Assert.Equal(["auth.sign_in.failed", "auth.sign_in.succeeded"], Types(signIns).Order().ToList());
        Assert.Equal(["auth.sign_in.failed"], Types(failures));

        var key = await _iam.CreateKeyAsync(await MemberAsync(A, "owner"), A);
        using var keyClient = _iam.ApiKey(key.Key);
        using var byKey = await keyClient.GetAsync("/api/audit/events?scope=self");
        Assert.Equal(HttpStatusCode.OK, byKey.StatusCode);
    }

    [Fact]
    public async Task Window_DefaultsToSevenDays_At91Days400_NewestFirst()
    {
        var user = await _iam.CreateUserAsync();
        await WriteEventAsync("auth.sign_in.succeeded", actor: user.Id);
        _iam.Time.Advance(TimeSpan.FromDays(8));
        await WriteEventAsync("auth.sign_out", actor: user.Id);
        _iam.Time.Advance(TimeSpan.FromSeconds(1));
        await WriteEventAsync("session.revoked", actor: user.Id);
        using var client = _iam.Session(await _iam.NewSessionAsync(user.Id));

        var recent = await (await client.GetAsync("/api/audit/events?scope=self")).JsonAsync();
        Assert.Equal(["session.revoked", "auth.sign_out"], Types(recent));

        var now = _iam.Time.GetUtcNow();
        string Iso(DateTimeOffset t) => Uri.EscapeDataString(t.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
        var wide = await (await client.GetAsync($"/api/audit/events?scope=self&from={Iso(now.AddDays(-90))}")).JsonAsync();
        Assert.Equal(3, wide.GetProperty("data").GetArrayLength());

        using var tooWide = await client.GetAsync($"/api/audit/events?scope=self&from={Iso(now.AddDays(-91))}");
        using var reversed = await client.GetAsync($"/api/audit/events?scope=self&from={Iso(now)}&to={Iso(now.AddDays(-1))}");
        using var notIso = await client.GetAsync("/api/audit/events?scope=self&from=yesterday");
        using var badScope = await client.GetAsync("/api/audit/events?scope=all");
        foreach (var response in new[] { tooWide, reversed, notIso, badScope })
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("VALIDATION_ERROR", (await response.JsonAsync()).ErrorCode());
        }
    }

    [Fact]
    public async Task Cursor_PagesWithoutDuplicates_TamperedOrForeign400()
    {
        var user = await _iam.CreateUserAsync();
        for (var i = 0; i < 5; i++)
        {
            await WriteEventAsync("auth.sign_in.succeeded", actor: user.Id);
            _iam.Time.Advance(TimeSpan.FromMilliseconds(10));
        }

        using var client = _iam.Session(user.Token);
        var first = await (await client.GetAsync("/api/audit/events?scope=self&limit=2&includeTotal=true")).JsonAsync();
        Assert.Equal(5, first.GetProperty("pagination").GetProperty("total").GetInt32());
        var cursor = first.GetProperty("pagination").GetProperty("nextCursor").GetString()!;

        // An event written between pages is newer than the cursor: never repeated, never skipping older ones.
        await WriteEventAsync("auth.sign_out", actor: user.Id);
        var rest = await (await client.GetAsync("/api/audit/events?scope=self&limit=100&cursor=" + cursor)).JsonAsync();
        var ids = first.GetProperty("data").EnumerateArray().Concat(rest.GetProperty("data").EnumerateArray()).Select(e => e.GetProperty("id").GetString()).ToList();
        Assert.Equal(5, ids.Count);
        Assert.Equal(5, ids.Distinct().Count());

        var tamperedCursor = cursor[..^1] + (cursor[^1] == 'A' ? 'B' : 'A');
        using var tampered = await client.GetAsync("/api/audit/events?scope=self&limit=2&cursor=" + tamperedCursor);
        using var otherFilter = await client.GetAsync("/api/audit/events?scope=self&type=auth.*&limit=2&cursor=" + cursor);
        var other = await _iam.CreateUserAsync();
        using var otherClient = _iam.Session(other.Token);
        using var otherCaller = await otherClient.GetAsync("/api/audit/events?scope=self&limit=2&cursor=" + cursor);
        Assert.Equal(HttpStatusCode.BadRequest, tampered.StatusCode);
        Assert.Equal("cursor", (await tampered.JsonAsync()).GetProperty("error").GetProperty("details").GetProperty("fields").EnumerateObject().Single().Name);
        Assert.Equal(HttpStatusCode.BadRequest, otherFilter.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, otherCaller.StatusCode);
    }

    [Fact]
    public async Task ServicesCannotReadTheAuditLog()
    {
        using var registry = _iam.Service("registry");
        using var response = await registry.GetAsync("/api/audit/events?platformId=" + A);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }
}

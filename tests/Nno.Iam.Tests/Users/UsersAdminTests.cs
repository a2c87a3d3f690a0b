using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Nno.Client.Identity;
using Nno.Iam.Tests.Support;
using Nno.ServiceDefaults.Evictions;

namespace Nno.Iam.Tests.Users;

public sealed class UsersAdminTests : IAsyncLifetime
{
    private const string A = "aaaaaaaaa1";
    private IamHost _iam = null!;

    public async Task InitializeAsync() => _iam = await IamHost.StartAsync();

    public async Task DisposeAsync() => await _iam.DisposeAsync();

    private static Task<HttpResponseMessage> PatchAsync(HttpClient client, string userId, object body) =>
        client.PatchAsJsonAsync("/api/nno/users/" + userId, body);

    [Fact]
    public async Task Disable_RevokesEverySessionAndKey_EvictsUser_EnableAudited()
    {
        var op = await _iam.CreateOperatorAsync();
        var user = await _iam.CreateUserAsync();
        await _iam.AddPlatformMemberAsync(A, user.Id, "owner");
        var secondSession = await _iam.NewSessionAsync(user.Id);
        var key = await _iam.CreateKeyAsync(user, A);
        using var client = _iam.Session(op.Token);

        using var disabled = await PatchAsync(client, user.Id, new { disabled = true });

        Assert.Equal(HttpStatusCode.OK, disabled.StatusCode);
        Assert.NotEqual(JsonValueKind.Null, (await disabled.JsonAsync()).GetProperty("disabledAt").ValueKind);
        Assert.Contains("user=" + user.Id, disabled.Headers.GetValues(CredentialEviction.HeaderName).Single());
        Assert.Null(await _iam.ValidateAsync(user.Token));
        Assert.Null(await _iam.ValidateAsync(secondSession));
        Assert.False((await _iam.VerifyKeyAsync(key.Key)).GetProperty("valid").GetBoolean());
        var reasons = await _iam.DbAsync(db => db.Sessions.Where(s => s.UserId == user.Id).Select(s => s.RevokedReason).ToListAsync());
        Assert.All(reasons, r => Assert.Equal("user-disabled", r));
        Assert.NotNull(await _iam.DbAsync(db => db.ApiKeys.Where(k => k.Id == key.Id).Select(k => k.RevokedAt).SingleAsync()));

        using var enabled = await PatchAsync(client, user.Id, new { disabled = false });
        Assert.Equal(JsonValueKind.Null, (await enabled.JsonAsync()).GetProperty("disabledAt").ValueKind);
        var types = await _iam.EventTypesAsync(user.Id);
        Assert.Contains("user.disabled", types);
        Assert.Contains("user.enabled", types);

        // Revoked credentials stay revoked after re-enabling.
        Assert.Null(await _iam.ValidateAsync(user.Token));
        Assert.False((await _iam.VerifyKeyAsync(key.Key)).GetProperty("valid").GetBoolean());
    }

    [Fact]
    public async Task ActingOnSelf_Or_LeavingNoOperator_409()
    {
        var op = await _iam.CreateOperatorAsync();
        using var client = _iam.Session(op.Token);
        using (var self = await PatchAsync(client, op.Id, new { disabled = true }))
        {
            Assert.Equal(HttpStatusCode.Conflict, self.StatusCode);
            Assert.Equal("self", (await self.JsonAsync()).Reason());
        }

        // The static key is an operator but not a user: the only operator user is the last one.
        using var staticKey = _iam.StaticKey();
        using (var demote = await PatchAsync(staticKey, op.Id, new { role = "user" }))
        using (var disable = await PatchAsync(staticKey, op.Id, new { disabled = true }))
        {
            Assert.Equal(HttpStatusCode.Conflict, demote.StatusCode);
            Assert.Equal("last_operator", (await demote.JsonAsync()).Reason());
            Assert.Equal(HttpStatusCode.Conflict, disable.StatusCode);
        }

        var second = await _iam.CreateOperatorAsync();
        using (var demote = await PatchAsync(staticKey, op.Id, new { role = "user" }))
        {
            Assert.Equal(HttpStatusCode.OK, demote.StatusCode);
            Assert.Equal("user=" + op.Id, demote.Headers.GetValues(CredentialEviction.HeaderName).Single());
        }

        Assert.Equal("user", (await _iam.ValidateAsync(op.Token))!.Value.GetProperty("role").GetString());
        Assert.Contains("user.role_changed", await _iam.EventTypesAsync(op.Id));
        using var secondClient = _iam.Session(second.Token);
        using var last = await PatchAsync(secondClient, op.Id, new { role = "user" });
        Assert.Equal(HttpStatusCode.OK, last.StatusCode);
    }

    [Fact]
    public async Task PromoteAndDemote_MoveTheOperatorOrganizationMembership()
    {
        using var staticKey = _iam.StaticKey();
        using var bootstrap = await staticKey.PostAsJsonAsync("/api/nno/bootstrap", new { email = "root@example.com", password = "first operator passphrase", name = "Root" });
        var rootId = (await bootstrap.JsonAsync()).GetProperty("user").GetProperty("id").GetString()!;
        var orgId = (await bootstrap.JsonAsync()).GetProperty("organization").GetProperty("id").GetString()!;
        var root = new TestUser(rootId, "root@example.com", await _iam.NewSessionAsync(rootId), "");
        var user = await _iam.CreateUserAsync();
        using var client = _iam.Session(root.Token);

        using (var promote = await PatchAsync(client, user.Id, new { role = "platform-admin" }))
        {
            Assert.Equal(HttpStatusCode.OK, promote.StatusCode);
            Assert.Equal("platform-admin", (await promote.JsonAsync()).GetProperty("role").GetString());
        }

        Assert.Equal("admin", await _iam.DbAsync(db => db.Members.Where(m => m.OrganizationId == orgId && m.UserId == user.Id).Select(m => m.Role).SingleAsync()));
        Assert.Equal("platform-admin", (await _iam.ValidateAsync(user.Token))!.Value.GetProperty("role").GetString());

        // The new operator demotes the bootstrap operator: the organization keeps an owner.
        using var promoted = _iam.Session(user.Token);
        using (var demote = await PatchAsync(promoted, rootId, new { role = "user" }))
        {
            Assert.Equal(HttpStatusCode.OK, demote.StatusCode);
        }

        var members = await _iam.DbAsync(db => db.Members.Where(m => m.OrganizationId == orgId).Select(m => new { m.UserId, m.Role }).ToListAsync());
        Assert.Equal(user.Id, Assert.Single(members).UserId);
        Assert.Equal("owner", members[0].Role);
        Assert.False(await _iam.DbAsync(db => db.PlatformMembers.AnyAsync(m => m.UserId == rootId)));
    }

    [Fact]
    public async Task Promote_WithoutConfirmedSecondFactor_WhereRequired_409MfaRequired()
    {
        await using var iam = await IamHost.StartAsync(new Dictionary<string, string?> { ["Iam:Mfa:RequireForOperators"] = "true" });
        var op = await iam.CreateOperatorAsync();
        var user = await iam.CreateUserAsync();
        using var staticKey = iam.StaticKey();

        using var promote = await PatchAsync(staticKey, user.Id, new { role = "platform-admin" });

        Assert.Equal(HttpStatusCode.Conflict, promote.StatusCode);
        Assert.Equal("mfa_required", (await promote.JsonAsync()).Reason());
        Assert.Equal("user", await iam.DbAsync(db => db.Users.Where(u => u.Id == user.Id).Select(u => u.Role).SingleAsync()));
        Assert.NotNull(op);
    }

    [Fact]
    public async Task OnlyOperatorsAdminister_ServicesAndUsersGet403_BadInput400()
    {
        var user = await _iam.CreateUserAsync();
        var other = await _iam.CreateUserAsync();
        using (var client = _iam.Session(user.Token))
        {
            using var list = await client.GetAsync("/api/nno/users");
            using var patch = await PatchAsync(client, other.Id, new { disabled = true });
            using var getOther = await client.GetAsync("/api/nno/users/" + other.Id);
            using var getSelf = await client.GetAsync("/api/nno/users/" + user.Id);
            Assert.Equal(HttpStatusCode.Forbidden, list.StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, patch.StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, getOther.StatusCode);
            Assert.Equal("user", (await getOther.JsonAsync()).GetProperty("error").GetProperty("details").GetProperty("resource").GetString());
            Assert.Equal(HttpStatusCode.OK, getSelf.StatusCode);
        }

        // The Registry's token with operator-looking headers is still the registry service.
        using (var registry = _iam.Service("registry"))
        {
            registry.DefaultRequestHeaders.Add("X-Nno-Auth", "session");
            registry.DefaultRequestHeaders.Add("X-Nno-Role", "platform-admin");
            registry.DefaultRequestHeaders.Add("X-Nno-User-Id", user.Id);
            using var list = await registry.GetAsync("/api/nno/users");
            Assert.Equal(HttpStatusCode.Forbidden, list.StatusCode);
        }

        var op = await _iam.CreateOperatorAsync();
        using var opClient = _iam.Session(op.Token);
        using (var badRole = await PatchAsync(opClient, other.Id, new { role = "root" }))
        using (var unknown = await PatchAsync(opClient, other.Id, new { disabledAt = 1 }))
        using (var missing = await PatchAsync(opClient, "usr_doesnotexist000000", new { disabled = true }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, badRole.StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }

        Assert.Null(await _iam.DbAsync(db => db.Users.Where(u => u.Id == other.Id).Select(u => u.DisabledAt).SingleAsync()));
    }

    [Fact]
    public async Task List_FiltersByEmailPrefixAndRole_PagesWithoutDuplicates_GetShowsPlatforms()
    {
        var op = await _iam.CreateOperatorAsync("ops@corp.example");
        for (var i = 0; i < 5; i++)
        {
            await _iam.CreateUserAsync($"Team{i}@Example.com");
            _iam.Time.Advance(TimeSpan.FromMilliseconds(1));
        }

        var target = await _iam.CreateUserAsync("single@example.com");
        await _iam.AddPlatformMemberAsync(A, target.Id, "admin");
        await _iam.AddPlatformMemberAsync("0000000000", target.Id, "owner");
        using var client = _iam.Session(op.Token);

        var teams = await (await client.GetAsync("/api/nno/users?email=TEAM&includeTotal=true")).JsonAsync();
        Assert.Equal(5, teams.GetProperty("pagination").GetProperty("total").GetInt32());
        Assert.All(teams.GetProperty("data").EnumerateArray(), u => Assert.StartsWith("Team", u.GetProperty("email").GetString()));
        var admins = await (await client.GetAsync("/api/nno/users?role=platform-admin")).JsonAsync();
        Assert.Equal(op.Id, Assert.Single(admins.GetProperty("data").EnumerateArray()).GetProperty("id").GetString());

        var page1 = await (await client.GetAsync("/api/nno/users?limit=3")).JsonAsync();
        await _iam.CreateUserAsync("late@example.com");
        var page2 = await (await client.GetAsync("/api/nno/users?limit=100&cursor=" + page1.GetProperty("pagination").GetProperty("nextCursor").GetString())).JsonAsync();
        var ids = page1.GetProperty("data").EnumerateArray().Concat(page2.GetProperty("data").EnumerateArray()).Select(u => u.GetProperty("id").GetString()).ToList();
        Assert.Equal(8, ids.Count);
        Assert.Equal(8, ids.Distinct().Count());
        Assert.Equal(JsonValueKind.Null, page2.GetProperty("pagination").GetProperty("total").ValueKind);
        using (var tooBig = await client.GetAsync("/api/nno/users?limit=101"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, tooBig.StatusCode);
        }

        var detail = await (await client.GetAsync("/api/nno/users/" + target.Id)).JsonAsync();
        var platform = Assert.Single(detail.GetProperty("platforms").EnumerateArray());
        Assert.Equal((A, "admin"), (platform.GetProperty("platformId").GetString(), platform.GetProperty("role").GetString()));
    }

    [Fact]
    public async Task Export_HoldsTheCallersDataOnly_AndIsAudited()
    {
        var user = await _iam.CreateUserAsync("me@example.com");
        var other = await _iam.CreateUserAsync("someone@example.com");
        await _iam.AddPlatformMemberAsync(A, user.Id, "owner");
        await _iam.AddPlatformMemberAsync(A, other.Id, "owner");
        var mine = await _iam.CreateKeyAsync(user, A);
        var theirs = await _iam.CreateKeyAsync(other, A);
        using var client = _iam.Session(user.Token);

        using var response = await client.GetAsync("/api/nno/users/me/export");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        var body = JsonDocument.Parse(text).RootElement;
        Assert.Equal(user.Id, body.GetProperty("user").GetProperty("id").GetString());
        Assert.Equal(user.SessionId, Assert.Single(body.GetProperty("sessions").EnumerateArray()).GetProperty("id").GetString());
        Assert.Equal(A, Assert.Single(body.GetProperty("platformMemberships").EnumerateArray()).GetProperty("platformId").GetString());
        Assert.Equal(mine.Id, Assert.Single(body.GetProperty("apiKeys").EnumerateArray()).GetProperty("id").GetString());
        Assert.Contains(body.GetProperty("auditEvents").EnumerateArray(), e => e.GetProperty("type").GetString() == "apikey.created");
        Assert.DoesNotContain(other.Id, text);
        Assert.DoesNotContain(other.Email, text);
        Assert.DoesNotContain(theirs.Id, text);
        Assert.DoesNotContain(mine.Key, text);
        Assert.DoesNotContain(user.Token, text);
        Assert.Contains("user.exported", await _iam.EventTypesAsync(user.Id));

        using var keyClient = _iam.ApiKey(mine.Key);
        using var byKey = await keyClient.GetAsync("/api/nno/users/me/export");
        Assert.Equal(HttpStatusCode.Forbidden, byKey.StatusCode);
    }
}
